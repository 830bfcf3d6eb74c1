//! The session's transaction block: the one place its state lives. Every statement updates
//! it, failed ones included, and the front end only copies [`Transaction::status`] into
//! ReadyForQuery.

use crate::error::{EngineError, EngineResult, sqlstate};
use crate::session::outcome::TxStatus;
use crate::session::savepoint::Savepoints;

/// The open transaction block, if any, and what it allows.
#[derive(Debug)]
pub struct Transaction {
    /// Idle, in a block, or in a failed block.
    status: TxStatus,
    /// The block was started READ ONLY: writes are refused until it ends.
    read_only: bool,
    /// The block's savepoints and the writes that limit rolling back to them.
    savepoints: Savepoints,
}

impl Default for Transaction {
    fn default() -> Self {
        Self {
            status: TxStatus::Idle,
            read_only: false,
            savepoints: Savepoints::default(),
        }
    }
}

impl Transaction {
    /// What ReadyForQuery reports.
    pub fn status(&self) -> TxStatus {
        self.status
    }

    /// BEGIN: a block opens (another BEGIN inside one keeps it, as PostgreSQL does).
    pub fn begin(&mut self, read_only: bool) {
        if self.status == TxStatus::Idle {
            self.read_only = read_only;
        }
        self.status = TxStatus::InBlock;
    }

    /// COMMIT or ROLLBACK: the block ends, its savepoints with it.
    pub fn end(&mut self) {
        self.status = TxStatus::Idle;
        self.read_only = false;
        self.savepoints.clear();
    }

    /// A statement failed: inside a block, the block fails until it ends.
    pub fn fail(&mut self) {
        if self.status == TxStatus::InBlock {
            self.status = TxStatus::Failed;
        }
    }

    /// ROLLBACK TO SAVEPOINT made a failed block usable again.
    pub fn recover(&mut self) {
        if self.status == TxStatus::Failed {
            self.status = TxStatus::InBlock;
        }
    }

    /// The block's savepoints.
    pub fn savepoints(&mut self) -> &mut Savepoints {
        &mut self.savepoints
    }

    /// Refuses a statement that writes (`what`, such as `INSERT`) in a READ ONLY block;
    /// otherwise counts the write against the savepoints.
    pub fn require_writable(&mut self, what: &str) -> EngineResult<()> {
        if self.read_only {
            return Err(EngineError::new(
                sqlstate::READ_ONLY_SQL_TRANSACTION,
                format!("cannot execute {what} in a read-only transaction"),
            ));
        }
        self.savepoints.wrote();
        Ok(())
    }

    /// Refuses everything but the end of the block once it has failed.
    pub fn require_not_failed(&self) -> EngineResult<()> {
        if self.status == TxStatus::Failed {
            return Err(EngineError::new(
                sqlstate::IN_FAILED_SQL_TRANSACTION,
                "current transaction is aborted, commands ignored until end of transaction block",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_statement_fails_the_block_until_it_ends() {
        let mut t = Transaction::default();
        t.fail();
        assert_eq!(t.status(), TxStatus::Idle, "outside a block nothing fails");
        t.begin(false);
        t.fail();
        assert_eq!(t.status(), TxStatus::Failed);
        assert_eq!(t.require_not_failed().unwrap_err().code, "25P02");
        t.recover();
        assert_eq!(t.status(), TxStatus::InBlock);
        t.end();
        assert_eq!(t.status(), TxStatus::Idle);
    }

    #[test]
    fn a_read_only_block_refuses_writes_until_it_ends() {
        let mut t = Transaction::default();
        t.begin(true);
        assert_eq!(t.require_writable("INSERT").unwrap_err().code, "25006");
        t.end();
        assert!(t.require_writable("INSERT").is_ok());
    }
}
