//! Schema `aloe`: Aloe's own system tables, for dashboards of the pipeline's health.

pub mod ingest_status;

use std::sync::Arc;

use datafusion::catalog::{MemorySchemaProvider, SchemaProvider};
use datafusion::error::Result;

use crate::catalog::computed::Computed;
use crate::engine::kafka::KafkaTables;

/// The schema, over the server's Kafka tables.
pub fn schema(kafka: Arc<KafkaTables>) -> Result<Arc<dyn SchemaProvider>> {
    let schema = MemorySchemaProvider::new();
    schema.register_table(
        "ingest_status".into(),
        Arc::new(Computed(ingest_status::IngestStatusRows(kafka))),
    )?;
    Ok(Arc::new(schema))
}
