//! `isfinite(date | timestamp | timestamptz | interval)`: false for `infinity` and
//! `-infinity` (`input/infinity.rs`), true otherwise; intervals are always finite in
//! PostgreSQL 15.

use datafusion::arrow::array::{Array, BooleanArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};

use super::rows::{answer, row_count};
use crate::input::infinity;

/// The function.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct IsFinite {
    /// One date, timestamp or interval.
    signature: Signature,
}

impl Default for IsFinite {
    fn default() -> Self {
        Self {
            signature: Signature::any(1, Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for IsFinite {
    fn name(&self) -> &str {
        "isfinite"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, args: &[DataType]) -> datafusion::error::Result<DataType> {
        match &args[0] {
            DataType::Date32 | DataType::Timestamp(_, _) | DataType::Interval(_) => {
                Ok(DataType::Boolean)
            }
            // In DataFusion's words, which the error classifier reads as 42883.
            other => datafusion::common::plan_err!(
                "No function matches the given name and argument types 'isfinite({other})'."
            ),
        }
    }

    fn invoke_with_args(
        &self,
        args: ScalarFunctionArgs,
    ) -> datafusion::error::Result<ColumnarValue> {
        let (constant, n) = row_count(&args);
        let values = args.args[0].to_array(n)?;
        let finite: BooleanArray = infinity::of_array(&values)
            .into_iter()
            .enumerate()
            .map(|(i, end)| values.is_valid(i).then_some(end.is_none()))
            .collect();
        answer(finite, constant)
    }
}
