//! `CREATE EXTERNAL TABLE ... STORED AS KAFKA` and `DROP TABLE kafka.<name>`.

use std::collections::BTreeMap;

use aloe_connectors::kafka::{IngestDecl, KafkaTableDecl};
use aloe_connectors::lake::ColumnDecl;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::TableReference;
use datafusion::logical_expr::CreateExternalTable;

use crate::error::{EngineError, EngineResult, sqlstate};
use crate::session::Session;
use crate::session::outcome::Outcome;

/// The schema Kafka tables live in.
/// The schema of Kafka topic tables.
pub const KAFKA_SCHEMA: &str = "kafka";

/// Whether a CREATE EXTERNAL TABLE is a Kafka one.
pub fn is_kafka(c: &CreateExternalTable) -> bool {
    c.file_type.eq_ignore_ascii_case("kafka")
}

impl Session {
    /// Creates `kafka.<name>` over the topic in LOCATION; OPTIONS name the brokers
    /// (`bootstrap.servers`), ingestion (`ingest` = 'true' or a bronze table name,
    /// `batch_size`, `interval_ms`), inference (`sample`) and pass other keys to librdkafka.
    pub(crate) async fn create_kafka_table(
        &self,
        c: &CreateExternalTable,
    ) -> EngineResult<Outcome> {
        let name = match &c.name {
            TableReference::Bare { table } => table.to_string(),
            TableReference::Partial { schema, table } if schema.as_ref() == KAFKA_SCHEMA => {
                table.to_string()
            }
            other => {
                return Err(EngineError::new(
                    sqlstate::INVALID_SCHEMA_NAME,
                    format!("Kafka tables live in schema kafka, not {other}"),
                ));
            }
        };
        if self.kafka().contains(&name) {
            if c.if_not_exists {
                return Ok(Outcome::command("CREATE TABLE"));
            }
            return Err(EngineError::new(
                sqlstate::DUPLICATE_TABLE,
                format!("relation \"kafka.{name}\" already exists"),
            ));
        }
        let decl = declaration(name, c)?;
        decl.validate()?;
        self.kafka().create(decl, &self.state()).await?;
        Ok(Outcome::command("CREATE TABLE"))
    }

    /// Drops a Kafka table made with SQL (what bronze holds of it stays).
    pub(crate) async fn drop_kafka_table(
        &self,
        table: &str,
        if_exists: bool,
    ) -> EngineResult<Outcome> {
        if self.kafka().drop_table(table).await? || if_exists {
            return Ok(Outcome::command("DROP TABLE"));
        }
        Err(EngineError::new(
            sqlstate::UNDEFINED_TABLE,
            format!("table \"kafka.{table}\" does not exist"),
        ))
    }
}

fn declaration(name: String, c: &CreateExternalTable) -> EngineResult<KafkaTableDecl> {
    let bad = |m: String| EngineError::new(sqlstate::INVALID_PARAMETER_VALUE, m);
    let mut options: BTreeMap<String, String> = c
        .options
        .iter()
        .map(|(k, v)| (k.strip_prefix("format.").unwrap_or(k).to_owned(), v.clone()))
        .collect();
    let [topic] = c.locations.as_slice() else {
        return Err(bad("a Kafka table's LOCATION is one topic name".into()));
    };
    let brokers = options.remove("bootstrap.servers").ok_or_else(|| {
        bad("a Kafka table needs OPTIONS ('bootstrap.servers' 'host:port')".into())
    })?;
    let number = |options: &mut BTreeMap<String, String>, key: &str| -> EngineResult<Option<u64>> {
        options
            .remove(key)
            .map(|v| {
                v.parse()
                    .map_err(|_| bad(format!("option {key}: \"{v}\" is not a number")))
            })
            .transpose()
    };
    let sample = number(&mut options, "sample")?;
    let batch_size = number(&mut options, "batch_size")?;
    let interval_ms = number(&mut options, "interval_ms")?;
    let compact_every = number(&mut options, "compact_every")?;
    let ingest = match options.remove("ingest").as_deref() {
        None | Some("false") => None,
        Some(target) => Some(IngestDecl {
            table: (target != "true").then(|| target.to_owned()),
            batch_size: batch_size.unwrap_or(10_000) as usize,
            interval_ms: interval_ms.unwrap_or(1000),
            compact_every: compact_every.unwrap_or(100),
        }),
    };
    let columns = c
        .schema
        .fields()
        .iter()
        .map(|f| {
            Ok(ColumnDecl {
                name: f.name().clone(),
                data_type: pg_type(f.data_type()).ok_or_else(|| {
                    EngineError::not_supported(format!(
                        "column {}: type {} cannot be read from JSON messages",
                        f.name(),
                        f.data_type()
                    ))
                })?,
            })
        })
        .collect::<EngineResult<Vec<_>>>()?;
    Ok(KafkaTableDecl {
        name,
        topic: Some(topic.clone()),
        brokers,
        format: "json".into(),
        columns,
        sample: sample.map_or(1000, |n| n as usize),
        options,
        ingest,
        description: None,
    })
}

/// The PostgreSQL type name a table declaration uses for an Arrow type.
fn pg_type(t: &DataType) -> Option<String> {
    Some(match t {
        DataType::Int64 => "bigint".into(),
        DataType::Int32 => "integer".into(),
        DataType::Int16 => "smallint".into(),
        DataType::Float64 => "double precision".into(),
        DataType::Float32 => "real".into(),
        DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8 => "text".into(),
        DataType::Boolean => "boolean".into(),
        DataType::Date32 => "date".into(),
        DataType::Timestamp(_, None) => "timestamp".into(),
        DataType::Timestamp(_, Some(_)) => "timestamptz".into(),
        DataType::Decimal128(p, s) => format!("numeric({p},{s})"),
        _ => return None,
    })
}
