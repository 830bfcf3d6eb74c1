//! What a reader may run, and what `has_*_privilege` answers for each role.
//!
//! A reader runs queries, SHOW, SET and RESET of session settings, transaction and cursor
//! statements, EXPLAIN of those, and `COPY ... TO STDOUT` (psql's `\\copy ... to`, a query by
//! another name). Everything else (DDL, DML, COPY into the lake, `CALL aloe.run`) is refused
//! with 42501 before it is planned.

use std::sync::Arc;

use crate::sql::kind::Kind;
use datafusion::arrow::array::{Array, AsArray, BooleanArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

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

/// Whether `role` may run a statement of `kind`.
pub fn allowed(role: Role, kind: &Kind) -> bool {
    role == Role::Admin || kind.reader_may
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
