//! What kind of statement this is, decided once when it is parsed: which module handles it,
//! whether it writes, whether a reader may run it, and its metric label. Every consumer
//! (dispatch, privileges, read-only transactions, plan reuse, metrics) asks this, never the
//! statement again. Whether it answers rows is read from its plan, where there is one: an
//! EXECUTE's rows are those of what was prepared.

use datafusion::sql::parser::{CopyToSource, Statement as DFStatement};
use datafusion::sql::sqlparser::ast::{CopyTarget, ObjectType, Statement};

/// The statement families Aloe answers itself, one handler module each (`statements/`), and
/// the two that DataFusion plans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// SELECT, VALUES, WITH, EXPLAIN, DESCRIBE, SHOW TABLES: planned by DataFusion, no writes,
    /// no change to how the session plans (so a Parse-time plan may serve its Execute).
    Query,
    /// SET, SHOW, RESET, DISCARD.
    Variable,
    /// BEGIN, COMMIT, ROLLBACK, SAVEPOINT, RELEASE, ROLLBACK TO.
    Transaction,
    /// DECLARE, FETCH, MOVE, CLOSE.
    Cursor,
    /// COPY ... TO STDOUT or to a lake file.
    Copy,
    /// CALL of a registered procedure.
    Call,
    /// COMMENT ON.
    Comment,
    /// DROP INDEX (CREATE INDEX is planned).
    DropIndex,
    /// DEALLOCATE: prepared statements live in the front end.
    Deallocate,
    /// Everything else: planned by DataFusion; `statements/lake.rs` hands the plan's writes
    /// (tables, views, external tables, indexes, Kafka tables, schemas, INSERT, COPY TO a
    /// file) to their modules, and DataFusion refuses what it does not know.
    Planned,
}

/// The kind of one statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind {
    /// The module that handles it.
    pub family: Family,
    /// It changes data or the catalog (refused in READ ONLY transactions, ends cached results).
    pub writes: bool,
    /// A reader (the read-only role) may run it.
    pub reader_may: bool,
    /// The `kind` label of the statement metrics.
    pub label: &'static str,
}

impl Kind {
    /// The kind of `statement`.
    pub fn of(statement: &DFStatement) -> Self {
        match statement {
            DFStatement::Statement(s) => of_sql(s),
            DFStatement::Explain(e) => explain(Self::of(&e.statement), e.options.analyze),
            DFStatement::Reset(_) => kind(Family::Variable, false, true, "set"),
            DFStatement::CreateExternalTable(_) => kind(Family::Planned, true, false, "create"),
            DFStatement::CopyTo(c) => {
                let to_client = matches!(c.source, CopyToSource::Query(_)) && c.target.is_empty();
                kind(Family::Planned, !to_client, to_client, "copy")
            }
        }
    }

    /// The kind of text that did not parse: only its metric label matters.
    pub fn unparsed() -> Self {
        kind(Family::Planned, false, true, "other")
    }
}

const fn kind(family: Family, writes: bool, reader_may: bool, label: &'static str) -> Kind {
    Kind {
        family,
        writes,
        reader_may,
        label,
    }
}

/// EXPLAIN of a statement of kind `inner`: a query, which writes only when ANALYZE runs it.
fn explain(inner: Kind, analyze: bool) -> Kind {
    Kind {
        family: Family::Query,
        writes: analyze && inner.writes,
        reader_may: inner.reader_may,
        label: "explain",
    }
}

