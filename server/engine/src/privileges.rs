//! What a reader may run, and what `has_*_privilege` answers for each role.
//!
//! A reader runs queries, SHOW, SET and RESET of session settings, transaction and cursor
//! statements, EXPLAIN of those, and `COPY ... TO STDOUT` (psql's `\\copy ... to`, a query by
//! another name). Everything else (DDL, DML, COPY into the lake, `CALL aloe.run`) is refused
//! with 42501 before it is planned.

use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, BooleanArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::sql::parser::{CopyToSource, Statement as DFStatement};
use datafusion::sql::sqlparser::ast::{CopyTarget, Statement};

use serde::Deserialize;

/// What a user may do.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything.
    #[default]
    Admin,
    /// Read only: queries, SHOW, SET of session settings, transactions and cursors.
    Reader,
}

/// Whether `role` may run `statement`.
pub fn allowed(role: Role, statement: &DFStatement) -> bool {
    if role == Role::Admin {
        return true;
    }
    match statement {
        DFStatement::Statement(s) => reader_may(s),
        DFStatement::Explain(e) => allowed(role, &e.statement),
        DFStatement::Reset(_) => true,
        DFStatement::CopyTo(c) => matches!(c.source, CopyToSource::Query(_)) && c.target.is_empty(),
        _ => false,
    }
}

fn reader_may(s: &Statement) -> bool {
    match s {
        Statement::Query(_)
        | Statement::Set(_)
        | Statement::ShowVariable { .. }
        | Statement::ShowVariables { .. }
        | Statement::ShowTables { .. }
        | Statement::ShowColumns { .. }
        | Statement::ShowFunctions { .. }
        | Statement::StartTransaction { .. }
        | Statement::Commit { .. }
        | Statement::Rollback { .. }
        | Statement::Savepoint { .. }
        | Statement::ReleaseSavepoint { .. }
        | Statement::Declare { .. }
        | Statement::Fetch { .. }
        | Statement::Close { .. }
        | Statement::Discard { .. }
        | Statement::Deallocate { .. } => true,
        Statement::Explain {
            statement, analyze, ..
        } => !analyze && reader_may(statement),
        Statement::Copy { to, target, .. } => *to && matches!(target, CopyTarget::Stdout),
        _ => false,
    }
}

/// Whether `role` holds a privilege of `list` (PostgreSQL's `has_*_privilege` text:
/// comma-separated, each optionally `WITH GRANT OPTION`; any one held is enough, as there).
pub fn holds(role: Role, list: &str) -> bool {
    role == Role::Admin
        || list.split(',').any(|p| {
            let p = p.trim().to_ascii_uppercase();
            let p = p.trim_end_matches(" WITH GRANT OPTION").trim();
            matches!(p, "SELECT" | "USAGE" | "CONNECT" | "TEMPORARY" | "TEMP")
        })
}

/// `has_table_privilege` and its kin, answered from the session's role: the object is not
/// looked at, because a role's rights are the same on every table.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct HasPrivilege {
    name: String,
    role: Role,
    signature: Signature,
}

impl HasPrivilege {
    /// The function `name` for a session of `role`.
    pub fn udf(name: &str, role: Role) -> ScalarUDF {
        ScalarUDF::new_from_impl(Self {
            name: name.to_owned(),
            role,
            signature: Signature::variadic_any(Volatility::Stable),
        })
    }
}

impl ScalarUDFImpl for HasPrivilege {
    fn name(&self) -> &str {
        &self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Boolean)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let Some(last) = args.args.last() else {
            return Ok(ColumnarValue::Scalar(ScalarValue::Boolean(Some(false))));
        };
        let privileges = last.to_array(args.number_rows)?;
        let privileges = datafusion::arrow::compute::cast(&privileges, &DataType::Utf8)?;
        let privileges = privileges.as_string::<i32>();
        let answers: BooleanArray = (0..privileges.len())
            .map(|i| (!privileges.is_null(i)).then(|| holds(self.role, privileges.value(i))))
            .collect();
        Ok(ColumnarValue::Array(Arc::new(answers)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(sql: &str) -> DFStatement {
        crate::sql::parse::parse(sql).unwrap().remove(0).statement
    }

    #[test]
    fn a_reader_reads_and_sets_but_writes_nothing() {
        for ok in [
            "SELECT 1",
            "WITH x AS (SELECT 1) SELECT * FROM x",
            "SET search_path = gold",
            "SHOW TimeZone",
            "BEGIN",
            "COMMIT",
            "DECLARE c CURSOR FOR SELECT 1",
            "EXPLAIN SELECT 1",
            "COPY (SELECT 1) TO STDOUT",
        ] {
            assert!(allowed(Role::Reader, &parsed(ok)), "{ok}");
        }
        for refused in [
            "CREATE TABLE gold.t AS SELECT 1",
            "INSERT INTO gold.t VALUES (1)",
            "DELETE FROM gold.t",
            "DROP TABLE gold.t",
            "CREATE VIEW gold.v AS SELECT 1",
            "CALL aloe.run()",
            "COPY (SELECT 1) TO 'gold/x.parquet'",
            "COMMENT ON TABLE gold.t IS 'x'",
            "CREATE INDEX i ON gold.t (a)",
        ] {
            assert!(!allowed(Role::Reader, &parsed(refused)), "{refused}");
            assert!(allowed(Role::Admin, &parsed(refused)), "{refused}");
        }
    }

    #[test]
    fn privileges_by_role() {
        assert!(holds(Role::Reader, "SELECT"));
        assert!(holds(Role::Reader, "select, usage"));
        assert!(holds(Role::Reader, "SELECT,INSERT"));
        assert!(!holds(Role::Reader, "INSERT, DELETE WITH GRANT OPTION"));
        assert!(!holds(Role::Reader, "UPDATE"));
        assert!(holds(Role::Admin, "DELETE"));
    }
}
