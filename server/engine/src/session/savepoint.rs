//! Savepoints, as far as Aloe can keep their promise.
//!
//! Aloe commits each statement on its own, so a savepoint cannot undo writes. What clients
//! mostly use savepoints for is recovering from a failed statement inside a transaction block
//! (psycopg and SQLAlchemy wrap probes in one); that is exact as long as nothing was written
//! since the savepoint. ROLLBACK TO a savepoint with writes after it is refused (0A000) rather
//! than pretending they were undone.

use crate::error::{EngineError, EngineResult, sqlstate};

/// The savepoints of the open transaction block.
#[derive(Debug, Default)]
pub struct Savepoints {
    /// Name and the write count when it was taken, oldest first.
    stack: Vec<(String, u64)>,
    /// Writes made in this session so far.
    writes: u64,
}

impl Savepoints {
    /// Counts a statement that changed data or the catalog.
    pub fn wrote(&mut self) {
        self.writes += 1;
    }

    /// SAVEPOINT name.
    pub fn take(&mut self, name: String) {
        self.stack.push((name, self.writes));
    }

    fn position(&self, name: &str) -> EngineResult<usize> {
        self.stack
            .iter()
            .rposition(|(n, _)| n == name)
            .ok_or_else(|| {
                EngineError::new(
                    crate::error::sqlstate::INVALID_SAVEPOINT_SPECIFICATION,
                    format!("savepoint \"{name}\" does not exist"),
                )
            })
    }

    /// RELEASE SAVEPOINT name: forgets it and every later one.
    pub fn release(&mut self, name: &str) -> EngineResult<()> {
        let at = self.position(name)?;
        self.stack.truncate(at);
        Ok(())
    }

    /// ROLLBACK TO SAVEPOINT name: allowed when nothing was written since.
    pub fn roll_back_to(&mut self, name: &str) -> EngineResult<()> {
        let at = self.position(name)?;
        let since = self.writes - self.stack[at].1;
        if since > 0 {
            return Err(EngineError::new(
                sqlstate::FEATURE_NOT_SUPPORTED,
                format!(
                    "cannot roll back to savepoint \"{name}\": {since} write(s) since it are \
                     already committed (Aloe commits each statement on its own)"
                ),
            ));
        }
        self.stack.truncate(at + 1);
        Ok(())
    }

    /// The transaction block ended.
    pub fn clear(&mut self) {
        self.stack.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rollback_is_refused_only_after_writes() {
        let mut s = Savepoints::default();
        s.take("a".into());
        s.roll_back_to("a").unwrap();
        s.wrote();
        assert_eq!(s.roll_back_to("a").unwrap_err().code, "0A000");
        s.take("b".into());
        s.roll_back_to("b").unwrap();
        s.release("a").unwrap();
        assert_eq!(s.roll_back_to("b").unwrap_err().code, "3B001");
    }
}
