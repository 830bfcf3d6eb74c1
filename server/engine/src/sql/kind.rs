//! What kind of statement this is, decided once when it is parsed: which module handles it,
//! whether it writes, whether it answers rows, whether a reader may run it, and its metric
//! label. Every consumer (dispatch, privileges, read-only transactions, Describe, metrics) asks
//! this, never the statement again.

use datafusion::sql::parser::{CopyToSource, Statement as DFStatement};
use datafusion::sql::sqlparser::ast::{CopyTarget, ObjectType, Statement};

/// The statement families, one handler module each (`statements/`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// SELECT, VALUES, WITH, EXPLAIN and what else DataFusion plans into rows.
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
    /// CREATE TABLE [AS], DROP TABLE.
    Table,
    /// CREATE VIEW, DROP VIEW.
    View,
    /// CREATE EXTERNAL TABLE over lake files.
    ExternalTable,
    /// CREATE EXTERNAL TABLE ... STORED AS KAFKA, DROP TABLE kafka.x.
    Kafka,
    /// CREATE INDEX, DROP INDEX.
    Index,
    /// CREATE SCHEMA, DROP SCHEMA, CREATE DATABASE.
    Schema,
    /// INSERT, UPDATE, DELETE, MERGE, TRUNCATE.
    Dml,
    /// DataFusion's COPY ... TO 'file' STORED AS.
    CopyTo,
    /// DEALLOCATE: prepared statements live in the front end.
    Deallocate,
    /// Anything else: planned by DataFusion, which refuses what it does not know.
    Other,
}

/// The kind of one statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind {
    /// The module that handles it.
    pub family: Family,
    /// It changes data or the catalog (refused in READ ONLY transactions, ends cached results).
    pub writes: bool,
    /// It answers rows (a RowDescription), not only a command tag.
    pub returns_rows: bool,
    /// A reader (issue 9's read-only role) may run it.
    pub reader_may: bool,
    /// The `kind` label of the statement metrics.
    pub label: &'static str,
}

impl Kind {
    /// The kind of `statement`.
    pub fn of(statement: &DFStatement) -> Self {
        match statement {
            DFStatement::Statement(s) => of_sql(s),
            DFStatement::Explain(e) => {
                let inner = Self::of(&e.statement);
                Kind {
                    family: Family::Query,
                    // EXPLAIN ANALYZE runs the statement it explains.
                    writes: e.options.analyze && inner.writes,
                    returns_rows: true,
                    reader_may: inner.reader_may,
                    label: "explain",
                }
            }
            DFStatement::Reset(_) => kind(Family::Variable, false, false, true, "set"),
            DFStatement::CreateExternalTable(c) if c.file_type.eq_ignore_ascii_case("kafka") => {
                kind(Family::Kafka, true, false, false, "create")
            }
            DFStatement::CreateExternalTable(_) => {
                kind(Family::ExternalTable, true, false, false, "create")
            }
            DFStatement::CopyTo(c) => {
                let to_client = matches!(c.source, CopyToSource::Query(_)) && c.target.is_empty();
                kind(Family::CopyTo, !to_client, false, to_client, "copy")
            }
        }
    }

    /// The kind of text that did not parse: only its metric label matters.
    pub fn unparsed() -> Self {
        kind(Family::Other, false, false, true, "other")
    }
}

const fn kind(
    family: Family,
    writes: bool,
    returns_rows: bool,
    reader_may: bool,
    label: &'static str,
) -> Kind {
    Kind {
        family,
        writes,
        returns_rows,
        reader_may,
        label,
    }
}

