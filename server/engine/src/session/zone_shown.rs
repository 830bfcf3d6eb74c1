//! A result's `timestamptz` columns shown in the session's `TimeZone`, as PostgreSQL shows
//! every timestamptz: a column read from a Delta table is zoned UTC and a literal is zoned
//! by the session, and the text output writes each value in its column's zone. The instant
//! stays; only the zone named in the type changes, so the cast copies no values.

use std::sync::Arc;

use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::error::Result;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use futures::StreamExt;

/// `stream` with its zoned timestamp columns zoned `zone`; the stream itself if none differs.
pub fn shown_in(stream: SendableRecordBatchStream, zone: &str) -> SendableRecordBatchStream {
    let schema = stream.schema();
    let other = |t: &DataType| matches!(t, DataType::Timestamp(_, Some(z)) if z.as_ref() != zone);
    if !schema.fields().iter().any(|f| other(f.data_type())) {
        return stream;
    }
    let zoned: SchemaRef = Arc::new(Schema::new_with_metadata(
        schema
            .fields()
            .iter()
            .map(|f| match f.data_type() {
                DataType::Timestamp(unit, Some(_)) if other(f.data_type()) => Field::new(
                    f.name(),
                    DataType::Timestamp(*unit, Some(zone.into())),
                    f.is_nullable(),
                )
                .with_metadata(f.metadata().clone()),
                _ => f.as_ref().clone(),
            })
            .collect::<Vec<_>>(),
        schema.metadata().clone(),
    ));
    let target = zoned.clone();
    let batches = stream.map(move |batch| rezoned(batch?, &target));
    Box::pin(RecordBatchStreamAdapter::new(zoned, batches))
}

fn rezoned(batch: RecordBatch, schema: &SchemaRef) -> Result<RecordBatch> {
    let columns = batch
        .columns()
        .iter()
        .zip(schema.fields())
        .map(|(c, f)| {
            if c.data_type() == f.data_type() {
                Ok(c.clone())
            } else {
                cast(c, f.data_type())
            }
        })
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(RecordBatch::try_new(schema.clone(), columns)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Array, TimestampMicrosecondArray};
    use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
    use futures::stream;

    #[tokio::test]
    async fn zoned_columns_take_the_session_zone_and_keep_their_instant() {
        let utc = TimestampMicrosecondArray::from(vec![1_000_000]).with_timezone("UTC");
        let schema = Arc::new(Schema::new(vec![Field::new(
            "z",
            utc.data_type().clone(),
            true,
        )]));
        let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(utc)]).expect("batch");
        let input: SendableRecordBatchStream = Box::pin(RecordBatchStreamAdapter::new(
            schema,
            stream::iter(vec![Ok(batch)]),
        ));
        let mut out = shown_in(input, "Europe/Paris");
        let batch = out.next().await.expect("a batch").expect("no error");
        let z = batch
            .column(0)
            .as_any()
            .downcast_ref::<TimestampMicrosecondArray>()
            .expect("timestamps");
        assert_eq!(z.timezone(), Some("Europe/Paris"));
        assert_eq!(z.value(0), 1_000_000);
    }
}
