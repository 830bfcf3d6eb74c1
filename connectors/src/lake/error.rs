//! What can go wrong in the lake, each kind distinct so the server can give it a SQLSTATE.

/// A lake operation's failure.
#[derive(Debug, thiserror::Error)]
pub enum LakeError {
    /// A path a statement named would leave the configured zones.
    #[error("{0}")]
    OutsideLake(String),
    /// The zone does not exist.
    #[error("no zone named \"{0}\"; the zones are bronze, silver, gold and public")]
    NoZone(String),
    /// The schema exists already.
    #[error("schema \"{0}\" already exists")]
    SchemaExists(String),
    /// The schema does not exist.
    #[error("schema \"{0}\" does not exist")]
    NoSchema(String),
    /// The table exists already.
    #[error("relation \"{0}\" already exists")]
    Exists(String),
    /// The table does not exist.
    #[error("relation \"{0}\" does not exist")]
    Missing(String),
    /// What was asked is valid SQL but not something the lake does.
    #[error("{0}")]
    Unsupported(String),
    /// The configuration of the lake is wrong.
    #[error("{0}")]
    Config(String),
    /// A table file (`_aloe_table.toml`) or view file could not be read.
    #[error("{path}: {message}")]
    BadFile {
        /// The object.
        path: String,
        /// What is wrong with it.
        message: String,
    },
    /// The object store failed.
    #[error(transparent)]
    Store(#[from] object_store::Error),
    /// A Delta Lake operation failed.
    #[error(transparent)]
    Delta(#[from] deltalake::DeltaTableError),
    /// DataFusion failed (schema inference, planning).
    #[error(transparent)]
    DataFusion(#[from] datafusion::error::DataFusionError),
}

/// Result of lake operations.
pub type LakeResult<T> = Result<T, LakeError>;

impl From<LakeError> for datafusion::error::DataFusionError {
    fn from(e: LakeError) -> Self {
        match e {
            LakeError::DataFusion(e) => e,
            other => datafusion::error::DataFusionError::External(Box::new(other)),
        }
    }
}
