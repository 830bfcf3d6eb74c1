//! pg_catalog tables that Aloe answers itself, over datafusion-pg-catalog's provider.
//!
//! `pg_constraint`, `pg_index`, `pg_policy` and `pg_statistic_ext` of that crate carry
//! PostgreSQL's own system-catalog rows, with array columns (`conkey`, `indkey`, `polroles`,
//! `stxkind`, ...) stored as text, so clients' `attnum = ANY(c.conkey)` and `indkey[n]` cannot
//! be planned. Aloe's tables have no constraints, row policies or extended statistics, so
//! those are served empty, with real array columns: every client query over them plans, and
//! answers exactly what Aloe has. pg_namespace, pg_class, pg_attribute and pg_database carry
//! Aloe's stable OIDs (see `renumbered.rs`); pg_class has PostgreSQL's `relacl` and `reloptions`, NULL
//! for every relation (see `widened.rs`). `pg_index` lists the indexes `CREATE INDEX` recorded and
//! `pg_description` adds the lake tables' descriptions, `pg_views` and `pg_indexes` give the lake's
//! views and recorded indexes with their definitions (see `lake_rows.rs`). `pg_settings` shows the reading session's
//! own settings (see `pg_settings.rs`). Every computed table but pg_settings and
//! pg_stat_user_tables is kept between queries until the catalog changes (see `memo.rs`).

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::catalog::{SchemaProvider, TableProvider};
use datafusion::datasource::{MemTable, TableType};
use datafusion::error::Result;

use super::computed::{Computed, Rows};
use super::lake_rows::{LakeRows, Which};
use super::memo::{Memoized, Memos};
use super::renumbered::{Renumber, Renumbered};
use super::widened::Widened;
use crate::plan::types::PG_TYPE_KEY;

/// Array columns of the overridden tables and their element types.
const ARRAY_COLUMNS: &[(&str, DataType)] = &[
    ("conkey", DataType::Int16),
    ("confkey", DataType::Int16),
    ("confdelsetcols", DataType::Int16),
    ("conpfeqop", DataType::Int32),
    ("conppeqop", DataType::Int32),
    ("conffeqop", DataType::Int32),
    ("conexclop", DataType::Int32),
    ("indkey", DataType::Int16),
    ("indoption", DataType::Int16),
    ("indcollation", DataType::Int32),
    ("indclass", DataType::Int32),
    ("polroles", DataType::Int32),
    ("stxkind", DataType::Utf8),
    ("stxkeys", DataType::Int16),
];

/// PostgreSQL's view of index definitions, which datafusion-pg-catalog does not have.
const PG_INDEXES: &str = "pg_indexes";

/// The pg_catalog tables Aloe adds to datafusion-pg-catalog's.
pub const ADDED_TABLES: &[&str] = &[PG_INDEXES];

/// Array columns whose PostgreSQL type is a vector type (text `1 2`, not `{1,2}`).
const VECTOR_COLUMNS: &[(&str, &str)] = &[
    ("indkey", "int2vector"),
    ("indoption", "int2vector"),
    ("indcollation", "oidvector"),
    ("indclass", "oidvector"),
    ("stxkeys", "int2vector"),
];

const EMPTY: [&str; 4] = ["pg_constraint", "pg_index", "pg_policy", "pg_statistic_ext"];

/// datafusion-pg-catalog's pg_catalog with some tables replaced.
#[derive(Debug)]
pub struct Overrides {
    /// The crate's pg_catalog.
    pub inner: Arc<dyn SchemaProvider>,
    /// The lake, for its indexes, descriptions and row counts.
    pub lake: Arc<aloe_connectors::lake::Lake>,
    /// Rows of the computed tables, kept until the catalog changes.
    pub memos: Arc<Memos>,
}

impl Overrides {
    /// `rows` as a table whose rows are kept in the memo `table`.
    fn memoized(&self, table: &'static str, rows: impl Rows) -> Arc<dyn TableProvider> {
        Arc::new(Computed(Memoized::new(table, rows, self.memos.clone())))
    }
}

