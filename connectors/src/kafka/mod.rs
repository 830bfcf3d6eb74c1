//! Kafka topics as tables in schema `kafka`, and the ingester that lands them in bronze exactly
//! once.

pub mod client;
pub mod config;
pub mod declarations;
pub mod decode;
pub mod error;
pub mod infer;
pub mod ingest;
pub mod live;
pub mod offsets;
pub mod pruning;
pub mod quarantine;
pub mod scan;
pub mod sequence;

pub use config::{IngestDecl, KafkaTableDecl};
pub use error::{KafkaError, KafkaResult};
pub use ingest::{IngestStatus, Ingester, OnCommit, PartitionProgress};
pub use live::LiveTable;
pub use offsets::Bronze;
pub use scan::KafkaTable;
