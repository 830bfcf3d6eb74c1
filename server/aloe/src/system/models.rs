//! `aloe.models` (each model: zone, materialization, what it reads, its last run) and
//! `aloe.runs` (every model run since the server started).

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::{
    ArrayRef, Int64Array, RecordBatch, StringArray, TimestampMillisecondArray,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::catalog::Session;
use datafusion::error::Result;

use crate::models::{ModelRun, Models};
use aloe_engine::catalog::computed::Rows;

fn ts() -> DataType {
    DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()))
}

/// Rows of `aloe.models`.
#[derive(Debug)]
pub struct ModelRows(pub Arc<Models>);

#[async_trait]
impl Rows for ModelRows {
    fn schema(&self) -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("name", DataType::Utf8, false),
            Field::new("zone", DataType::Utf8, false),
            Field::new("materialized", DataType::Utf8, false),
            Field::new("depends_on", DataType::Utf8, false),
            Field::new("sources", DataType::Utf8, false),
            Field::new("schedule", DataType::Utf8, true),
            Field::new("description", DataType::Utf8, true),
            Field::new("last_run", ts(), true),
            Field::new("status", DataType::Utf8, true),
            Field::new("rows", DataType::Int64, true),
            Field::new("duration_ms", DataType::Int64, true),
            Field::new("message", DataType::Utf8, true),
            Field::new("version", DataType::Int64, true),
        ]))
    }

    async fn batches(&self, _state: &dyn Session) -> Result<Vec<RecordBatch>> {
        // The folder as it is now, with what is known of each model's last run.
        let known = self.0.history().models();
        let project = self.0.project().ok();
        let models: Vec<_> = match &project {
            Some(p) => p
                .models
                .values()
                .map(|m| {
                    let last = known
                        .iter()
                        .find(|k| k.model.id == m.id)
                        .and_then(|k| k.last.clone());
                    (m.clone(), last)
                })
                .collect(),
            None => known.into_iter().map(|k| (k.model, k.last)).collect(),
        };
        let mut versions = Vec::with_capacity(models.len());
        for (m, _) in &models {
            versions.push(self.0.table_version(&m.zone, &m.name).await);
        }
        let text = |f: &dyn Fn(&crate::models::Model) -> String| -> ArrayRef {
            Arc::new(
                models
                    .iter()
                    .map(|(m, _)| Some(f(m)))
                    .collect::<StringArray>(),
            )
        };
        let last = |f: &dyn Fn(&ModelRun) -> Option<String>| -> ArrayRef {
            Arc::new(
                models
                    .iter()
                    .map(|(_, r)| r.as_ref().and_then(f))
                    .collect::<StringArray>(),
            )
        };
        let columns: Vec<ArrayRef> = vec![
            text(&|m| m.name.clone()),
            text(&|m| m.zone.clone()),
            text(&|m| m.header.materialized.as_str().to_owned()),
            text(&|m| m.depends_on.iter().cloned().collect::<Vec<_>>().join(",")),
            text(&|m| m.sources.iter().cloned().collect::<Vec<_>>().join(",")),
            Arc::new(
                models
                    .iter()
                    .map(|(m, _)| m.header.schedule.clone())
                    .collect::<StringArray>(),
            ),
            Arc::new(
                models
                    .iter()
                    .map(|(m, _)| m.header.description.clone())
                    .collect::<StringArray>(),
            ),
            Arc::new(
                models
                    .iter()
                    .map(|(_, r)| r.as_ref().map(|r| r.started.timestamp_millis()))
                    .collect::<TimestampMillisecondArray>()
                    .with_timezone("UTC"),
            ),
            last(&|r| Some(r.status.as_str().to_owned())),
            Arc::new(
                models
                    .iter()
                    .map(|(_, r)| r.as_ref().and_then(|r| r.rows).map(|n| n as i64))
                    .collect::<Int64Array>(),
            ),
            Arc::new(
                models
                    .iter()
                    .map(|(_, r)| r.as_ref().map(|r| r.duration.as_millis() as i64))
                    .collect::<Int64Array>(),
            ),
            last(&|r| r.message.clone()),
            Arc::new(versions.into_iter().collect::<Int64Array>()),
        ];
        Ok(vec![RecordBatch::try_new(self.schema(), columns)?])
    }
}

/// Rows of `aloe.runs`.
#[derive(Debug)]
pub struct RunRows(pub Arc<Models>);

#[async_trait]
impl Rows for RunRows {
    fn schema(&self) -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("run_id", DataType::Int64, false),
            Field::new("model", DataType::Utf8, false),
            Field::new("status", DataType::Utf8, false),
            Field::new("started", ts(), false),
            Field::new("duration_ms", DataType::Int64, false),
            Field::new("rows", DataType::Int64, true),
            Field::new("message", DataType::Utf8, true),
        ]))
    }

    async fn batches(&self, _state: &dyn Session) -> Result<Vec<RecordBatch>> {
        let runs = self.0.history().runs();
        let columns: Vec<ArrayRef> = vec![
            Arc::new(
                runs.iter()
                    .map(|(id, _)| *id as i64)
                    .collect::<Int64Array>(),
            ),
            Arc::new(
                runs.iter()
                    .map(|(_, r)| Some(r.model.clone()))
                    .collect::<StringArray>(),
            ),
            Arc::new(
                runs.iter()
                    .map(|(_, r)| Some(r.status.as_str()))
                    .collect::<StringArray>(),
            ),
            Arc::new(
                runs.iter()
                    .map(|(_, r)| Some(r.started.timestamp_millis()))
                    .collect::<TimestampMillisecondArray>()
                    .with_timezone("UTC"),
            ),
            Arc::new(
                runs.iter()
                    .map(|(_, r)| r.duration.as_millis() as i64)
                    .collect::<Int64Array>(),
            ),
            Arc::new(
                runs.iter()
                    .map(|(_, r)| r.rows.map(|n| n as i64))
                    .collect::<Int64Array>(),
            ),
            Arc::new(
                runs.iter()
                    .map(|(_, r)| r.message.clone())
                    .collect::<StringArray>(),
            ),
        ];
        Ok(vec![RecordBatch::try_new(self.schema(), columns)?])
    }
}
