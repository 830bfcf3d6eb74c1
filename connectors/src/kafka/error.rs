//! What can go wrong with a Kafka table, each kind distinct so the server can give it a SQLSTATE.

/// A Kafka table's failure.
#[derive(Debug, thiserror::Error)]
pub enum KafkaError {
    /// The table's declaration is wrong (unknown format, bad column type, missing broker list).
    #[error("kafka table {table}: {message}")]
    Config {
        /// The table.
        table: String,
        /// What is wrong.
        message: String,
    },
    /// The brokers could not be reached or refused a request.
    #[error("kafka table {table}: {source}")]
    Client {
        /// The table.
        table: String,
        /// librdkafka's error.
        source: rdkafka::error::KafkaError,
    },
    /// The topic does not exist on the brokers.
    #[error("kafka table {table}: topic \"{topic}\" does not exist")]
    NoTopic {
        /// The table.
        table: String,
        /// The topic.
        topic: String,
    },
    /// A message could not be turned into a row while reading or inferring.
    #[error("kafka table {table}: {message}")]
    Decode {
        /// The table.
        table: String,
        /// What is wrong.
        message: String,
    },
    /// Writing to bronze failed.
    #[error(transparent)]
    Lake(#[from] crate::lake::LakeError),
    /// Arrow failed.
    #[error(transparent)]
    Arrow(#[from] datafusion::arrow::error::ArrowError),
    /// DataFusion failed.
    #[error(transparent)]
    DataFusion(#[from] datafusion::error::DataFusionError),
}

/// Result of Kafka operations.
pub type KafkaResult<T> = Result<T, KafkaError>;

impl From<KafkaError> for datafusion::error::DataFusionError {
    fn from(e: KafkaError) -> Self {
        match e {
            KafkaError::DataFusion(e) => e,
            other => datafusion::error::DataFusionError::External(Box::new(other)),
        }
    }
}
