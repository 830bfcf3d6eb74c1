//! The shape every row-wise function here shares: compute one row when all arguments are
//! constants (and answer a constant), else one row per input row.

use std::sync::Arc;

use datafusion::arrow::array::Array;
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs};

/// Whether every argument is a constant, and how many rows to compute.
pub fn row_count(args: &ScalarFunctionArgs) -> (bool, usize) {
    let constant = args
        .args
        .iter()
        .all(|a| matches!(a, ColumnarValue::Scalar(_)));
    (constant, if constant { 1 } else { args.number_rows })
}

/// The computed column as the function's answer: a constant when the inputs were.
pub fn answer(column: impl Array + 'static, constant: bool) -> Result<ColumnarValue> {
    Ok(if constant {
        ColumnarValue::Scalar(ScalarValue::try_from_array(&column, 0)?)
    } else {
        ColumnarValue::Array(Arc::new(column))
    })
}
