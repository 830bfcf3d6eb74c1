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
mod prepare;
pub(crate) mod query;
mod schema;
mod table;
mod transaction;
mod variable;
mod view;

use std::sync::atomic::Ordering;

use datafusion::common::ParamValues;
use datafusion::logical_expr::LogicalPlan;
use datafusion::sql::parser::Statement as DFStatement;
use datafusion::sql::sqlparser::ast::Statement;

use crate::error::{EngineError, EngineResult, sqlstate};
use crate::session::Session;
use crate::session::outcome::{Outcome, Prepared};
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

/// The engine's entry points for a statement: the front end's "run this for this session".
impl Session {
    /// Executes one statement.
    pub async fn execute(
        &self,
        parsed: &Parsed,
        params: Option<ParamValues>,
    ) -> EngineResult<Outcome> {
        self.execute_planned(parsed, None, params).await
    }

    /// Runs a prepared statement (an Execute), reusing its Parse-time plan when it is a query
    /// and neither the catalog nor the session's planning state has changed since.
    pub async fn execute_prepared(
        &self,
        prepared: &Prepared,
        params: Option<ParamValues>,
    ) -> EngineResult<Outcome> {
        let plan = prepared
            .plan
            .as_ref()
            .filter(|p| {
                prepared.statement.kind.family == Family::Query
                    && p.changes == self.shared.changes.current()
                    && p.epoch == self.epoch.load(Ordering::SeqCst)
            })
            .map(|p| p.plan.clone());
        self.execute_planned(&prepared.statement, plan, params)
            .await
    }

    /// Runs one statement, measured, with the transaction block following its outcome: a
    /// failure (now, or later while its rows stream) fails an open block.
    async fn execute_planned(
        &self,
        parsed: &Parsed,
        plan: Option<LogicalPlan>,
        params: Option<ParamValues>,
    ) -> EngineResult<Outcome> {
        use crate::metrics::metered::{Metered, Statement};
        let mut statement = Statement::start(self.shared.metrics.clone(), parsed.kind.label);
        let guard = self.begin_statement();
        if parsed.kind.family != Family::Query {
            self.epoch.fetch_add(1, Ordering::SeqCst);
        }
        match execute(self, parsed, plan, params, &guard).await {
            Ok(Outcome::Rows {
                schema,
                stream,
                tag,
                binary,
            }) => Ok(Outcome::Rows {
                schema,
                stream: Metered::wrap(
                    crate::session::stream::fails_block(stream, self.tx.clone()),
                    statement,
                ),
                tag,
                binary,
            }),
            Ok(other) => {
                statement.finish("ok");
                Ok(other)
            }
            Err(e) => {
                statement.finish("error");
                self.tx.lock().expect("transaction lock").fail();
                Err(e)
            }
        }
    }
}
