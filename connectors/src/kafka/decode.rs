//! Kafka messages to Arrow rows: one JSON object per message, plus the message's partition,
//! offset, timestamp and key. A message that is not exactly one object of the table's shape is
//! rejected with a reason, never dropped silently and never allowed to spoil its neighbours.

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, Int32Array, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::arrow::error::ArrowError;
use datafusion::arrow::json::ReaderBuilder;

/// Column with the message's partition.
pub const PARTITION: &str = "_partition";
/// Column with the message's offset.
pub const OFFSET: &str = "_offset";
/// Column with the message's timestamp.
pub const TIMESTAMP: &str = "_timestamp";
/// Column with the message's key, as text.
pub const KEY: &str = "_key";

/// One message, copied out of librdkafka's buffers.
#[derive(Debug, Clone)]
pub struct Message {
    /// Partition.
    pub partition: i32,
    /// Offset within the partition.
    pub offset: i64,
    /// Milliseconds since the epoch, as the producer or broker stamped it.
    pub timestamp_ms: Option<i64>,
    /// The key.
    pub key: Option<Vec<u8>>,
    /// The value.
    pub payload: Option<Vec<u8>>,
}

impl Message {
    /// A copy of what librdkafka handed over.
    pub fn copied(m: &rdkafka::message::BorrowedMessage<'_>) -> Self {
        use rdkafka::message::Message as _;
        Self {
            partition: m.partition(),
            offset: m.offset(),
            timestamp_ms: m.timestamp().to_millis(),
            key: m.key().map(<[u8]>::to_vec),
            payload: m.payload().map(<[u8]>::to_vec),
        }
    }
}

/// A message that could not be decoded, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Reject {
    /// Its position in the decoded slice.
    pub index: usize,
    /// Why it was refused.
    pub reason: String,
}

/// The rows of the good messages (in order) and the bad ones.
#[derive(Debug)]
pub struct Decoded {
    /// Table rows, message columns first, then the four Kafka columns.
    pub batch: RecordBatch,
    /// Messages refused.
    pub rejects: Vec<Reject>,
}

/// The table schema for message columns `payload`: those, then `_partition`, `_offset`,
/// `_timestamp` and `_key`.
pub fn table_schema(payload: &Schema) -> SchemaRef {
    let mut fields: Vec<Field> = payload
        .fields()
        .iter()
        .map(|f| f.as_ref().clone().with_nullable(true))
        .collect();
    fields.extend(metadata_fields());
    Arc::new(Schema::new(fields))
}

/// The four Kafka columns.
pub fn metadata_fields() -> [Field; 4] {
    [
        Field::new(PARTITION, DataType::Int32, false),
        Field::new(OFFSET, DataType::Int64, false),
        Field::new(
            TIMESTAMP,
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            true,
        ),
        Field::new(KEY, DataType::Utf8, true),
    ]
}

/// Decodes `messages` into rows of `table` (a schema from [`table_schema`]).
pub fn decode(table: &SchemaRef, messages: &[Message]) -> Result<Decoded, ArrowError> {
    let payload = payload_schema(table);
    let mut rejects = Vec::new();
    let candidates: Vec<usize> = (0..messages.len())
        .filter(|&i| match shape_problem(&messages[i]) {
            Some(reason) => {
                rejects.push(Reject { index: i, reason });
                false
            }
            None => true,
        })
        .collect();
    // The fast path decodes all candidates together; only when that fails are they decoded one
    // by one to find the culprits, so a clean batch costs one pass.
    let good = match decode_together(&payload, messages, &candidates)? {
        Some(rows) => return finish(table, rows, messages, &candidates, rejects),
        None => {
            let mut good = Vec::with_capacity(candidates.len());
            for &i in &candidates {
                match decode_one(&payload, &messages[i]) {
                    Ok(()) => good.push(i),
                    Err(reason) => rejects.push(Reject { index: i, reason }),
                }
            }
            rejects.sort_by_key(|r| r.index);
            good
        }
    };
    let rows = decode_together(&payload, messages, &good)?
        .ok_or_else(|| ArrowError::JsonError("messages decoded alone failed together".into()))?;
    finish(table, rows, messages, &good, rejects)
}

fn payload_schema(table: &SchemaRef) -> SchemaRef {
    let n = table.fields().len() - metadata_fields().len();
    Arc::new(Schema::new(table.fields()[..n].to_vec()))
}

/// Why a message cannot be one JSON object, judged from its first and last bytes.
fn shape_problem(m: &Message) -> Option<String> {
    let Some(p) = &m.payload else {
        return Some("message has no value".into());
    };
    let t = p.trim_ascii();
    if t.first() != Some(&b'{') || t.last() != Some(&b'}') {
        return Some("not a JSON object".into());
    }
    None
}

