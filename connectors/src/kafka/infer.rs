//! A message schema inferred from a sample of the topic, for tables declared without columns.

use std::sync::Arc;

use datafusion::arrow::datatypes::{Schema, SchemaRef};
use datafusion::arrow::json::reader::infer_json_schema_from_iterator;

use super::client;
use super::config::KafkaTableDecl;
use super::error::{KafkaError, KafkaResult};

/// Reads up to `decl.sample` messages, spread over the partitions from their start, and infers
/// the columns of the JSON objects among them. Blocking.
pub fn infer(decl: &KafkaTableDecl) -> KafkaResult<SchemaRef> {
    let consumer = client::consumer(decl)?;
    let partitions = client::partitions(decl, &consumer)?;
    let per_partition = (decl.sample / partitions.len()).max(1) as i64;
    let mut values = Vec::new();
    for p in partitions {
        let (low, high) = client::watermarks(decl, &consumer, p)?;
        let range = (low, high.min(low + per_partition));
        client::read_range(decl, &consumer, p, range, 1024, |messages| {
            values.extend(messages.iter().filter_map(|m| {
                serde_json::from_slice::<serde_json::Value>(m.payload.as_deref()?)
                    .ok()
                    .filter(serde_json::Value::is_object)
            }));
            true
        })?;
    }
    if values.is_empty() {
        return Err(KafkaError::Decode {
            table: decl.name.clone(),
            message: format!(
                "cannot infer columns: topic \"{}\" holds no JSON object yet; declare the \
                 columns",
                decl.topic()
            ),
        });
    }
    let schema: Schema = infer_json_schema_from_iterator(values.iter().map(Ok))?;
    Ok(Arc::new(schema))
}
