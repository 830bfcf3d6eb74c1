//! Arrow results as PostgreSQL rows, encoded by arrow-pg in text or binary per column.

use std::sync::Arc;

use arrow_pg::datatypes::{PG_OID_ALIAS_KEY, arrow_schema_to_pg_fields, encode_recordbatch};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::physical_plan::SendableRecordBatchStream;

use aloe_engine::plan::types::PG_TYPE_KEY;
use futures::{StreamExt, stream};
use pgwire::api::Type;
use pgwire::api::portal::Format;
use pgwire::api::results::{FieldInfo, QueryResponse};
use pgwire::error::PgWireResult;
use pgwire::messages::data::{FieldDescription, RowDescription};

use super::errors::df_to_pg;
use aloe_engine::sql::rewrite::names::wire_name;

/// Column descriptions of a result in the formats the client asked for.
pub fn fields(schema: &Schema, format: &Format) -> PgWireResult<Arc<Vec<FieldInfo>>> {
    let schema = client_view(schema);
    let described = arrow_schema_to_pg_fields(&schema, format, None)?;
    Ok(Arc::new(
        described
            .into_iter()
            .zip(schema.fields())
            .map(|(info, field)| match tagged_type(field) {
                Some(t) => FieldInfo::new(
                    info.name().to_owned(),
                    info.table_id(),
                    info.column_id(),
                    t,
                    info.format(),
                ),
                None => info,
            })
            .collect(),
    ))
}

/// The fields rows are encoded with: a text-format vector column is text by then (see
/// `text_output`), and encoded as text, since pgwire would quote it as an array element.
fn encoding_fields(fields: &Arc<Vec<FieldInfo>>) -> Arc<Vec<FieldInfo>> {
    let text_vector = |f: &FieldInfo| {
        f.format() == pgwire::api::results::FieldFormat::Text
            && matches!(*f.datatype(), Type::INT2_VECTOR | Type::OID_VECTOR)
    };
    if !fields.iter().any(text_vector) {
        return fields.clone();
    }
    Arc::new(
        fields
            .iter()
            .map(|f| {
                if text_vector(f) {
                    FieldInfo::new(
                        f.name().to_owned(),
                        f.table_id(),
                        f.column_id(),
                        Type::TEXT,
                        f.format(),
                    )
                } else {
                    f.clone()
                }
            })
            .collect(),
    )
}

/// The PostgreSQL type a column's tag names, where it is not the one its Arrow type maps to.
/// The vector types (`pg_index.indkey` is int2vector, `indclass` oidvector): a list column
/// the catalog tags with one is described as it, and its text is written by `text_output`;
/// their binary form is an array's, which arrow-pg writes for the list. `varchar` and
/// `bpchar`: a text column declared so, whose text and binary forms are text's.
fn tagged_type(field: &Field) -> Option<Type> {
    let tag = field.metadata().get(PG_TYPE_KEY).map(String::as_str)?;
    match field.data_type() {
        DataType::List(_) => match tag {
            "int2vector" => Some(Type::INT2_VECTOR),
            "oidvector" => Some(Type::OID_VECTOR),
            _ => None,
        },
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            if tag.starts_with("character varying") {
                Some(Type::VARCHAR)
            } else if tag.starts_with("character(") {
                Some(Type::BPCHAR)
            } else {
                None
            }
        }
        _ => None,
    }
}

/// Column names as the client sees them (see `engine::names`), and no oid alias on a
/// column that is no longer an oid.
///
/// DataFusion carries a column's metadata through casts, so `c.oid::int8` would still say
/// "oid" and be described as OID; the alias only holds while the column is still the int4 it
/// was tagged on.
fn client_view(schema: &Schema) -> Schema {
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| {
            let field = f.as_ref().clone().with_name(wire_name(f.name()));
            if field.metadata().contains_key(PG_OID_ALIAS_KEY)
                && field.data_type() != &DataType::Int32
            {
                field.with_metadata(Default::default())
            } else {
                field
            }
        })
        .collect();
    Schema::new(fields)
}

/// The RowDescription message for these fields.
pub fn row_description(fields: &[FieldInfo]) -> RowDescription {
    RowDescription::new(fields.iter().map(FieldDescription::from).collect())
}

/// A lazily encoded row stream: each Arrow batch becomes rows only when the client reads it,
/// so memory holds one batch at a time whatever the size of the result.
pub fn query_response(
    fields: Arc<Vec<FieldInfo>>,
    batches: SendableRecordBatchStream,
    tag: &str,
    metrics: Arc<aloe_engine::metrics::server::ServerMetrics>,
) -> QueryResponse {
    let row_fields = fields.clone();
    let encode_fields = encoding_fields(&fields);
    let rows = batches
        .map(move |batch| match batch {
            Ok(batch) => {
                let batch = super::text_output::for_text(&row_fields, batch)
                    .and_then(|b| super::binary_output::for_binary(&row_fields, b));
                let batch = match batch {
                    Ok(batch) => batch,
                    Err(e) => {
                        return stream::iter(std::iter::once(Err(df_to_pg(e.into()))))
                            .right_stream();
                    }
                };
                let metrics = metrics.clone();
                let rows: Box<dyn Iterator<Item = _> + Send> = Box::new(
                    encode_recordbatch(encode_fields.clone(), batch).inspect(move |row| {
                        if let Ok(row) = row {
                            metrics.bytes_sent.inc_by(row.data.len() as u64);
                        }
                    }),
                );
                stream::iter(rows).left_stream()
            }
            Err(e) => stream::iter(std::iter::once(Err(df_to_pg(e)))).right_stream(),
        })
        .flatten();
    let mut response = QueryResponse::new(fields, rows);
    response.set_command_tag(tag);
    response
}
