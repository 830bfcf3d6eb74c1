//! Casts to text written as PostgreSQL's output functions write them: `ts::text` is
//! `2025-10-01 12:00:00`, not Arrow's `2025-10-01T12:00:00`, `1e16::float8::text` is `1e+16`,
//! an interval is `1 day 02:00:00`, and an infinite date or timestamp is `infinity`. The text
//! is the one a client is sent for the value (`output/text.rs`); the checked-arithmetic rule
//! calls `written` on each cast, after type coercion.

use std::sync::{Arc, LazyLock};

use datafusion::arrow::datatypes::DataType;
use datafusion::common::{DFSchema, Result};
use datafusion::error::DataFusionError;
use datafusion::logical_expr::{
    Cast, ColumnarValue, Expr, ExprSchemable, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl,
    Signature, Volatility,
};

use crate::output::text;

/// A cast of a float, date, time, timestamp or interval to text, written by `aloe_text_out`;
/// a timestamptz is written in the session's time `zone`, as PostgreSQL writes it (a lake
/// column is zoned UTC).
pub fn written(cast: &Cast, schema: &DFSchema, zone: Option<&str>) -> Option<Expr> {
    if !matches!(
        cast.field.data_type(),
        DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8
    ) {
        return None;
    }
    let from = cast.expr.get_type(schema).ok()?;
    if !text::written(&from) {
        return None;
    }
    let value = match (&from, zone) {
        (DataType::Timestamp(unit, Some(own)), Some(zone)) if own.as_ref() != zone => {
            datafusion::prelude::cast(
                (*cast.expr).clone(),
                DataType::Timestamp(*unit, Some(zone.into())),
            )
        }
        _ => (*cast.expr).clone(),
    };
    Some(Expr::Cast(Cast {
        expr: Box::new(TEXT_OUT.call(vec![value])),
        field: cast.field.clone(),
    }))
}

static TEXT_OUT: LazyLock<Arc<ScalarUDF>> = LazyLock::new(|| {
    Arc::new(ScalarUDF::new_from_impl(TextOut {
        signature: Signature::any(1, Volatility::Immutable),
    }))
});

/// `aloe_text_out(value)`: the value's PostgreSQL text.
#[derive(Debug, PartialEq, Eq, Hash)]
struct TextOut {
    signature: Signature,
}

impl ScalarUDFImpl for TextOut {
    fn name(&self) -> &str {
        "aloe_text_out"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let values = args.args[0].to_array(args.number_rows)?;
        let out = text::as_text(&values).map_err(DataFusionError::from)?;
        super::text_input::shaped_as(&args.args[0], Arc::new(out))
    }
}
