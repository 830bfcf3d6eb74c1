//! `aloe.test_results`: every data test run since the server started, one row per test and
//! model run.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::{
    ArrayRef, BooleanArray, Int64Array, RecordBatch, StringArray, TimestampMillisecondArray,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::catalog::Session;
use datafusion::error::Result;

use crate::models::Models;
use aloe_engine::catalog::computed::Rows;

/// Rows of `aloe.test_results`.
#[derive(Debug)]
pub struct TestResultRows(pub Arc<Models>);

#[async_trait]
impl Rows for TestResultRows {
    fn schema(&self) -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("run_id", DataType::Int64, false),
            Field::new("model", DataType::Utf8, false),
            Field::new("test", DataType::Utf8, false),
            Field::new("severity", DataType::Utf8, false),
            Field::new("status", DataType::Utf8, false),
            Field::new("failing_rows", DataType::Int64, false),
            Field::new("blocked", DataType::Boolean, false),
            Field::new(
                "started",
                DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
                false,
            ),
            Field::new("duration_ms", DataType::Int64, false),
            Field::new("message", DataType::Utf8, true),
        ]))
    }

    async fn batches(&self, _state: &dyn Session) -> Result<Vec<RecordBatch>> {
        let runs = self.0.history().runs();
        let tests: Vec<_> = runs
            .iter()
            .flat_map(|(id, run)| run.tests.iter().map(move |t| (*id, &run.model, t)))
            .collect();
        let text = |f: &dyn Fn(&crate::models::test_run::TestResult) -> String| -> ArrayRef {
            Arc::new(
                tests
                    .iter()
                    .map(|(_, _, t)| Some(f(t)))
                    .collect::<StringArray>(),
            )
        };
        let columns: Vec<ArrayRef> = vec![
            Arc::new(
                tests
                    .iter()
                    .map(|(id, _, _)| *id as i64)
                    .collect::<Int64Array>(),
            ),
            Arc::new(
                tests
                    .iter()
                    .map(|(_, m, _)| Some(m.as_str()))
                    .collect::<StringArray>(),
            ),
            text(&|t| t.test.clone()),
            text(&|t| t.severity.as_str().to_owned()),
            text(&|t| t.status.as_str().to_owned()),
            Arc::new(
                tests
                    .iter()
                    .map(|(_, _, t)| t.failing_rows as i64)
                    .collect::<Int64Array>(),
            ),
            Arc::new(
                tests
                    .iter()
                    .map(|(_, _, t)| Some(t.blocks()))
                    .collect::<BooleanArray>(),
            ),
            Arc::new(
                tests
                    .iter()
                    .map(|(_, _, t)| Some(t.started.timestamp_millis()))
                    .collect::<TimestampMillisecondArray>()
                    .with_timezone("UTC"),
            ),
            Arc::new(
                tests
                    .iter()
                    .map(|(_, _, t)| t.duration.as_millis() as i64)
                    .collect::<Int64Array>(),
            ),
            Arc::new(
                tests
                    .iter()
                    .map(|(_, _, t)| t.message.clone())
                    .collect::<StringArray>(),
            ),
        ];
        Ok(vec![RecordBatch::try_new(self.schema(), columns)?])
    }
}
