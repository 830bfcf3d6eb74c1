//! PostgreSQL's binary form of the values arrow-pg's binary encoders cannot write: a date or
//! timestamp that is `infinity` or `-infinity`. arrow-pg reads dates and timestamps through
//! chrono, where an infinity is no date, and would send NULL for it. A binary-format date or
//! timestamp column that holds one is sent as PostgreSQL's bytes for each value (an Arrow
//! binary column, which arrow-pg passes through as it is); other columns stay arrow-pg's.

use std::sync::Arc;

use aloe_engine::input::infinity;
use datafusion::arrow::array::{Array, ArrayRef, AsArray, BinaryArray, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Date32Type, Field, Schema, TimeUnit};
use datafusion::arrow::error::ArrowError;
use pgwire::api::results::{FieldFormat, FieldInfo};

/// Days from 1970-01-01 to PostgreSQL's epoch, 2000-01-01.
const EPOCH_DAYS: i32 = 10_957;
/// Microseconds from 1970-01-01 to 2000-01-01.
const EPOCH_MICROS: i64 = 946_684_800_000_000;

/// `batch` with its binary-format date and timestamp columns that hold an infinity as
/// PostgreSQL's binary bytes.
pub fn for_binary(fields: &[FieldInfo], batch: RecordBatch) -> Result<RecordBatch, ArrowError> {
    let rewrite: Vec<bool> = batch
        .columns()
        .iter()
        .zip(fields)
        .map(|(c, f)| f.format() == FieldFormat::Binary && has_infinity(c))
        .collect();
    if !rewrite.contains(&true) {
        return Ok(batch);
    }
    let schema = batch.schema();
    let mut new_fields = Vec::with_capacity(rewrite.len());
    let mut columns = Vec::with_capacity(rewrite.len());
    for ((column, field), bytes) in batch.columns().iter().zip(schema.fields()).zip(&rewrite) {
        if *bytes {
            columns.push(Arc::new(as_binary(column)) as ArrayRef);
            new_fields.push(Field::new(field.name(), DataType::Binary, true));
        } else {
            columns.push(column.clone());
            new_fields.push(field.as_ref().clone());
        }
    }
    RecordBatch::try_new(Arc::new(Schema::new(new_fields)), columns)
}

/// The raw counts of a date (days) or timestamp (its unit) column, with its unit.
fn counts(column: &ArrayRef) -> Option<(Vec<i64>, Option<TimeUnit>)> {
    match column.data_type() {
        DataType::Date32 => {
            let a = column.as_primitive::<Date32Type>();
            Some((a.values().iter().map(|&d| d as i64).collect(), None))
        }
        DataType::Timestamp(unit, _) => {
            let data = column.to_data();
            Some((data.buffer::<i64>(0).to_vec(), Some(*unit)))
        }
        _ => None,
    }
}

fn has_infinity(column: &ArrayRef) -> bool {
    infinity::of_array(column).iter().any(Option::is_some)
}

/// Each value's PostgreSQL binary form: int4 days since 2000-01-01 for a date, int8
/// microseconds since 2000-01-01 for a timestamp, the integer range's ends for infinities.
fn as_binary(column: &ArrayRef) -> BinaryArray {
    let (values, unit) = counts(column).expect("only dates and timestamps are rewritten");
    (0..column.len())
        .map(|i| {
            if column.is_null(i) {
                return None;
            }
            let v = values[i];
            Some(match unit {
                None => {
                    let days = v as i32;
                    let pg = match infinity::of_date(days) {
                        Some(end) => end.binary_date(),
                        None => days - EPOCH_DAYS,
                    };
                    pg.to_be_bytes().to_vec()
                }
                Some(unit) => {
                    let pg = match infinity::of_timestamp(v, unit) {
                        Some(end) => end.binary_timestamp(),
                        None => micros(v, unit) - EPOCH_MICROS,
                    };
                    pg.to_be_bytes().to_vec()
                }
            })
        })
        .collect()
}

/// A count in `unit` as microseconds, rounded down as chrono rounds a time down.
fn micros(v: i64, unit: TimeUnit) -> i64 {
    match unit {
        TimeUnit::Second => v.saturating_mul(1_000_000),
        TimeUnit::Millisecond => v.saturating_mul(1_000),
        TimeUnit::Microsecond => v,
        TimeUnit::Nanosecond => v.div_euclid(1_000),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Date32Array, TimestampMicrosecondArray};
    use pgwire::api::Type;

    fn field(ty: Type) -> FieldInfo {
        FieldInfo::new("x".into(), None, None, ty, FieldFormat::Binary)
    }

    #[test]
    fn infinite_dates_and_timestamps_are_the_integer_range_ends() {
        let dates: ArrayRef = Arc::new(Date32Array::from(vec![
            Some(infinity::Infinity::Plus.date()),
            Some(10_957),
            None,
        ]));
        let out = as_binary(&dates);
        assert_eq!(out.value(0), i32::MAX.to_be_bytes());
        assert_eq!(out.value(1), 0i32.to_be_bytes());
        assert!(out.is_null(2));
        let stamps: ArrayRef = Arc::new(TimestampMicrosecondArray::from(vec![
            infinity::Infinity::Minus.timestamp(TimeUnit::Microsecond),
            EPOCH_MICROS + 1,
        ]));
        let out = as_binary(&stamps);
        assert_eq!(out.value(0), i64::MIN.to_be_bytes());
        assert_eq!(out.value(1), 1i64.to_be_bytes());
    }

    #[test]
    fn finite_columns_are_left_to_arrow_pg() {
        let dates: ArrayRef = Arc::new(Date32Array::from(vec![Some(1), None]));
        let schema = Schema::new(vec![Field::new("x", DataType::Date32, true)]);
        let batch = RecordBatch::try_new(Arc::new(schema), vec![dates]).expect("batch");
        let out = for_binary(&[field(Type::DATE)], batch.clone()).expect("encoded");
        assert_eq!(out.column(0).data_type(), &DataType::Date32);
    }
}
