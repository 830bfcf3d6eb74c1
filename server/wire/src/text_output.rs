//! Text-format columns whose text arrow-pg and pgwire write otherwise than PostgreSQL (floats,
//! timestamps, times, intervals, infinite dates: `aloe_engine::output::text`), and int2vector
//! and oidvector columns, turned into PostgreSQL's text here, before arrow-pg encodes the
//! batch; binary-format columns are left to arrow-pg (and `binary_output`).

use std::sync::Arc;

use aloe_engine::output::text;
use datafusion::arrow::array::{Array, ArrayRef, AsArray, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::arrow::error::ArrowError;
use pgwire::api::Type;
use pgwire::api::results::{FieldFormat, FieldInfo};

/// `batch` with its text-format float, timestamp and time columns as PostgreSQL's text.
pub fn for_text(fields: &[FieldInfo], batch: RecordBatch) -> Result<RecordBatch, ArrowError> {
    let rewrite: Vec<bool> = batch
        .columns()
        .iter()
        .zip(fields)
        .map(|(c, f)| {
            f.format() == FieldFormat::Text
                && (rewritten(c.data_type()) || is_vector(f) || text::has_infinite_date(c))
        })
        .collect();
    if !rewrite.contains(&true) {
        return Ok(batch);
    }
    let schema = batch.schema();
    let mut new_fields = Vec::with_capacity(rewrite.len());
    let mut columns = Vec::with_capacity(rewrite.len());
    for (((column, field), text), info) in batch
        .columns()
        .iter()
        .zip(schema.fields())
        .zip(&rewrite)
        .zip(fields)
    {
        if *text && is_vector(info) {
            columns.push(Arc::new(vector_text(column)?) as ArrayRef);
            new_fields.push(Field::new(field.name(), DataType::Utf8, true));
        } else if *text {
            columns.push(Arc::new(text::as_text(column)?) as ArrayRef);
            new_fields.push(Field::new(field.name(), DataType::Utf8, true));
        } else {
            columns.push(column.clone());
            new_fields.push(field.as_ref().clone());
        }
    }
    RecordBatch::try_new(Arc::new(Schema::new(new_fields)), columns)
}

/// Whether the column is described as int2vector or oidvector, whose text is not an array's.
fn is_vector(field: &FieldInfo) -> bool {
    matches!(*field.datatype(), Type::INT2_VECTOR | Type::OID_VECTOR)
}

/// int2vector and oidvector text: the elements separated by spaces (`1 3`), as psql shows
/// `pg_index.indkey` and SQLAlchemy splits `indoption`.
fn vector_text(column: &ArrayRef) -> Result<StringArray, ArrowError> {
    let Some(lists) = column.as_list_opt::<i32>() else {
        return Err(ArrowError::InvalidArgumentError(format!(
            "a vector column must be a list, not {}",
            column.data_type()
        )));
    };
    let mut out = Vec::with_capacity(lists.len());
    for i in 0..lists.len() {
        if lists.is_null(i) {
            out.push(None);
            continue;
        }
        let items = datafusion::arrow::compute::cast(&lists.value(i), &DataType::Utf8)?;
        let items = items.as_string::<i32>();
        let words: Vec<&str> = (0..items.len())
            .filter(|&k| items.is_valid(k))
            .map(|k| items.value(k))
            .collect();
        out.push(Some(words.join(" ")));
    }
    Ok(StringArray::from(out))
}

/// Dates are arrow-pg's to write unless a column holds an infinity (`text::has_infinite_date`),
/// since arrow-pg follows the client's DateStyle.
fn rewritten(data_type: &DataType) -> bool {
    text::written(data_type) && *data_type != DataType::Date32
}
