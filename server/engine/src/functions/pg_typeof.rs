//! `pg_typeof(any)`: the SQL name of its argument's type, as PostgreSQL prints a regtype
//! (`integer`, `numeric`, `timestamp with time zone`, `text[]`). dbt's adapters and people
//! checking a cast call it.

use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::scalar::ScalarValue;

use crate::catalog::type_names::sql_name;

/// The function.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct PgTypeof {
    /// Any one argument.
    signature: Signature,
}

impl Default for PgTypeof {
    fn default() -> Self {
        Self {
            signature: Signature::any(1, Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for PgTypeof {
    fn name(&self) -> &str {
        "pg_typeof"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> datafusion::error::Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(
        &self,
        args: ScalarFunctionArgs,
    ) -> datafusion::error::Result<ColumnarValue> {
        let data_type = args.args[0].data_type();
        let name = match &data_type {
            // arrow-pg names every timestamp `timestamp`; one with a zone is PostgreSQL's
            // timestamptz.
            DataType::Timestamp(_, Some(_)) => "timestamp with time zone".to_owned(),
            _ => {
                let field = std::sync::Arc::new(Field::new("", data_type, true));
                arrow_pg::datatypes::field_into_pg_type(&field)
                    .map(|t| sql_name(t.name()))
                    .unwrap_or_else(|_| "unknown".to_owned())
            }
        };
        // One answer for every row: a scalar, which DataFusion spreads over the batch.
        Ok(ColumnarValue::Scalar(ScalarValue::Utf8(Some(name))))
    }
}
