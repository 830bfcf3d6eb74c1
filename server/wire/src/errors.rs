//! Engine errors as PostgreSQL ErrorResponses.

use pgwire::error::{ErrorInfo, PgWireError};

use aloe_engine::EngineError;

/// An engine error as the pgwire error that carries its SQLSTATE to the client.
pub fn to_pg(e: EngineError) -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new(
        "ERROR".to_owned(),
        e.code.to_owned(),
        e.message,
    )))
}

/// A DataFusion error met while streaming rows, classified like any engine error.
pub fn df_to_pg(e: datafusion::error::DataFusionError) -> PgWireError {
    to_pg(EngineError::from(e))
}

/// A connection-ending error (severity FATAL) with its SQLSTATE.
pub fn fatal(code: &str, message: impl Into<String>) -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new(
        "FATAL".to_owned(),
        code.to_owned(),
        message.into(),
    )))
}