fn of_sql(s: &Statement) -> Kind {
    use Family::*;
    match s {
        Statement::Query(_) => kind(Query, false, true, "select"),
        Statement::Explain {
            statement, analyze, ..
        } => explain(of_sql(statement), *analyze),
        Statement::ShowTables { .. }
        | Statement::ShowColumns { .. }
        | Statement::ShowFunctions { .. }
        | Statement::ShowVariables { .. } => kind(Query, false, true, "show"),
        // DESCRIBE reads the catalog; a reader was never given it.
        Statement::ExplainTable { .. } => kind(Query, false, false, "other"),
        Statement::Set(_) => kind(Variable, false, true, "set"),
        Statement::ShowVariable { .. } => kind(Variable, false, true, "show"),
        Statement::Discard { .. } => kind(Variable, false, true, "other"),
        Statement::StartTransaction { .. } => kind(Transaction, false, true, "begin"),
        Statement::Commit { .. } => kind(Transaction, false, true, "commit"),
        Statement::Rollback { .. } => kind(Transaction, false, true, "rollback"),
        Statement::Savepoint { .. } | Statement::ReleaseSavepoint { .. } => {
            kind(Transaction, false, true, "other")
        }
        Statement::Declare { .. } => kind(Cursor, false, true, "declare"),
        Statement::Fetch { .. } => kind(Cursor, false, true, "fetch"),
        Statement::Close { .. } => kind(Cursor, false, true, "other"),
        Statement::Copy { to, target, .. } => {
            let to_client = *to && matches!(target, CopyTarget::Stdout);
            kind(Copy, !to_client, to_client, "copy")
        }
        Statement::Call(_) => kind(Call, true, false, "call"),
        Statement::Comment { .. } => kind(Comment, true, false, "comment"),
        Statement::Drop {
            object_type: ObjectType::Index,
            ..
        } => kind(DropIndex, true, false, "drop"),
        Statement::Drop { .. } => kind(Planned, true, false, "drop"),
        Statement::CreateTable(_)
        | Statement::CreateView(_)
        | Statement::CreateIndex(_)
        | Statement::CreateSchema { .. }
        | Statement::CreateDatabase { .. }
        | Statement::CreateFunction(_) => kind(Planned, true, false, "create"),
        Statement::Insert(_) => kind(Planned, true, false, "insert"),
        Statement::Update { .. } => kind(Planned, true, false, "update"),
        Statement::Delete(_) => kind(Planned, true, false, "delete"),
        Statement::Merge { .. } => kind(Planned, true, false, "merge"),
        Statement::Truncate { .. } => kind(Planned, true, false, "truncate"),
        Statement::AlterTable { .. } | Statement::AlterView { .. } => {
            kind(Planned, true, false, "alter")
        }
        // What a prepared statement does is known only once it is planned; its plan is not a
        // write (as before kinds existed), and a reader was never given it.
        Statement::Prepare { .. } | Statement::Execute { .. } => {
            kind(Planned, false, false, "other")
        }
        Statement::Deallocate { .. } => kind(Deallocate, false, true, "other"),
        _ => kind(Planned, true, false, "other"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::parse::parse;

    fn kind_of(sql: &str) -> Kind {
        parse(sql).unwrap().remove(0).kind
    }

    #[test]
    fn families_and_what_they_carry() {
        let k = kind_of("WITH x AS (SELECT 1) SELECT * FROM x");
        assert_eq!(
            (k.family, k.writes, k.label),
            (Family::Query, false, "select")
        );
        let k = kind_of("INSERT INTO t VALUES (1)");
        assert_eq!(
            (k.family, k.writes, k.reader_may, k.label),
            (Family::Planned, true, false, "insert")
        );
        assert_eq!(kind_of("DROP TABLE kafka.clicks").family, Family::Planned);
        assert_eq!(kind_of("DROP INDEX i").family, Family::DropIndex);
        assert_eq!(kind_of("CREATE INDEX i ON t (a)").family, Family::Planned);
        assert_eq!(kind_of("MOVE 2 IN c").family, Family::Cursor);
        assert_eq!(
            kind_of("ROLLBACK TO SAVEPOINT a").family,
            Family::Transaction
        );
        assert_eq!(kind_of("RESET ALL").family, Family::Variable);
        let k = kind_of("CREATE EXTERNAL TABLE k STORED AS KAFKA LOCATION 't'");
        assert_eq!((k.family, k.writes), (Family::Planned, true));
        // A prepared statement's plan decides what it does; it is not taken for a write.
        let k = kind_of("EXECUTE q");
        assert_eq!((k.family, k.writes), (Family::Planned, false));
    }

    #[test]
    fn a_reader_reads_and_sets_but_writes_nothing() {
        for sql in [
            "SELECT 1",
            "SHOW search_path",
            "SET search_path = gold",
            "RESET ALL",
            "BEGIN READ ONLY",
            "COMMIT",
            "DECLARE c CURSOR FOR SELECT 1",
            "FETCH 10 FROM c",
            "EXPLAIN SELECT 1",
            "COPY (SELECT 1) TO STDOUT",
        ] {
            assert!(kind_of(sql).reader_may, "{sql}");
        }
        for sql in [
            "INSERT INTO gold.t VALUES (1)",
            "CREATE TABLE gold.t AS SELECT 1",
            "DROP TABLE gold.t",
            "CALL aloe.run()",
            "COPY (SELECT 1) TO '/tmp/x.csv'",
            "COMMENT ON TABLE gold.t IS 'x'",
            "EXPLAIN ANALYZE INSERT INTO gold.t VALUES (1)",
            "UPDATE gold.t SET a = 1",
            "DELETE FROM gold.t",
            "CREATE VIEW gold.v AS SELECT 1",
            "CREATE INDEX i ON gold.t (a)",
        ] {
            assert!(!kind_of(sql).reader_may, "{sql}");
            assert!(kind_of(sql).writes, "{sql}");
        }
    }
}
