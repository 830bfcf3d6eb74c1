//! Schema `aloe`: Aloe's own system tables, for dashboards of the pipeline's health.

pub mod ingest_status;
pub mod lineage;
pub mod models;
pub mod test_results;

use std::sync::Arc;

use datafusion::catalog::{MemorySchemaProvider, SchemaProvider};
use datafusion::error::Result;

use aloe_engine::catalog::computed::Computed;
use aloe_engine::kafka::tables::KafkaTables;

/// The schema, over the server's Kafka tables and models.
pub fn schema(
    kafka: Arc<KafkaTables>,
    models: Arc<crate::models::Models>,
) -> Result<Arc<dyn SchemaProvider>> {
    let schema = MemorySchemaProvider::new();
    schema.register_table(
        "models".into(),
        Arc::new(Computed(models::ModelRows(models.clone()))),
    )?;
    schema.register_table(
        "runs".into(),
        Arc::new(Computed(models::RunRows(models.clone()))),
    )?;
    schema.register_table(
        "lineage".into(),
        Arc::new(Computed(lineage::LineageRows(models.clone()))),
    )?;
    schema.register_table(
        "test_results".into(),
        Arc::new(Computed(test_results::TestResultRows(models))),
    )?;
    schema.register_table(
        "ingest_status".into(),
        Arc::new(Computed(ingest_status::IngestStatusRows(kafka))),
    )?;
    Ok(Arc::new(schema))
}
