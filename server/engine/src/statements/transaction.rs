//! BEGIN, COMMIT, ROLLBACK, SAVEPOINT, RELEASE and ROLLBACK TO: each moves the session's one
//! [`Transaction`](crate::session::transaction::Transaction) and answers its tag. Aloe commits
//! each statement on its own (docs/postgres-protocol.md says what a block guarantees).

use datafusion::sql::sqlparser::ast::{Statement, TransactionAccessMode, TransactionMode};

use crate::error::{EngineError, EngineResult, sqlstate};
use crate::session::Session;
use crate::session::outcome::{Outcome, TxStatus};
use crate::sql::ident_name;

/// Runs one transaction statement.
pub(crate) async fn run(session: &Session, statement: &Statement) -> EngineResult<Outcome> {
    let status = session.transaction_status();
    match statement {
        Statement::StartTransaction { modes, .. } => {
            let read_only = read_only(session, modes);
            session
                .tx
                .lock()
                .expect("transaction lock")
                .begin(read_only);
            Ok(Outcome::Begin)
        }
        Statement::Commit { .. } => {
            session.tx.lock().expect("transaction lock").end();
            // COMMIT of a failed block rolls it back, and says so.
            if status == TxStatus::Failed {
                session.cursors.lock().await.on_rollback();
                Ok(Outcome::End { tag: "ROLLBACK" })
            } else {
                session.cursors.lock().await.on_commit();
                Ok(Outcome::End { tag: "COMMIT" })
            }
        }
        Statement::Rollback {
            savepoint: None, ..
        } => {
            session.tx.lock().expect("transaction lock").end();
            session.cursors.lock().await.on_rollback();
            Ok(Outcome::End { tag: "ROLLBACK" })
        }
        Statement::Savepoint { name }
        | Statement::ReleaseSavepoint { name }
        | Statement::Rollback {
            savepoint: Some(name),
            ..
        } if status == TxStatus::Idle => Err(EngineError::new(
            sqlstate::NO_ACTIVE_SQL_TRANSACTION,
            format!(
                "savepoint \"{}\": savepoints can only be used in transaction blocks",
                ident_name(name)
            ),
        )),
        Statement::Savepoint { name } => {
            let mut tx = session.tx.lock().expect("transaction lock");
            tx.savepoints().take(ident_name(name));
            Ok(Outcome::command("SAVEPOINT"))
        }
        Statement::ReleaseSavepoint { name } => {
            let mut tx = session.tx.lock().expect("transaction lock");
            tx.savepoints().release(&ident_name(name))?;
            Ok(Outcome::command("RELEASE"))
        }
        Statement::Rollback {
            savepoint: Some(name),
            ..
        } => {
            let mut tx = session.tx.lock().expect("transaction lock");
            tx.savepoints().roll_back_to(&ident_name(name))?;
            tx.recover();
            Ok(Outcome::Recovered)
        }
        other => Err(EngineError::internal(format!(
            "not a transaction statement: {other}"
        ))),
    }
}

/// Whether the block BEGIN opens is READ ONLY: its modes, else the session's default.
fn read_only(session: &Session, modes: &[TransactionMode]) -> bool {
    let default_read_only = session
        .settings
        .lock()
        .expect("settings lock")
        .get("default_transaction_read_only")
        .is_ok_and(|v| v == "on");
    modes.iter().fold(default_read_only, |ro, m| match m {
        TransactionMode::AccessMode(TransactionAccessMode::ReadOnly) => true,
        TransactionMode::AccessMode(TransactionAccessMode::ReadWrite) => false,
        _ => ro,
    })
}
