//! Procedures that `CALL` runs. The engine knows none of them: whoever embeds it registers them
//! (the binary registers `aloe.run`, which builds the SQL models), so the engine never reaches
//! into the models.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;

use crate::error::EngineResult;

/// A procedure: its answer's columns and what it does with its arguments.
#[async_trait]
pub trait Procedure: Send + Sync + std::fmt::Debug {
    /// The columns of its answer, known before it runs (for Describe).
    fn schema(&self) -> SchemaRef;
    /// Runs it with its arguments, which `CALL` takes as string literals.
    async fn call(&self, args: Vec<String>) -> EngineResult<RecordBatch>;
}

/// The procedures by qualified name (`aloe.run`), shared by every session.
#[derive(Debug, Default)]
pub struct Procedures(RwLock<BTreeMap<String, Arc<dyn Procedure>>>);

impl Procedures {
    /// Adds (or replaces) procedure `name`.
    pub fn register(&self, name: &str, procedure: Arc<dyn Procedure>) {
        self.0
            .write()
            .expect("procedures lock")
            .insert(name.to_ascii_lowercase(), procedure);
    }

    /// Procedure `name`, if registered.
    pub fn get(&self, name: &str) -> Option<Arc<dyn Procedure>> {
        self.0
            .read()
            .expect("procedures lock")
            .get(&name.to_ascii_lowercase())
            .cloned()
    }

    /// The registered names, for an error that says what exists.
    pub fn names(&self) -> Vec<String> {
        self.0
            .read()
            .expect("procedures lock")
            .keys()
            .cloned()
            .collect()
    }
}
