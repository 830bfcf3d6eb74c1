//! One module per statement family, each a small function of the session and the statement.
//! [`execute`] is the command table: the statement's kind, decided at parse time, picks the
//! module; the checks every statement passes (a failed block, the reader role, a READ ONLY
//! block) are made here once.

pub(crate) mod call;
mod comment;
pub(crate) mod copy;
mod cursor;
mod dml;
mod external_table;
mod index;
mod kafka_ddl;
mod lake;
pub(crate) mod query;
mod table;
mod transaction;
mod variable;
mod view;

use datafusion::common::ParamValues;
use datafusion::logical_expr::LogicalPlan;
use datafusion::sql::parser::Statement as DFStatement;
use datafusion::sql::sqlparser::ast::Statement;

use crate::error::{EngineError, EngineResult, sqlstate};
use crate::session::Session;
use crate::session::outcome::Outcome;
use crate::session::stream::Guard;
use crate::sql::kind::Family;
use crate::sql::parse::Parsed;

/// Runs one parsed statement in `session`; `plan` is its Parse-time plan when still fresh.
pub(crate) async fn execute(
    session: &Session,
    parsed: &Parsed,
    plan: Option<LogicalPlan>,
    params: Option<ParamValues>,
    guard: &Guard,
) -> EngineResult<Outcome> {
    let kind = parsed.kind;
    let statement = &parsed.statement;
    if !ends_block(statement) {
        session
            .tx
            .lock()
            .expect("transaction lock")
            .require_not_failed()?;
    }
    if !crate::privileges::allowed(session.role(), &kind) {
        return Err(EngineError::new(
            sqlstate::INSUFFICIENT_PRIVILEGE,
            format!(
                "permission denied: \"{}\" is a reader (queries, SHOW, SET, transactions and \
                 cursors only)",
                session.user
            ),
        ));
    }
    // A write, whether it succeeds or fails half-way, ends every cached result.
    let _invalidate = kind.writes.then(|| Invalidate(session));
    if kind.writes {
        let what = match kind.label {
            "other" => "this statement".to_owned(),
            label => label.to_ascii_uppercase(),
        };
        session
            .tx
            .lock()
            .expect("transaction lock")
            .require_writable(&what)?;
    }
    match (kind.family, statement) {
        (Family::Variable, _) => variable::run(session, statement).await,
        (Family::Transaction, DFStatement::Statement(s)) => transaction::run(session, s).await,
        (Family::Cursor, _) => cursor::run(session, parsed, guard).await,
        (Family::Copy, DFStatement::Statement(s)) => copy::run(session, s, guard).await,
        (Family::Call, DFStatement::Statement(s)) => call::run(session, s).await,
        (Family::Comment, DFStatement::Statement(s)) => comment::run(session, s).await,
        (Family::DropIndex, DFStatement::Statement(s)) => index::drop(session, s).await,
        (Family::Deallocate, _) => Ok(Outcome::command("DEALLOCATE")),
        _ => match plan {
            Some(plan) => session.run_planned(plan, params, guard).await,
            None => session.run_sql(statement.clone(), params, guard).await,
        },
    }
}

/// COMMIT and ROLLBACK (also TO SAVEPOINT) are what a failed block still takes.
fn ends_block(statement: &DFStatement) -> bool {
    matches!(statement, DFStatement::Statement(s)
        if matches!(s.as_ref(), Statement::Commit { .. } | Statement::Rollback { .. }))
}

/// Records a change when dropped: after a write, however it ended, cached results, kept
/// catalog rows and prepared plans made before it are stale.
struct Invalidate<'a>(&'a Session);

impl Drop for Invalidate<'_> {
    fn drop(&mut self) {
        self.0.invalidate_results();
    }
}