fn of_sql(s: &Statement) -> Kind {
    use Family::*;
    match s {
        Statement::Query(_) => kind(Query, false, true, true, "select"),
        Statement::Explain { statement, .. } => {
            let inner = of_sql(statement);
            let analyze = matches!(s, Statement::Explain { analyze: true, .. });
            Kind {
                family: Query,
                writes: analyze && inner.writes,
                returns_rows: true,
                reader_may: inner.reader_may,
                label: "explain",
            }
        }
        Statement::ShowTables { .. }
        | Statement::ShowColumns { .. }
        | Statement::ShowFunctions { .. }
        | Statement::ShowVariables { .. } => kind(Query, false, true, true, "show"),
        Statement::Set(_) => kind(Variable, false, false, true, "set"),
        Statement::ShowVariable { .. } => kind(Variable, false, true, true, "show"),
        Statement::Discard { .. } => kind(Variable, false, false, true, "other"),
        Statement::StartTransaction { .. } => kind(Transaction, false, false, true, "begin"),
        Statement::Commit { .. } => kind(Transaction, false, false, true, "commit"),
        Statement::Rollback { .. } => kind(Transaction, false, false, true, "rollback"),
        Statement::Savepoint { .. } | Statement::ReleaseSavepoint { .. } => {
            kind(Transaction, false, false, true, "other")
        }
        Statement::Declare { .. } => kind(Cursor, false, false, true, "declare"),
        Statement::Fetch { .. } => kind(Cursor, false, true, true, "fetch"),
        Statement::Close { .. } => kind(Cursor, false, false, true, "other"),
        Statement::Copy { to, target, .. } => {
            let to_client = *to && matches!(target, CopyTarget::Stdout);
            // COPY TO STDOUT answers COPY data, not rows.
            kind(Copy, !to_client, false, to_client, "copy")
        }
        Statement::Call(_) => kind(Call, true, true, false, "call"),
        Statement::Comment { .. } => kind(Comment, true, false, false, "comment"),
        Statement::CreateTable(_) => kind(Table, true, false, false, "create"),
        Statement::CreateView(_) => kind(View, true, false, false, "create"),
        Statement::CreateIndex(_) => kind(Index, true, false, false, "create"),
        Statement::CreateSchema { .. } | Statement::CreateDatabase { .. } => {
            kind(Schema, true, false, false, "create")
        }
        Statement::Drop {
            object_type, names, ..
        } => {
            let family = match object_type {
                ObjectType::Table if names.iter().all(in_kafka_schema) => Kafka,
                ObjectType::Table => Table,
                ObjectType::View => View,
                ObjectType::Index => Index,
                ObjectType::Schema | ObjectType::Database => Schema,
                _ => Other,
            };
            kind(family, true, false, false, "drop")
        }
        Statement::Insert(_) => kind(Dml, true, false, false, "insert"),
        Statement::Update { .. } => kind(Dml, true, false, false, "update"),
        Statement::Delete(_) => kind(Dml, true, false, false, "delete"),
        Statement::Merge { .. } => kind(Dml, true, false, false, "merge"),
        Statement::Truncate { .. } => kind(Dml, true, false, false, "truncate"),
        Statement::AlterTable { .. } | Statement::AlterView { .. } => {
            kind(Other, true, false, false, "alter")
        }
        Statement::Deallocate { .. } => kind(Deallocate, false, false, true, "other"),
        Statement::CreateFunction(_) => kind(Other, true, false, false, "create"),
        _ => kind(Other, true, false, false, "other"),
    }
}

fn in_kafka_schema(name: &datafusion::sql::sqlparser::ast::ObjectName) -> bool {
    let parts = &name.0;
    parts.len() >= 2
        && parts[parts.len() - 2]
            .as_ident()
            .is_some_and(|i| i.value.eq_ignore_ascii_case(crate::sql::KAFKA_SCHEMA))
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
            (k.family, k.writes, k.returns_rows, k.label),
            (Family::Query, false, true, "select")
        );
        let k = kind_of("INSERT INTO t VALUES (1)");
        assert_eq!(
            (k.family, k.writes, k.reader_may, k.label),
            (Family::Dml, true, false, "insert")
        );
        assert_eq!(kind_of("DROP TABLE kafka.clicks").family, Family::Kafka);
        assert_eq!(kind_of("DROP TABLE bronze.clicks").family, Family::Table);
        assert_eq!(kind_of("DROP INDEX i").family, Family::Index);
        assert_eq!(kind_of("MOVE 2 IN c").family, Family::Cursor);
        assert_eq!(
            kind_of("ROLLBACK TO SAVEPOINT a").family,
            Family::Transaction
        );
        assert_eq!(kind_of("RESET ALL").family, Family::Variable);
        let k = kind_of("CREATE EXTERNAL TABLE k STORED AS KAFKA LOCATION 't'");
        assert_eq!((k.family, k.writes), (Family::Kafka, true));
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
        ] {
            assert!(!kind_of(sql).reader_may, "{sql}");
            assert!(kind_of(sql).writes, "{sql}");
        }
    }
}
