//! One query run through a session, for the runner's own reads (staging, data tests).

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::physical_plan::SendableRecordBatchStream;

use aloe_engine::{Outcome, Session};

/// Runs `sql`, which must be one statement returning rows; `what` names it in errors
/// ("a model", "a test").
pub async fn rows(
    session: &Session,
    sql: &str,
    what: &str,
) -> Result<(SchemaRef, SendableRecordBatchStream), String> {
    let mut parsed = session.parse(sql).map_err(|e| e.to_string())?;
    let Some(statement) = parsed.pop().filter(|_| parsed.is_empty()) else {
        return Err(format!("{what} is one query"));
    };
    let outcome = session
        .execute(&statement, None)
        .await
        .map_err(|e| format!("{} ({})", e.message, e.code))?;
    match outcome {
        Outcome::Rows { schema, stream, .. } => Ok((schema, stream)),
        _ => Err(format!("{what} must be a query returning rows")),
    }
}
