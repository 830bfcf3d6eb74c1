//! Casts between dates and timestamps that keep `infinity` and `-infinity`, as PostgreSQL's
//! do: `'infinity'::date::timestamp` is infinity, where Arrow's cast overflows (the date's
//! day count times a day's nanoseconds) or lands on a calendar day (a timestamp's count
//! divided into days). Values that are no infinity go through Arrow's cast as they did; the
//! checked-arithmetic rule calls `kept` on each cast, after type coercion.

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::BooleanArray;
use datafusion::arrow::compute::kernels::zip::zip;
use datafusion::arrow::compute::{CastOptions, cast_with_options, nullif};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{DFSchema, Result, ScalarValue};
use datafusion::logical_expr::{
    Cast, ColumnarValue, Expr, ExprSchemable, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl,
    Signature, Volatility,
};

use crate::input::infinity::{self, Infinity};

/// A cast from a date to a timestamp or back, made by `aloe_infinity_cast`.
pub fn kept(cast: &Cast, schema: &DFSchema) -> Option<Expr> {
    let from = cast.expr.get_type(schema).ok()?;
    let to = cast.field.data_type();
    let crossing = matches!(
        (&from, to),
        (DataType::Date32, DataType::Timestamp(_, _))
            | (DataType::Timestamp(_, _), DataType::Date32)
    );
    if !crossing {
        return None;
    }
    let typed_null = ScalarValue::try_from(to).ok()?;
    Some(Expr::Cast(Cast {
        expr: Box::new(
            INFINITY_CAST.call(vec![(*cast.expr).clone(), Expr::Literal(typed_null, None)]),
        ),
        field: cast.field.clone(),
    }))
}

static INFINITY_CAST: LazyLock<Arc<ScalarUDF>> = LazyLock::new(|| {
    Arc::new(ScalarUDF::new_from_impl(InfinityCast {
        signature: Signature::any(2, Volatility::Immutable),
    }))
});

/// `aloe_infinity_cast(value, NULL::type)`: the value cast to the second argument's type,
/// its infinities to that type's.
#[derive(Debug, PartialEq, Eq, Hash)]
struct InfinityCast {
    signature: Signature,
}

/// Where each value is `side`'s infinity.
fn infinite(ends: &[Option<Infinity>], side: Infinity) -> BooleanArray {
    ends.iter().map(|e| Some(*e == Some(side))).collect()
}

impl ScalarUDFImpl for InfinityCast {
    fn name(&self) -> &str {
        "aloe_infinity_cast"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, args: &[DataType]) -> Result<DataType> {
        Ok(args[1].clone())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let to = args.return_field.data_type().clone();
        let values = args.args[0].to_array(args.number_rows)?;
        let strict = CastOptions {
            safe: false,
            ..Default::default()
        };
        let ends = infinity::of_array(&values);
        let plus = infinite(&ends, Infinity::Plus);
        let minus = infinite(&ends, Infinity::Minus);
        if plus.true_count() + minus.true_count() == 0 {
            let out = cast_with_options(&values, &to, &strict)?;
            return super::text_input::shaped_as(&args.args[0], out);
        }
        let finite = nullif(&nullif(&values, &plus)?, &minus)?;
        let mut out = cast_with_options(&finite, &to, &strict)?;
        for (mask, side) in [(plus, Infinity::Plus), (minus, Infinity::Minus)] {
            out = zip(&mask, &side.scalar(&to).to_scalar()?, &out)?;
        }
        super::text_input::shaped_as(&args.args[0], out)
    }
}
