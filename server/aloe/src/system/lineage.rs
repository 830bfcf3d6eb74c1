//! `aloe.lineage`: what each model reads, one row per (model, table read), from the tables its
//! query names and the targets of its relationships tests; so a dashboard can draw the graph
//! from bronze to gold.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::{ArrayRef, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::Session;
use datafusion::error::Result;

use crate::models::Models;
use aloe_engine::catalog::computed::Rows;

/// Rows of `aloe.lineage`.
#[derive(Debug)]
pub struct LineageRows(pub Arc<Models>);

#[async_trait]
impl Rows for LineageRows {
    fn schema(&self) -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("model", DataType::Utf8, false),
            Field::new("reads", DataType::Utf8, false),
            Field::new("reads_kind", DataType::Utf8, false),
            Field::new("reads_zone", DataType::Utf8, false),
        ]))
    }

    async fn batches(&self, _state: &dyn Session) -> Result<Vec<RecordBatch>> {
        // A folder that does not load has no graph to show; aloe.models says why.
        let Ok(project) = self.0.project() else {
            return Ok(vec![]);
        };
        let mut edges: Vec<(String, String, &'static str)> = Vec::new();
        for m in project.models.values() {
            edges.extend(
                m.depends_on
                    .iter()
                    .map(|d| (m.id.clone(), d.clone(), "model")),
            );
            edges.extend(
                m.sources
                    .iter()
                    .map(|s| (m.id.clone(), s.clone(), "source")),
            );
        }
        let column = |f: &dyn Fn(&(String, String, &'static str)) -> String| -> ArrayRef {
            Arc::new(edges.iter().map(|e| Some(f(e))).collect::<StringArray>())
        };
        let columns = vec![
            column(&|e| e.0.clone()),
            column(&|e| e.1.clone()),
            column(&|e| e.2.to_owned()),
            column(&|e| e.1.split('.').next().unwrap_or_default().to_owned()),
        ];
        Ok(vec![RecordBatch::try_new(self.schema(), columns)?])
    }
}
