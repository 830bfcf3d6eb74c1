//! What a statement gives back across the seam: rows as an Arrow stream, or a command tag.

use crate::sql::parse::Parsed;
use datafusion::arrow::datatypes::{FieldRef, SchemaRef};
use datafusion::logical_expr::LogicalPlan;
use datafusion::physical_plan::SendableRecordBatchStream;

use crate::settings::Reported;

/// The transaction state of the connection, as ReadyForQuery reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxStatus {
    /// Not in a transaction block ('I').
    Idle,
    /// In a transaction block ('T').
    InBlock,
    /// In a failed transaction block, until ROLLBACK ('E').
    Failed,
}

/// The result of executing one statement.
pub enum Outcome {
    /// Rows to stream to the client; `tag` is the command word of CommandComplete.
    Rows {
        /// Result columns.
        schema: SchemaRef,
        /// The rows, produced lazily as the client reads them.
        stream: SendableRecordBatchStream,
        /// `SELECT`, `FETCH`, `SHOW`, ...; the row count is appended when sent.
        tag: &'static str,
        /// Whether a BINARY cursor asked for binary results.
        binary: bool,
    },
    /// A statement without rows, with its complete tag (`CREATE TABLE`, `INSERT 0 3`).
    Command {
        /// The complete CommandComplete tag.
        tag: String,
        /// Settings the client must be told of (ParameterStatus), in order.
        reported: Reported,
    },
    /// The statement opened a transaction block.
    Begin,
    /// COPY ... TO STDOUT: rows to send as COPY data.
    CopyOut {
        /// Result columns.
        schema: SchemaRef,
        /// The rows.
        stream: SendableRecordBatchStream,
        /// Text or CSV, and their options.
        format: CopyFormat,
    },
    /// ROLLBACK TO SAVEPOINT: the block goes on, usable again after an error.
    Recovered,
    /// The statement closed the transaction block; the tag is COMMIT or ROLLBACK.
    End {
        /// `COMMIT` or `ROLLBACK` (a COMMIT of a failed block answers ROLLBACK).
        tag: &'static str,
    },
}

impl Outcome {
    /// A plain command tag with nothing to report.
    pub fn command(tag: impl Into<String>) -> Self {
        Outcome::Command {
            tag: tag.into(),
            reported: vec![],
        }
    }
}

/// A statement parsed (and, for queries, planned) once for the extended protocol.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The original SQL text, for logs and errors.
    pub sql: String,
    /// The parsed statement, planned again at execution when its plan is stale.
    pub statement: Parsed,
    /// The plan made at Parse time, for describing parameters and results, and for Execute
    /// while nothing it depends on has changed.
    pub plan: Option<Planned>,
    /// Parameter types inferred from the plan ($1 first); field metadata may name the
    /// PostgreSQL type a text parameter stands for (see `types::PG_TYPE_KEY`).
    pub param_types: Vec<Option<FieldRef>>,
    /// The result columns, when the statement returns rows.
    pub schema: Option<SchemaRef>,
}

/// A plan and the state it was made in.
#[derive(Debug, Clone)]
pub struct Planned {
    /// The logical plan, parameters not yet bound.
    pub plan: LogicalPlan,
    /// The engine's change count when it was made (see `changes.rs`).
    pub changes: u64,
    /// The session's own count of statements that may change planning (SET, DECLARE, ...).
    pub epoch: u64,
}

/// The format of COPY TO STDOUT.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CopyFormat {
    /// CSV rather than PostgreSQL's text format.
    pub csv: bool,
    /// CSV: a first line of column names.
    pub header: bool,
    /// The field separator (tab for text, comma for CSV by default).
    pub delimiter: Option<char>,
    /// How NULL is written (`\N` for text, empty for CSV by default).
    pub null: Option<String>,
    /// CSV: the quote character.
    pub quote: Option<char>,
}