/// Rows of `which` decoded in one go, or None if any message fails.
fn decode_together(
    payload: &SchemaRef,
    messages: &[Message],
    which: &[usize],
) -> Result<Option<RecordBatch>, ArrowError> {
    let mut decoder = ReaderBuilder::new(payload.clone())
        .with_batch_size(which.len().max(1))
        .build_decoder()?;
    for (n, &i) in which.iter().enumerate() {
        let bytes = messages[i].payload.as_deref().unwrap_or_default();
        match decoder.decode(bytes) {
            Ok(used) if used == bytes.len() && !decoder.has_partial_record() => {}
            _ => return Ok(None),
        }
        // More than one object in a message would shift every row after it.
        if decoder.len() != n + 1 {
            return Ok(None);
        }
    }
    match decoder.flush() {
        Ok(Some(batch)) => Ok(Some(batch)),
        Ok(None) => Ok(Some(RecordBatch::new_empty(payload.clone()))),
        Err(_) => Ok(None),
    }
}

/// Whether one message decodes alone; the error says why not.
fn decode_one(payload: &SchemaRef, m: &Message) -> Result<(), String> {
    let mut decoder = ReaderBuilder::new(payload.clone())
        .build_decoder()
        .map_err(|e| e.to_string())?;
    let bytes = m.payload.as_deref().unwrap_or_default();
    let used = decoder.decode(bytes).map_err(|e| e.to_string())?;
    if used != bytes.len() || decoder.has_partial_record() {
        return Err("incomplete JSON object".into());
    }
    if decoder.len() != 1 {
        return Err(format!(
            "{} JSON values in one message; expected one object",
            decoder.len()
        ));
    }
    decoder.flush().map_err(|e| e.to_string())?;
    Ok(())
}

fn finish(
    table: &SchemaRef,
    rows: RecordBatch,
    messages: &[Message],
    which: &[usize],
    rejects: Vec<Reject>,
) -> Result<Decoded, ArrowError> {
    let mut columns: Vec<ArrayRef> = rows.columns().to_vec();
    columns.extend(metadata_columns(messages, which));
    let batch = RecordBatch::try_new(table.clone(), columns)?;
    Ok(Decoded { batch, rejects })
}

/// The Kafka columns of `which` messages.
pub fn metadata_columns(messages: &[Message], which: &[usize]) -> [ArrayRef; 4] {
    let pick = || which.iter().map(|&i| &messages[i]);
    [
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
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::AsArray;
    use datafusion::arrow::datatypes::Int64Type;

    fn msg(offset: i64, payload: &str) -> Message {
        Message {
            partition: 0,
            offset,
            timestamp_ms: Some(1_700_000_000_000),
            key: Some(b"k".to_vec()),
            payload: Some(payload.as_bytes().to_vec()),
        }
    }

    fn table() -> SchemaRef {
        table_schema(&Schema::new(vec![
            Field::new("id", DataType::Int64, true),
            Field::new("page", DataType::Utf8, true),
        ]))
    }

    #[test]
    fn clean_messages_decode_in_one_pass_with_their_metadata() {
        let m = [msg(5, r#"{"id": 1, "page": "/"}"#), msg(6, r#"{"id": 2}"#)];
        let d = decode(&table(), &m).unwrap();
        assert!(d.rejects.is_empty());
        assert_eq!(d.batch.num_rows(), 2);
        let ids = d.batch.column(0).as_primitive::<Int64Type>();
        assert_eq!(ids.values(), &[1, 2]);
        let offsets = d.batch.column(3).as_primitive::<Int64Type>();
        assert_eq!(offsets.values(), &[5, 6]);
        assert!(d.batch.column(1).is_null(1));
    }

    #[test]
    fn each_kind_of_bad_message_is_rejected_alone() {
        let m = [
            msg(0, r#"{"id": 1}"#),
            msg(1, r#"{"id": "#),
            msg(2, r#"{"id": 3}"#),
            msg(3, r#"{"id": "three"}"#),
            msg(4, r#"[1, 2]"#),
            msg(5, r#"{"id": 6}{"id": 7}"#),
            msg(6, ""),
            Message {
                payload: None,
                ..msg(7, "")
            },
            msg(8, r#"{"id": 9, "extra": true}"#),
        ];
        let d = decode(&table(), &m).unwrap();
        let rejected: Vec<usize> = d.rejects.iter().map(|r| r.index).collect();
        assert_eq!(rejected, [1, 3, 4, 5, 6, 7]);
        assert!(d.rejects[1].reason.contains("three"), "{:?}", d.rejects);
        let ids = d.batch.column(0).as_primitive::<Int64Type>();
        assert_eq!(ids.values(), &[1, 3, 9]);
        let offsets = d.batch.column(3).as_primitive::<Int64Type>();
        assert_eq!(offsets.values(), &[0, 2, 8]);
    }
}
