//! The quarantine table: messages an ingester could not turn into rows, kept with their raw
//! bytes, where they came from and why, so nothing is lost and someone can look.

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BinaryArray, Int32Array, Int64Array, RecordBatch, StringArray,
    TimestampMicrosecondArray,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::arrow::error::ArrowError;

use super::decode::{Message, Reject};

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
    let pick = || rejects.iter().map(|r| &messages[r.index]);
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(vec![topic; rejects.len()])),
        Arc::new(pick().map(|m| m.partition).collect::<Int32Array>()),
        Arc::new(pick().map(|m| m.offset).collect::<Int64Array>()),
        Arc::new(
            pick()
                .map(|m| m.timestamp_ms.map(|t| t * 1000))
                .collect::<TimestampMicrosecondArray>()
                .with_timezone("UTC"),
        ),
        Arc::new(
            pick()
                .map(|m| {
                    m.key
                        .as_deref()
                        .map(|k| String::from_utf8_lossy(k).into_owned())
                })
                .collect::<StringArray>(),
        ),
        Arc::new(
            pick()
                .map(|m| m.payload.as_deref())
                .collect::<BinaryArray>(),
        ),
        Arc::new(
            rejects
                .iter()
                .map(|r| Some(r.reason.as_str()))
                .collect::<StringArray>(),
        ),
        Arc::new(TimestampMicrosecondArray::from(vec![now; rejects.len()]).with_timezone("UTC")),
    ];
    RecordBatch::try_new(schema(), columns)
}
