//! `aloe.ingest_status`: per ingested topic and partition, what bronze holds, what the broker
//! holds, the lag between them, and the ingester's counters.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use async_trait::async_trait;
use datafusion::arrow::array::{
    ArrayRef, BooleanArray, Int32Array, Int64Array, RecordBatch, StringArray,
    TimestampMillisecondArray,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::catalog::Session;
use datafusion::error::Result;

use aloe_engine::catalog::computed::Rows;
use aloe_engine::kafka::tables::KafkaTables;

/// The rows of `aloe.ingest_status`.
#[derive(Debug)]
pub struct IngestStatusRows(pub Arc<KafkaTables>);

#[async_trait]
impl Rows for IngestStatusRows {
    fn schema(&self) -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("table_name", DataType::Utf8, false),
            Field::new("topic", DataType::Utf8, false),
            Field::new("bronze_table", DataType::Utf8, false),
            Field::new("partition", DataType::Int32, false),
            Field::new("ingested_offset", DataType::Int64, true),
            Field::new("high_watermark", DataType::Int64, true),
            Field::new("lag", DataType::Int64, true),
            Field::new("rows", DataType::Int64, false),
            Field::new("quarantined", DataType::Int64, false),
            Field::new("errors", DataType::Int64, false),
            Field::new("connected", DataType::Boolean, false),
            Field::new(
                "last_commit",
                DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
                true,
            ),
        ]))
    }

    async fn batches(&self, _state: &dyn Session) -> Result<Vec<RecordBatch>> {
        let mut table = Vec::new();
        let mut topic = Vec::new();
        let mut bronze = Vec::new();
        let mut partition = Vec::new();
        let mut next = Vec::new();
        let mut high = Vec::new();
        let mut lag = Vec::new();
        let mut counters: [Vec<i64>; 3] = Default::default();
        let mut connected = Vec::new();
        let mut last = Vec::new();
        for (decl, status) in self.0.statuses() {
            for (p, progress) in status.partitions() {
                table.push(decl.name.clone());
                topic.push(decl.topic().to_owned());
                bronze.push(decl.bronze_table().unwrap_or_default().to_owned());
                partition.push(p);
                next.push(progress.next_offset);
                high.push(progress.high_watermark);
                lag.push(match (progress.high_watermark, progress.next_offset) {
                    (Some(h), Some(n)) => Some((h - n).max(0)),
                    (Some(h), None) => Some(h),
                    _ => None,
                });
                for (column, counter) in
                    counters
                        .iter_mut()
                        .zip([&status.rows, &status.quarantined, &status.errors])
                {
                    column.push(counter.load(Ordering::Relaxed) as i64);
                }
                connected.push(status.connected.load(Ordering::Relaxed));
                let at = status.last_commit_ms.load(Ordering::Relaxed);
                last.push((at > 0).then_some(at));
            }
        }
        let [rows, quarantined, errors] = counters;
        let columns: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(table)),
            Arc::new(StringArray::from(topic)),
            Arc::new(StringArray::from(bronze)),
            Arc::new(Int32Array::from(partition)),
            Arc::new(Int64Array::from(next)),
            Arc::new(Int64Array::from(high)),
            Arc::new(Int64Array::from(lag)),
            Arc::new(Int64Array::from(rows)),
            Arc::new(Int64Array::from(quarantined)),
            Arc::new(Int64Array::from(errors)),
            Arc::new(BooleanArray::from(connected)),
            Arc::new(TimestampMillisecondArray::from(last).with_timezone("UTC")),
        ];
        Ok(vec![RecordBatch::try_new(self.schema(), columns)?])
    }
}
