//! Where a model's new rows wait while its blocking data tests run: schema `aloe_staging`,
//! in memory, one table per model being built. Readers of the model's own table keep seeing
//! the previous version until the tests pass; the staged rows are then published in one
//! Delta commit, so what is published is exactly what was tested.
//!
//! The staged rows are held in memory for the time of the tests (the model's result, once):
//! a lake folder would spare the memory but cost a second write of every row.

use std::sync::Arc;

use datafusion::catalog::{MemorySchemaProvider, SchemaProvider};
use datafusion::datasource::MemTable;
use futures::TryStreamExt;

use super::project::Model;
use aloe_engine::Session;

/// The schema's name.
pub const SCHEMA: &str = "aloe_staging";

/// What a data test reads as the model's rows (`{this}`).
#[derive(Debug, Clone, Copy)]
pub enum Subject<'a> {
    /// A table, by its quoted reference.
    Table(&'a str),
    /// A query (a view's), read through a CTE named `aloe_this`.
    Query(&'a str),
}

impl Subject<'_> {
    /// `test` (a query over `{this}` already substituted by [`Subject::this`]) ready to run.
    pub fn wrap(&self, test: &str) -> String {
        match self {
            Self::Table(_) => test.to_owned(),
            Self::Query(q) => {
                let head = test.trim_start();
                match head.get(..5) {
                    Some(w) if w.eq_ignore_ascii_case("with ") => {
                        format!("WITH aloe_this AS ({q}), {}", &head[5..])
                    }
                    _ => format!("WITH aloe_this AS ({q}) {head}"),
                }
            }
        }
    }

    /// What `{this}` becomes.
    pub fn this(&self) -> &str {
        match self {
            Self::Table(t) => t,
            Self::Query(_) => "aloe_this",
        }
    }
}

/// The staging schema of one server.
#[derive(Debug, Default)]
pub struct Staging {
    schema: Arc<MemorySchemaProvider>,
}

/// A model's staged rows; dropped from the schema when this is dropped.
#[derive(Debug)]
pub struct Staged {
    schema: Arc<MemorySchemaProvider>,
    name: String,
    reference: String,
}

impl Staged {
    /// The quoted `aloe_staging."zone__name"` reference.
    pub fn reference(&self) -> &str {
        &self.reference
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        let _ = self.schema.deregister_table(&self.name);
    }
}

impl Staging {
    /// The schema to register in the catalog.
    pub fn schema(&self) -> Arc<dyn SchemaProvider> {
        self.schema.clone()
    }

    /// Runs `model`'s query in `session` and stages its rows.
    pub async fn stage(&self, session: &Session, model: &Model) -> Result<Staged, String> {
        self.stage_query(
            session,
            &format!("{}__{}", model.zone, model.name),
            &model.query,
        )
        .await
    }

    /// Registers `table` as staged table `name`.
    pub fn put(
        &self,
        name: &str,
        table: Arc<dyn datafusion::catalog::TableProvider>,
    ) -> Result<Staged, String> {
        self.schema
            .register_table(name.to_owned(), table)
            .map_err(|e| e.to_string())?;
        Ok(Staged {
            schema: self.schema.clone(),
            reference: format!("{SCHEMA}.\"{}\"", name.replace('"', "\"\"")),
            name: name.to_owned(),
        })
    }

    /// Runs `query` in `session` and stages its rows as `name`.
    pub async fn stage_query(
        &self,
        session: &Session,
        name: &str,
        query: &str,
    ) -> Result<Staged, String> {
        let (schema, stream) = super::query::rows(session, query, "a model").await?;
        let batches: Vec<_> = stream.try_collect().await.map_err(|e| e.to_string())?;
        let table = MemTable::try_new(schema, vec![batches]).map_err(|e| e.to_string())?;
        self.put(name, Arc::new(table))
    }
}
