//! Everything that turns an outside system into DataFusion tables: the lake, Kafka and the
//! synthetic business generators. Knows nothing of the wire protocol.

pub mod generate;
pub mod kafka;
pub mod lake;
