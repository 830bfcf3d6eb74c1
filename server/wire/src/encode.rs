//! Arrow results as PostgreSQL rows, encoded by arrow-pg in text or binary per column.

use std::sync::Arc;

use arrow_pg::datatypes::{PG_OID_ALIAS_KEY, arrow_schema_to_pg_fields, encode_recordbatch};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::physical_plan::SendableRecordBatchStream;

use futures::{StreamExt, stream};
use pgwire::api::portal::Format;
use pgwire::api::results::{FieldInfo, QueryResponse};
use pgwire::error::PgWireResult;
use pgwire::messages::data::{FieldDescription, RowDescription};

use super::errors::df_to_pg;
use aloe_engine::sql::rewrite::names::wire_name;

/// Column descriptions of a result in the formats the client asked for.
pub fn fields(schema: &Schema, format: &Format) -> PgWireResult<Arc<Vec<FieldInfo>>> {
    let schema = client_view(schema);
    Ok(Arc::new(arrow_schema_to_pg_fields(&schema, format, None)?))
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
    let rows = batches
        .map(move |batch| match batch {
            Ok(batch) => {
                let batch = match super::text_output::for_text(&row_fields, batch) {
                    Ok(batch) => batch,
                    Err(e) => {
                        return stream::iter(std::iter::once(Err(df_to_pg(e.into()))))
                            .right_stream();
                    }
                };
                let metrics = metrics.clone();
                let rows: Box<dyn Iterator<Item = _> + Send> = Box::new(
                    encode_recordbatch(row_fields.clone(), batch).inspect(move |row| {
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
