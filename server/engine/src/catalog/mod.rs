//! PostgreSQL's system catalogs (pg_catalog) and catalog functions, so that psql, JDBC, Python
//! tools, Metabase and Grafana can read Aloe's schemas and tables as they read PostgreSQL's.
//!
//! The tables and most functions come from the `datafusion-pg-catalog` crate. Its
//! `setup_pg_catalog` registers the pg_catalog schema and the functions together on one
//! context; Aloe registers the schema once per engine instead and the functions per session.
//! OIDs of schemas, tables and databases come from their names (`oids.rs`), so they agree
//! between connections, queries and restarts.

pub mod computed;
mod format;
mod functions;
mod information_schema;
mod lake_rows;
mod memo;
pub mod oids;
mod ordered;
mod overrides;
mod pg_proc;
mod pg_settings;
mod renumbered;
pub(crate) mod type_names;
mod types;
pub mod view;
mod widened;

use std::sync::{Arc, Mutex};

use datafusion::catalog::CatalogProviderList;
use datafusion::prelude::SessionContext;
use datafusion_pg_catalog::pg_catalog::context::EmptyContextProvider;
use datafusion_pg_catalog::pg_catalog::generate_series_arg_coercion::CoerceIntArgsToBigInt;
use datafusion_pg_catalog::pg_catalog::{
    self as pg, PgCatalogSchemaProvider, PgCatalogStaticTables, array_bounds_udf, format_type,
    pg_get_expr_udf, quote_ident_udf,
};

pub use memo::table_names_fingerprint;
pub use ordered::OrderedCatalogs;
pub use overrides::ADDED_TABLES;
pub use pg_settings::SessionSettings;

use crate::EngineResult;
use crate::error::{EngineError, sqlstate};
use crate::settings::Settings;

fn internal(e: impl std::fmt::Display) -> EngineError {
    EngineError::new(sqlstate::INTERNAL_ERROR, format!("pg_catalog: {e}"))
}

/// The pg_catalog and information_schema schemas of one engine and what sessions need to use it.
#[derive(Debug)]
pub struct PgCatalog {
    /// PostgreSQL's built-in rows (pg_type, pg_proc, keywords, ...), loaded once.
    static_tables: Arc<PgCatalogStaticTables>,
    /// Type names to OIDs, for `to_regtype`.
    type_oids: Arc<std::collections::HashMap<String, i32>>,
    /// Built-in functions' signatures, for `pg_get_function_result/arguments`.
    functions: Arc<std::collections::HashMap<i32, pg_proc::Described>>,
}

impl PgCatalog {
    /// Registers pg_catalog in `database` of the shared catalogs.
    pub fn install(
        catalogs: Arc<dyn CatalogProviderList>,
        database: &str,
        lake: Arc<aloe_connectors::lake::Lake>,
        changes: Arc<crate::changes::Changes>,
    ) -> EngineResult<Self> {
        let static_tables = Arc::new(PgCatalogStaticTables::try_new().map_err(internal)?);
        let provider = PgCatalogSchemaProvider::try_new(
            catalogs.clone(),
            static_tables.clone(),
            EmptyContextProvider,
        )
        .map_err(internal)?;
        let catalog = catalogs
            .catalog(database)
            .ok_or_else(|| internal(format!("no catalog {database}")))?;
        catalog.register_schema(
            "pg_catalog",
            Arc::new(overrides::Overrides {
                inner: Arc::new(provider),
                lake,
                memos: Arc::new(memo::Memos::new(changes, catalogs.clone())),
            }),
        )?;
        catalog.register_schema(
            information_schema::NAME,
            Arc::new(information_schema::InformationSchema::new(
                catalogs.clone(),
                database,
            )),
        )?;
        let type_oids = Arc::new(types::type_oids(&static_tables));
        let functions = Arc::new(pg_proc::describe_all(&static_tables));
        Ok(Self {
            static_tables,
            type_oids,
            functions,
        })
    }

    /// Registers the catalog functions on one session.
    pub fn register_functions(
        &self,
        ctx: &SessionContext,
        database: &str,
        user: &str,
        role: crate::privileges::Role,
        settings: Arc<Mutex<Settings>>,
    ) {
        ctx.register_udf(pg::create_current_database_udf(database));
        ctx.register_udf(pg::create_pg_get_userbyid_udf());
        for name in [
            "has_table_privilege",
            "has_schema_privilege",
            "has_database_privilege",
            "has_any_column_privilege",
        ] {
            ctx.register_udf(crate::privileges::HasPrivilege::udf(name, role));
        }
        ctx.register_udf(pg::create_pg_table_is_visible());
        ctx.register_udf(format_type::create_format_type_udf());
        ctx.register_udf(pg::create_session_user_udf());
        ctx.register_udtf(
            "pg_get_keywords",
            self.static_tables.pg_get_keywords.clone(),
        );
        ctx.register_udf(pg_get_expr_udf::create_pg_get_expr_udf());
        ctx.register_udf(pg::create_pg_get_partkeydef_udf());
        ctx.register_udf(pg::create_pg_relation_is_publishable_udf());
        ctx.register_udf(pg::create_pg_get_statisticsobjdef_columns_udf());
        ctx.register_udf(pg::create_pg_encoding_to_char_udf());
        ctx.register_udf(pg::create_pg_backend_pid_udf());
        ctx.register_udf(pg::create_pg_relation_size_udf());
        ctx.register_udf(pg::create_pg_total_relation_size_udf());
        ctx.register_udf(pg::create_pg_stat_get_numscans());
        ctx.register_udf(pg::create_pg_get_constraintdef());
        ctx.register_udf(pg::create_pg_get_partition_ancestors_udf());
        ctx.register_udf(quote_ident_udf::create_quote_ident_udf());
        ctx.register_udf(quote_ident_udf::create_parse_ident_udf());
        ctx.register_udf(array_bounds_udf::create_array_upper_udf());
        ctx.register_udf(array_bounds_udf::create_array_lower_udf());
        CoerceIntArgsToBigInt::widen(ctx);
        ctx.register_udf(types::to_regtype(self.type_oids.clone()));
        ctx.register_udf(crate::sql::rewrite::expandarray::ExpandArray::udf());
        ctx.register_udf(crate::sql::rewrite::subscripts::Subscripts::udf());
        for udf in pg_proc::Describe::udfs(self.functions.clone()) {
            ctx.register_udf(udf);
        }
        functions::register(ctx, user, settings);
    }
}
