//! Server-side cursors (DECLARE / FETCH / MOVE / CLOSE): an open result stream per name that
//! clients read in pieces, so a big result never has to fit in the client or the server.

use std::collections::HashMap;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::physical_plan::SendableRecordBatchStream;
use futures::StreamExt;

use crate::error::{EngineError, EngineResult, sqlstate};
use crate::session::stream::Guard;

/// One open cursor.
pub struct Cursor {
    /// Result columns, known at DECLARE.
    pub schema: SchemaRef,
    /// The rest of the result, pulled as FETCH asks for it.
    stream: SendableRecordBatchStream,
    /// Rows of the last batch that a FETCH did not take yet.
    pending: Option<RecordBatch>,
    /// WITH HOLD: survives the COMMIT of the transaction that declared it.
    pub hold: bool,
    /// BINARY: rows are sent in binary format.
    pub binary: bool,
    /// Declared inside the current transaction block (closed again if it rolls back).
    pub in_transaction: bool,
}

impl Cursor {
    /// A cursor over an executing query.
    pub fn new(
        stream: SendableRecordBatchStream,
        hold: bool,
        binary: bool,
        in_transaction: bool,
    ) -> Self {
        Self {
            schema: stream.schema(),
            stream,
            pending: None,
            hold,
            binary,
            in_transaction,
        }
    }

    /// Takes up to `limit` rows (all when `None`); fewer means the result is exhausted.
    pub async fn take(
        &mut self,
        limit: Option<usize>,
        guard: &Guard,
    ) -> EngineResult<Vec<RecordBatch>> {
        let mut out = Vec::new();
        let mut wanted = limit.unwrap_or(usize::MAX);
        while wanted > 0 {
            let batch = match self.pending.take() {
                Some(b) => b,
                None => match guard.run(async { Ok(self.stream.next().await) }).await? {
                    Some(b) => b?,
                    None => break,
                },
            };
            if batch.num_rows() > wanted {
                out.push(batch.slice(0, wanted));
                self.pending = Some(batch.slice(wanted, batch.num_rows() - wanted));
                wanted = 0;
            } else {
                wanted -= batch.num_rows();
                out.push(batch);
            }
        }
        Ok(out)
    }
}

/// The cursors of one session, by name.
#[derive(Default)]
pub struct Cursors {
    /// Open cursors by name (case as PostgreSQL folds it).
    open: HashMap<String, Cursor>,
}

impl Cursors {
    /// Adds a cursor; the name must be free.
    pub fn declare(&mut self, name: String, cursor: Cursor) -> EngineResult<()> {
        if self.open.contains_key(&name) {
            return Err(EngineError::new(
                sqlstate::DUPLICATE_CURSOR,
                format!("cursor \"{name}\" already exists"),
            ));
        }
        self.open.insert(name, cursor);
        Ok(())
    }

    /// The cursor of that name, or 34000.
    pub fn get(&mut self, name: &str) -> EngineResult<&mut Cursor> {
        self.open.get_mut(name).ok_or_else(|| {
            EngineError::new(
                sqlstate::INVALID_CURSOR_NAME,
                format!("cursor \"{name}\" does not exist"),
            )
        })
    }

    /// Closes one cursor, or 34000.
    pub fn close(&mut self, name: &str) -> EngineResult<()> {
        self.open.remove(name).map(|_| ()).ok_or_else(|| {
            EngineError::new(
                sqlstate::INVALID_CURSOR_NAME,
                format!("cursor \"{name}\" does not exist"),
            )
        })
    }

    /// Closes every cursor.
    pub fn close_all(&mut self) {
        self.open.clear();
    }

    /// At COMMIT: cursors without HOLD end with their transaction; held ones stay.
    pub fn on_commit(&mut self) {
        self.open.retain(|_, c| c.hold);
        for c in self.open.values_mut() {
            c.in_transaction = false;
        }
    }

    /// At ROLLBACK: everything declared in the transaction goes, and so do cursors without HOLD.
    pub fn on_rollback(&mut self) {
        self.open.retain(|_, c| c.hold && !c.in_transaction);
    }
}
