//! A Kafka table's declaration, from `[[kafka]]` in `aloe.toml` or `CREATE EXTERNAL TABLE ...
//! STORED AS KAFKA`.

use std::collections::BTreeMap;

use datafusion::arrow::datatypes::SchemaRef;
use serde::{Deserialize, Serialize};

use super::error::{KafkaError, KafkaResult};
use crate::lake::ColumnDecl;

/// A topic served as table `kafka.<name>`, optionally landed in bronze by an ingester.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct KafkaTableDecl {
    /// Table name in schema `kafka`.
    pub name: String,
    /// The topic; defaults to the table name.
    pub topic: Option<String>,
    /// `host:port[,host:port...]`.
    pub brokers: String,
    /// Message format; only `json` (one JSON object per message) for now.
    #[serde(default = "json")]
    pub format: String,
    /// The message columns; inferred from a sample of the topic when empty.
    #[serde(default)]
    pub columns: Vec<ColumnDecl>,
    /// How many messages inference reads at most.
    #[serde(default = "sample")]
    pub sample: usize,
    /// librdkafka settings passed through as they are (`security.protocol`, `sasl.*`, `ssl.*`).
    #[serde(default)]
    pub options: BTreeMap<String, String>,
    /// Land the topic in bronze.
    pub ingest: Option<IngestDecl>,
    /// Shown as the table's comment.
    pub description: Option<String>,
}

/// Where and how an ingester lands a topic.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct IngestDecl {
    /// The Delta table in bronze; defaults to the Kafka table's name.
    pub table: Option<String>,
    /// Most messages per commit.
    #[serde(default = "batch_size")]
    pub batch_size: usize,
    /// Longest wait, in milliseconds, before a partial batch is committed.
    #[serde(default = "interval_ms")]
    pub interval_ms: u64,
    /// Compact the table's small files into bigger ones after this many commits (0: never).
    #[serde(default = "compact_every")]
    pub compact_every: u64,
}

fn json() -> String {
    "json".into()
}
fn sample() -> usize {
    1000
}
fn batch_size() -> usize {
    10_000
}
fn interval_ms() -> u64 {
    1000
}
fn compact_every() -> u64 {
    100
}

impl KafkaTableDecl {
    /// The topic read.
    pub fn topic(&self) -> &str {
        self.topic.as_deref().unwrap_or(&self.name)
    }

    /// The bronze table the ingester writes, if the topic is ingested.
    pub fn bronze_table(&self) -> Option<&str> {
        self.ingest
            .as_ref()
            .map(|i| i.table.as_deref().unwrap_or(&self.name))
    }

    /// Checks what can be checked without a broker.
    pub fn validate(&self) -> KafkaResult<()> {
        let bad = |message: String| KafkaError::Config {
            table: self.name.clone(),
            message,
        };
        if self.format != "json" {
            return Err(bad(format!(
                "format \"{}\" is not supported (use json)",
                self.format
            )));
        }
        if self.brokers.trim().is_empty() {
            return Err(bad("brokers is empty".into()));
        }
        for key in ["bootstrap.servers", "group.id", "enable.auto.commit"] {
            if self.options.contains_key(key) {
                return Err(bad(format!(
                    "option \"{key}\" is set by Aloe (brokers is the broker list; offsets live \
                     in bronze)"
                )));
            }
        }
        if let Some(i) = &self.ingest
            && (i.batch_size == 0 || i.interval_ms == 0)
        {
            return Err(bad(
                "ingest batch_size and interval_ms must be above 0".into()
            ));
        }
        self.declared_schema()?;
        Ok(())
    }

    /// The declared message schema, if columns are given.
    pub fn declared_schema(&self) -> KafkaResult<Option<SchemaRef>> {
        crate::lake::columns_schema(&self.columns, &self.name).map_err(|e| KafkaError::Config {
            table: self.name.clone(),
            message: e.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decl(text: &str) -> KafkaTableDecl {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn defaults_and_checks() {
        let d = decl("name = 'clicks'\nbrokers = 'localhost:9092'\n[ingest]\n");
        assert_eq!(d.topic(), "clicks");
        assert_eq!(d.bronze_table(), Some("clicks"));
        assert_eq!(d.ingest.as_ref().unwrap().batch_size, 10_000);
        d.validate().unwrap();
        let d = decl("name = 'x'\nbrokers = 'b:1'\nformat = 'avro'\n");
        assert!(d.validate().unwrap_err().to_string().contains("avro"));
        let d = decl("name = 'x'\nbrokers = 'b:1'\noptions = { 'group.id' = 'g' }\n");
        assert!(d.validate().unwrap_err().to_string().contains("group.id"));
        let d = decl("name = 'x'\nbrokers = 'b:1'\n[[columns]]\nname = 'a'\ntype = 'blob'\n");
        assert!(d.validate().unwrap_err().to_string().contains("blob"));
    }
}
