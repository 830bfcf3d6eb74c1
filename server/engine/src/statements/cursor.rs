//! DECLARE, FETCH, MOVE and CLOSE: SQL cursors over a query's stream, read forward only;
//! WITH HOLD cursors outlive their block.

use datafusion::sql::parser::Statement as DFStatement;
use datafusion::sql::sqlparser::ast::{CloseCursor, Declare, FetchDirection, Ident, Statement};

use crate::error::{EngineError, EngineResult, sqlstate};
use crate::session::Session;
use crate::session::cursor::Cursor;
use crate::session::outcome::{Outcome, TxStatus};
use crate::session::show::batches_stream;
use crate::session::stream::Guard;
use crate::sql::ident_name;
use crate::sql::parse::Parsed;

/// Runs one cursor statement.
pub(crate) async fn run(
    session: &Session,
    parsed: &Parsed,
    guard: &Guard,
) -> EngineResult<Outcome> {
    let DFStatement::Statement(statement) = &parsed.statement else {
        return Err(EngineError::internal("not a cursor statement"));
    };
    match statement.as_ref() {
        Statement::Declare { stmts } => session.declare(stmts, guard).await,
        Statement::Fetch {
            name, direction, ..
        } => session.fetch(name, direction, parsed.is_move, guard).await,
        Statement::Close { cursor } => {
            let mut cursors = session.cursors.lock().await;
            match cursor {
                CloseCursor::All => cursors.close_all(),
                CloseCursor::Specific { name } => cursors.close(&ident_name(name))?,
            }
            Ok(Outcome::command("CLOSE CURSOR"))
        }
        other => Err(EngineError::internal(format!(
            "not a cursor statement: {other}"
        ))),
    }
}

impl Session {
    async fn declare(&self, stmts: &[Declare], guard: &Guard) -> EngineResult<Outcome> {
        let tx = self.transaction_status();
        for d in stmts {
            let Some(query) = &d.for_query else {
                return Err(EngineError::not_supported(
                    "DECLARE is supported for cursors only (DECLARE name CURSOR FOR query)",
                ));
            };
            let hold = d.hold.unwrap_or(false);
            if !hold && tx == TxStatus::Idle {
                return Err(EngineError::new(
                    sqlstate::NO_ACTIVE_SQL_TRANSACTION,
                    "DECLARE CURSOR can only be used in transaction blocks",
                ));
            }
            if d.scroll == Some(true) {
                return Err(EngineError::not_supported(
                    "SCROLL cursors are not supported: Aloe cursors read forward only",
                ));
            }
            let statement = DFStatement::Statement(Box::new(Statement::Query(query.clone())));
            let state = self.ctx.state();
            let plan = guard
                .run(async { Ok(state.statement_to_plan(statement).await?) })
                .await?;
            let df = self.ctx.execute_logical_plan(plan).await?;
            // The cursor's stream outlives this statement, so it is guarded at each FETCH
            // rather than by this statement's guard.
            let stream = df.execute_stream().await?;
            let name = d.names.first().map(ident_name).unwrap_or_default();
            let cursor = Cursor::new(stream, hold, d.binary == Some(true), tx != TxStatus::Idle);
            self.cursors.lock().await.declare(name, cursor)?;
        }
        Ok(Outcome::command("DECLARE CURSOR"))
    }

    async fn fetch(
        &self,
        name: &Ident,
        direction: &FetchDirection,
        is_move: bool,
        guard: &Guard,
    ) -> EngineResult<Outcome> {
        let limit = fetch_count(direction)?;
        let mut cursors = self.cursors.lock().await;
        let cursor = cursors.get(&ident_name(name))?;
        let batches = cursor.take(limit, guard).await?;
        if is_move {
            let n: usize = batches.iter().map(|b| b.num_rows()).sum();
            return Ok(Outcome::command(format!("MOVE {n}")));
        }
        let schema = cursor.schema.clone();
        Ok(Outcome::Rows {
            schema: schema.clone(),
            stream: batches_stream(schema, batches),
            tag: "FETCH",
            binary: cursor.binary,
        })
    }
}

/// How many rows a FETCH direction asks for (`None` = all); Aloe cursors only go forward.
fn fetch_count(direction: &FetchDirection) -> EngineResult<Option<usize>> {
    let count =
        |v: &datafusion::sql::sqlparser::ast::ValueWithSpan| -> EngineResult<Option<usize>> {
            let text = v.value.to_string();
            match text.parse::<i64>() {
                Ok(n) if n >= 0 => Ok(Some(n as usize)),
                Ok(_) => Err(backward()),
                Err(_) => Err(EngineError::syntax(format!("invalid FETCH count: {text}"))),
            }
        };
    match direction {
        FetchDirection::Next => Ok(Some(1)),
        FetchDirection::Count { limit } => count(limit),
        FetchDirection::Forward { limit: Some(limit) } => count(limit),
        FetchDirection::Forward { limit: None } => Ok(Some(1)),
        FetchDirection::All | FetchDirection::ForwardAll => Ok(None),
        _ => Err(backward()),
    }
}

fn backward() -> EngineError {
    EngineError::new(
        sqlstate::OBJECT_NOT_IN_PREREQUISITE_STATE,
        "cursor can only scan forward: Aloe cursors do not support backward or absolute positioning",
    )
}
