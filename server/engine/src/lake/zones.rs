//! The engine over the lake's zones: which tables exist, their versions, rows and write
//! times, listing a zone again, and opening the whole lake at start.

use std::collections::BTreeMap;

use aloe_connectors::lake::delta::{self};
use aloe_connectors::lake::{TableKind, views};

use crate::Engine;
use crate::error::{EngineError, EngineResult, sqlstate};

impl Engine {
    /// Whether zone `zone` serves a table or view `name`.
    pub fn has_table(&self, zone: &str, name: &str) -> bool {
        self.shared
            .lake
            .schema(zone)
            .is_some_and(|s| s.get(name).is_some())
    }

    /// The Delta version of table `name` in `zone`; None for other kinds of table.
    pub async fn table_version(&self, zone: &str, name: &str) -> Option<i64> {
        let schema = self.shared.lake.schema(zone)?;
        let table = schema.get(name)?;
        if table.kind != TableKind::Delta {
            return None;
        }
        delta::version(&schema.zone, table.url.as_ref()?)
            .await
            .ok()
            .flatten()
    }

    /// Replaces the column comments of table `name` in `zone` (shown by col_description and
    /// psql's `\d+`).
    pub async fn set_column_comments(
        &self,
        zone: &str,
        name: &str,
        comments: &BTreeMap<String, String>,
    ) -> EngineResult<()> {
        let schema = self.shared.lake.schema(zone).ok_or_else(|| {
            EngineError::new(sqlstate::INVALID_SCHEMA_NAME, format!("no zone {zone}"))
        })?;
        aloe_connectors::lake::column_comments::write(&schema.zone, name, comments).await?;
        Ok(())
    }

    /// Rows of every user table as pg_stat_user_tables gives them: (schema, table, rows).
    pub async fn table_rows(&self) -> Vec<(String, String, i64)> {
        let Ok(session) = self.session("aloe", &BTreeMap::new()) else {
            return vec![];
        };
        let ctx = datafusion::prelude::SessionContext::new_with_state(session.state());
        let Ok(frame) = ctx
            .sql("SELECT schemaname, relname, n_live_tup FROM pg_catalog.pg_stat_user_tables")
            .await
        else {
            return vec![];
        };
        let Ok(batches) = frame.collect().await else {
            return vec![];
        };
        let mut out = Vec::new();
        for batch in batches {
            use datafusion::arrow::array::AsArray;
            let text = |i: usize| {
                datafusion::arrow::compute::cast(
                    batch.column(i),
                    &datafusion::arrow::datatypes::DataType::Utf8,
                )
            };
            let (Ok(schema), Ok(table), Ok(n)) = (
                text(0),
                text(1),
                datafusion::arrow::compute::cast(
                    batch.column(2),
                    &datafusion::arrow::datatypes::DataType::Int64,
                ),
            ) else {
                continue;
            };
            let n = n.as_primitive::<datafusion::arrow::datatypes::Int64Type>();
            for i in 0..batch.num_rows() {
                out.push((
                    schema.as_string::<i32>().value(i).to_owned(),
                    table.as_string::<i32>().value(i).to_owned(),
                    n.value(i),
                ));
            }
        }
        out
    }

    /// When each lake table was last written: (zone, table, time).
    pub async fn table_write_times(&self) -> Vec<(String, String, chrono::DateTime<chrono::Utc>)> {
        let mut out = Vec::new();
        for schema in self.shared.lake.schemas() {
            for (name, table) in schema.entries() {
                let Some(url) = &table.url else { continue };
                if let Ok(Some(at)) =
                    aloe_connectors::lake::fingerprint::last_modified(&schema.zone, url).await
                {
                    out.push((schema.zone.name.clone(), name, at));
                }
            }
        }
        out
    }

    /// Whether every zone's store answers a listing; the error names the first that does not.
    pub async fn check_lake(&self) -> Result<(), String> {
        use futures::TryStreamExt;
        for schema in self.shared.lake.schemas() {
            let root = schema.zone.root();
            let mut listing = schema.zone.store.list(Some(&root));
            if let Err(e) = listing.try_next().await {
                return Err(format!(
                    "zone {} ({}): {e}",
                    schema.zone.name, schema.zone.url
                ));
            }
        }
        Ok(())
    }

    /// Lists zone `zone` again, so files written by another process are served.
    pub async fn refresh_zone(&self, zone: &str) -> EngineResult<()> {
        let session = self.session("aloe", &BTreeMap::new())?;
        self.shared.lake.refresh(&session.state(), zone).await?;
        // What was listed may differ from what cached results were computed from.
        self.shared.result_cache.invalidate();
        Ok(())
    }

    /// Lists every zone, opens its tables and loads the views kept in it. A view that cannot
    /// be planned (its tables are gone) is skipped with a warning and stays in the lake.
    pub async fn open_lake(&self) -> EngineResult<()> {
        let session = self.session("aloe", &BTreeMap::new())?;
        let state = session.state();
        // Schemas made by CREATE SCHEMA before the restart join the catalog first.
        if let Some(catalog) = state.catalog_list().catalog(session.database()) {
            for schema in self.shared.lake.open_user_schemas().await? {
                catalog.register_schema(&schema.zone.name.clone(), schema)?;
            }
        }
        for schema in self.shared.lake.schemas() {
            self.shared.lake.refresh(&state, &schema.zone.name).await?;
        }
        let mut pending = Vec::new();
        for schema in self.shared.lake.schemas() {
            for (name, sql) in views::list(&schema.zone).await? {
                pending.push((schema.clone(), name, sql));
            }
        }
        // A view may read another view: plan what can be planned until nothing more can.
        loop {
            let before = pending.len();
            let mut failed = Vec::new();
            for (schema, name, sql) in pending {
                if let Err(e) = session.install_view(&schema, &name, &sql).await {
                    failed.push((schema, name, sql, e));
                }
            }
            let progress = failed.len() < before;
            pending = failed
                .into_iter()
                .map(|(schema, name, sql, e)| {
                    if !progress {
                        tracing::warn!(view = %name, zone = %schema.zone.name, error = %e, "view not served");
                    }
                    (schema, name, sql)
                })
                .collect();
            if !progress || pending.is_empty() {
                break;
            }
        }
        Ok(())
    }
}
