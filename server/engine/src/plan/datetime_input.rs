//! Text cast to a date, time or timestamp, read as PostgreSQL's input functions read it, where
//! it is no literal of the statement (`sql/rewrite/literals.rs` reads those): an untyped
//! `'infinity'` compared with a date column, the text of `INSERT ... VALUES ('2025-10-01
//! 10:00')` cast to the column's timestamp type, a text column cast with `::date`. Arrow's cast
//! reads each value first; the values it cannot read go through Aloe's input functions
//! (`input/datetime.rs`, `input/infinity.rs`), which take PostgreSQL's other forms and refuse
//! what PostgreSQL refuses with its SQLSTATE. Text Arrow reads is read as Arrow reads it, so
//! the cost of the common case is one cast and one look at its nulls.

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{Array, ArrayRef};
use datafusion::arrow::compute::{CastOptions, cast_with_options};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue};
use datafusion::error::DataFusionError;
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use crate::input::datetime::{self, Target};
use crate::input::infinity;

/// The PostgreSQL type an Arrow date/time type is read as, if it is one.
fn target(data_type: &DataType) -> Option<Target> {
    Some(match data_type {
        DataType::Date32 => Target::Date,
        DataType::Time64(_) => Target::Time,
        DataType::Timestamp(_, None) => Target::Timestamp,
        DataType::Timestamp(_, Some(_)) => Target::TimestampTz,
        _ => return None,
    })
}

/// `aloe_datetime_in(text, NULL::type)` for a cast of text to a date/time `data_type`, if it
/// is one.
pub fn read(text: Expr, data_type: &DataType) -> Option<Expr> {
    target(data_type)?;
    let typed_null = ScalarValue::try_from(data_type).ok()?;
    Some(DATETIME_IN.call(vec![text, Expr::Literal(typed_null, None)]))
}

static DATETIME_IN: LazyLock<Arc<ScalarUDF>> = LazyLock::new(|| {
    Arc::new(ScalarUDF::new_from_impl(DatetimeIn {
        signature: Signature::any(2, Volatility::Immutable),
    }))
});

/// `aloe_datetime_in(text, NULL::type)`: the text read as a value of the second argument's
/// type.
#[derive(Debug, PartialEq, Eq, Hash)]
struct DatetimeIn {
    signature: Signature,
}

impl ScalarUDFImpl for DatetimeIn {
    fn name(&self) -> &str {
        "aloe_datetime_in"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, args: &[DataType]) -> Result<DataType> {
        Ok(args[1].clone())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let data_type = args.return_field.data_type().clone();
        let strings = super::text_input::texts(&args.args[0].to_array(args.number_rows)?)?;
        let safe = CastOptions {
            safe: true,
            ..Default::default()
        };
        let read = cast_with_options(&strings, &data_type, &safe)?;
        let unread: Vec<usize> = (0..strings.len())
            .filter(|&i| strings.is_valid(i) && read.is_null(i))
            .collect();
        if unread.is_empty() {
            return super::text_input::shaped_as(&args.args[0], read);
        }
        let mut values = (0..read.len())
            .map(|i| ScalarValue::try_from_array(&read, i))
            .collect::<Result<Vec<_>>>()?;
        for i in unread {
            values[i] = value(strings.value(i), &data_type)?;
        }
        let out: ArrayRef = ScalarValue::iter_to_array(values)?;
        super::text_input::shaped_as(&args.args[0], out)
    }
}

/// One text Arrow could not read, as PostgreSQL's input function reads it.
fn value(text: &str, data_type: &DataType) -> Result<ScalarValue> {
    let target = target(data_type).expect("only date/time types are read here");
    if target != Target::Time
        && let Some(end) = infinity::named(text)
    {
        return Ok(end.scalar(data_type));
    }
    let canonical =
        datetime::canonical(text, target).map_err(|e| DataFusionError::External(Box::new(e)))?;
    ScalarValue::Utf8(Some(canonical)).cast_to(data_type)
}
