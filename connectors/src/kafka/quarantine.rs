//! The quarantine table: messages an ingester could not turn into rows, kept with their raw
//! bytes, where they came from and why, so nothing is lost and someone can look.

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BinaryArray, RecordBatch, StringArray, TimestampMicrosecondArray,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::arrow::error::ArrowError;

use super::decode::{Message, Reject, metadata_columns};

/// Name of the quarantine table next to bronze table `table`.
pub fn table_name(table: &str) -> String {
    format!("{table}_quarantine")
}

/// The quarantine table's columns.
pub fn schema() -> SchemaRef {
    let ts = DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
    Arc::new(Schema::new(vec![
        Field::new("topic", DataType::Utf8, false),
        Field::new("_partition", DataType::Int32, false),
        Field::new("_offset", DataType::Int64, false),
        Field::new("_timestamp", ts.clone(), true),
        Field::new("_key", DataType::Utf8, true),
        Field::new("raw", DataType::Binary, true),
        Field::new("reason", DataType::Utf8, false),
        Field::new("quarantined_at", ts, false),
    ]))
}

/// Rows for `rejects` of `messages`.
pub fn rows(
    topic: &str,
    messages: &[Message],
    rejects: &[Reject],
) -> Result<RecordBatch, ArrowError> {
    let now = chrono::Utc::now().timestamp_micros();
    let which: Vec<usize> = rejects.iter().map(|r| r.index).collect();
    let mut columns: Vec<ArrayRef> = vec![Arc::new(StringArray::from(vec![topic; which.len()]))];
    columns.extend(metadata_columns(messages, &which));
    columns.push(Arc::new(
        which
            .iter()
            .map(|&i| messages[i].payload.as_deref())
            .collect::<BinaryArray>(),
    ));
    columns.push(Arc::new(
        rejects
            .iter()
            .map(|r| Some(r.reason.as_str()))
            .collect::<StringArray>(),
    ));
    columns.push(Arc::new(
        TimestampMicrosecondArray::from(vec![now; which.len()]).with_timezone("UTC"),
    ));
    RecordBatch::try_new(schema(), columns)
}
