//! `CALL aloe.run()` / `CALL aloe.run('gold.campaign_daily', 'silver.orders+')`: the procedure
//! the binary registers with the engine, so that any client can build models. It answers one
//! row per model (model, status, rows, duration_ms, message); any failure also fails the
//! statement, after the report would show it, so scripts stop on it.

use std::sync::{Arc, Weak};

use aloe_engine::error::{EngineError, EngineResult, sqlstate};
use aloe_engine::procedures::Procedure;
use async_trait::async_trait;
use datafusion::arrow::array::{Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};

use super::{Models, ProjectError, RunStatus};

/// The name clients call it by.
pub const NAME: &str = "aloe.run";

/// Builds the models it names (all when none).
#[derive(Debug)]
pub struct RunModels(
    /// Weak: the engine keeps its procedures and the models keep the engine.
    Weak<Models>,
);

impl RunModels {
    /// The procedure over `models`.
    pub fn new(models: &Arc<Models>) -> Self {
        Self(Arc::downgrade(models))
    }
}

#[async_trait]
impl Procedure for RunModels {
    fn schema(&self) -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("model", DataType::Utf8, false),
            Field::new("status", DataType::Utf8, false),
            Field::new("rows", DataType::Int64, true),
            Field::new("duration_ms", DataType::Int64, false),
            Field::new("message", DataType::Utf8, true),
        ]))
    }

    async fn call(&self, selection: Vec<String>) -> EngineResult<RecordBatch> {
        let models = self.0.upgrade().ok_or_else(|| {
            EngineError::new(sqlstate::ADMIN_SHUTDOWN, "the server is shutting down")
        })?;
        let runs = models.run(&selection, |_| {}).await.map_err(|e| match e {
            ProjectError::Unknown(_) => EngineError::new(sqlstate::UNDEFINED_OBJECT, e.to_string()),
            other => EngineError::new(sqlstate::CONFIG_FILE_ERROR, other.to_string()),
        })?;
        let failed: Vec<String> = runs
            .iter()
            .filter(|r| r.status == RunStatus::Failed)
            .map(|r| format!("{}: {}", r.model, r.message.clone().unwrap_or_default()))
            .collect();
        if !failed.is_empty() {
            return Err(EngineError::new(
                sqlstate::RAISE_EXCEPTION,
                format!(
                    "{} of {} models failed (their previous versions stay): {}",
                    failed.len(),
                    runs.len(),
                    failed.join("; ")
                ),
            ));
        }
        Ok(RecordBatch::try_new(
            self.schema(),
            vec![
                Arc::new(StringArray::from_iter_values(runs.iter().map(|r| &r.model))),
                Arc::new(StringArray::from_iter_values(
                    runs.iter().map(|r| r.status.as_str()),
                )),
                Arc::new(Int64Array::from_iter(
                    runs.iter().map(|r| r.rows.map(|n| n as i64)),
                )),
                Arc::new(Int64Array::from_iter_values(
                    runs.iter().map(|r| r.duration.as_millis() as i64),
                )),
                Arc::new(StringArray::from_iter(
                    runs.iter().map(|r| r.message.clone()),
                )),
            ],
        )?)
    }
}