#[async_trait]
impl SchemaProvider for Overrides {
    fn table_names(&self) -> Vec<String> {
        let mut names = self.inner.table_names();
        names.extend(ADDED_TABLES.iter().map(|t| (*t).to_owned()));
        names
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        if name == "pg_settings" {
            return Ok(Some(Arc::new(Computed(
                super::pg_settings::PgSettings::default(),
            ))));
        }
        if name == PG_INDEXES {
            let schema = Arc::new(Schema::new(
                [
                    "schemaname",
                    "tablename",
                    "indexname",
                    "tablespace",
                    "indexdef",
                ]
                .map(|c| Field::new(c, DataType::Utf8, true))
                .to_vec(),
            ));
            return Ok(Some(self.memoized(
                PG_INDEXES,
                LakeRows::new(Which::IndexDefinitions, schema, self.lake.clone(), None),
            )));
        }
        let inner = self.inner.table(name).await?;
        if name == "pg_views"
            && let Some(inner) = &inner
        {
            return Ok(Some(self.memoized(
                "pg_views",
                LakeRows::new(Which::Views, inner.schema(), self.lake.clone(), None),
            )));
        }
        let renumber = [
            Renumber::Namespace,
            Renumber::Class,
            Renumber::Attribute,
            Renumber::Database,
        ]
        .into_iter()
        .find(|r| r.table() == name);
        if let (Some(renumber), Some(inner)) = (renumber, &inner) {
            let renumbered = Renumbered::new(renumber, self.inner.clone(), inner);
            if renumber != Renumber::Class {
                return Ok(Some(self.memoized(renumber.table(), renumbered)));
            }
            let text_array =
                || DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true)));
            let widened = Widened::new(
                renumbered,
                vec![
                    Field::new("relacl", text_array(), true),
                    Field::new("reloptions", text_array(), true),
                ],
            );
            return Ok(Some(self.memoized(
                renumber.table(),
                LakeRows::new(
                    Which::IndexClasses,
                    widened.schema(),
                    self.lake.clone(),
                    Some(Arc::new(Computed(widened))),
                ),
            )));
        }
        if name == "pg_stat_user_tables"
            && let Some(inner) = inner
        {
            // Not kept: ingesters append to bronze without recording a change.
            return Ok(Some(Arc::new(Computed(LakeRows::new(
                Which::TableStats,
                inner.schema(),
                self.lake.clone(),
                None,
            )))));
        }
        if name == "pg_description"
            && let Some(inner) = inner
        {
            return Ok(Some(self.memoized(
                "pg_description",
                LakeRows::new(
                    Which::Descriptions,
                    inner.schema(),
                    self.lake.clone(),
                    Some(inner),
                ),
            )));
        }
        if !EMPTY.contains(&name) {
            return Ok(inner);
        }
        let Some(inner) = inner else {
            return Ok(None);
        };
        let fields: Vec<Field> = inner
            .schema()
            .fields()
            .iter()
            .map(
                |f| match ARRAY_COLUMNS.iter().find(|(n, _)| n == f.name()) {
                    Some((_, element)) => {
                        let field = Field::new(
                            f.name(),
                            DataType::List(Arc::new(Field::new_list_field(element.clone(), true))),
                            true,
                        );
                        match VECTOR_COLUMNS.iter().find(|(n, _)| n == f.name()) {
                            Some((_, vector)) => field.with_metadata(HashMap::from([(
                                PG_TYPE_KEY.to_owned(),
                                (*vector).to_owned(),
                            )])),
                            None => field,
                        }
                    }
                    None => f.as_ref().clone(),
                },
            )
            .collect();
        let schema = Arc::new(Schema::new(fields));
        if name == "pg_index" {
            return Ok(Some(self.memoized(
                "pg_index",
                LakeRows::new(Which::Indexes, schema, self.lake.clone(), None),
            )));
        }
        Ok(Some(Arc::new(MemTable::try_new(schema, vec![vec![]])?)))
    }

    async fn table_type(&self, name: &str) -> Result<Option<TableType>> {
        if name == PG_INDEXES {
            return Ok(Some(TableType::View));
        }
        self.inner.table_type(name).await
    }

    fn table_exist(&self, name: &str) -> bool {
        ADDED_TABLES.contains(&name) || self.inner.table_exist(name)
    }
}
