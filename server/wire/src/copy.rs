//! COPY TO STDOUT on the wire: CopyOutResponse, one CopyData per row (encoded by arrow-pg
//! through pgwire's COPY encoder, so values read as in any text result), CopyDone.

use arrow_pg::encoder::encode_value;
use bytes::Bytes;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::physical_plan::SendableRecordBatchStream;
use futures::{Stream, StreamExt, stream};
use pgwire::api::portal::Format;
use pgwire::api::results::{CopyCsvOptions, CopyEncoder, CopyResponse, CopyTextOptions};
use pgwire::error::PgWireResult;
use pgwire::messages::copy::CopyData;

use super::encode::fields;
use super::errors::df_to_pg;
use aloe_engine::CopyFormat;

/// The CSV header line: column names, quoted where CSV needs it.
fn header(schema: &SchemaRef, format: &CopyFormat) -> Bytes {
    let delimiter = format.delimiter.unwrap_or(',');
    let quote = format.quote.unwrap_or('"');
    let names: Vec<String> = schema
        .fields()
        .iter()
        .map(|f| {
            let n = f.name();
            if n.contains(delimiter) || n.contains(quote) || n.contains('\n') {
                let doubled = n.replace(quote, &format!("{quote}{quote}"));
                format!("{quote}{doubled}{quote}")
            } else {
                n.clone()
            }
        })
        .collect();
    Bytes::from(format!("{}\n", names.join(&delimiter.to_string())))
}

/// The COPY data of a result: the header line (CSV HEADER) and then one message per row.
pub fn copy_data(
    schema: SchemaRef,
    batches: SendableRecordBatchStream,
    format: &CopyFormat,
) -> PgWireResult<(
    bool,
    impl Stream<Item = PgWireResult<CopyData>> + Send + 'static,
)> {
    let pg_fields = fields(&schema, &Format::UnifiedText)?;
    let make_encoder = {
        let format = format.clone();
        let pg_fields = pg_fields.clone();
        move || {
            if format.csv {
                let mut o = CopyCsvOptions::default();
                if let Some(d) = format.delimiter {
                    o.delimiter = d.to_string().into();
                }
                if let Some(q) = format.quote {
                    o.quote = q.to_string().into();
                    o.escape = q.to_string().into();
                }
                if let Some(n) = &format.null {
                    o.null_string = n.as_str().into();
                }
                CopyEncoder::new_csv(pg_fields.clone(), o)
            } else {
                let mut o = CopyTextOptions::default();
                if let Some(d) = format.delimiter {
                    o.delimiter = d.to_string().into();
                }
                if let Some(n) = &format.null {
                    o.null_string = n.as_str().into();
                }
                CopyEncoder::new_text(pg_fields.clone(), o)
            }
        }
    };
    let with_header = format.csv && format.header;
    let head = with_header.then(|| Ok(CopyData::new(header(&schema, format))));
    let rows = batches.flat_map(move |batch| {
        let rows: Vec<PgWireResult<CopyData>> = match batch {
            Err(e) => vec![Err(df_to_pg(e))],
            Ok(batch) => {
                let mut encoder = make_encoder();
                let arrow_schema = batch.schema();
                (0..batch.num_rows())
                    .map(|row| {
                        for (col, pg_field) in pg_fields.iter().enumerate() {
                            encode_value(
                                &mut encoder,
                                batch.column(col),
                                row,
                                arrow_schema.field(col),
                                pg_field,
                            )?;
                        }
                        Ok(encoder.take_copy())
                    })
                    .collect()
            }
        };
        stream::iter(rows)
    });
    Ok((with_header, stream::iter(head).chain(rows)))
}

/// The same answer for the extended protocol, as pgwire sends it.
pub fn response(
    schema: SchemaRef,
    batches: SendableRecordBatchStream,
    format: &CopyFormat,
) -> PgWireResult<CopyResponse> {
    let columns = schema.fields().len();
    let (_, data) = copy_data(schema, batches, format)?;
    Ok(CopyResponse::new(0, columns, data))
}
