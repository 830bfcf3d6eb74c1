//! PostgreSQL's system catalogs (pg_catalog, information_schema extras) and catalog functions,
//! installed on every session so that psql, JDBC, Python tools, Metabase and Grafana can read
//! Aloe's schemas and tables as they read PostgreSQL's.
//!
//! The tables and most functions come from the `datafusion-pg-catalog` crate; this module adds
//! what it lacks and what must answer with Aloe's own identity and settings.

mod functions;

use std::sync::{Arc, Mutex};

use datafusion::prelude::SessionContext;
use datafusion_pg_catalog::pg_catalog::context::EmptyContextProvider;
use datafusion_pg_catalog::setup_pg_catalog;

use crate::engine::EngineResult;
use crate::engine::error::{EngineError, sqlstate};
use crate::engine::settings::Settings;

/// Installs pg_catalog and the catalog functions on one session's context.
pub fn install(
    ctx: &SessionContext,
    database: &str,
    user: &str,
    settings: Arc<Mutex<Settings>>,
) -> EngineResult<()> {
    setup_pg_catalog(ctx, database, EmptyContextProvider).map_err(|e| {
        EngineError::new(
            sqlstate::INTERNAL_ERROR,
            format!("cannot install pg_catalog: {e}"),
        )
    })?;
    functions::register(ctx, user, settings);
    Ok(())
}
