//! Functions that give back their first argument once a check has accepted every value of
//! it: how Aloe's plan rules raise PostgreSQL's errors for values DataFusion's own functions
//! and casts take silently (a logarithm of zero, float text out of range).

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

/// The check: the first argument's values, then the other arguments as given.
pub type Check = fn(&ArrayRef, &[ColumnarValue]) -> Result<()>;

/// A pass-through function named `name` that runs `check` on its arguments first.
#[derive(Debug)]
struct ArgumentCheck {
    name: &'static str,
    signature: Signature,
    check: Check,
}

// By name: two checks are the same function when they are called the same.
impl PartialEq for ArgumentCheck {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for ArgumentCheck {}

impl Hash for ArgumentCheck {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl ScalarUDFImpl for ArgumentCheck {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, args: &[DataType]) -> Result<DataType> {
        Ok(args[0].clone())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let value = &args.args[0];
        (self.check)(&value.to_array(1)?, &args.args[1..])?;
        Ok(value.clone())
    }
}

/// The function `name(value, ...)` of `arity` arguments that answers `value` once `check`
/// accepts it.
pub fn udf(name: &'static str, arity: usize, check: Check) -> Arc<ScalarUDF> {
    Arc::new(ScalarUDF::new_from_impl(ArgumentCheck {
        name,
        signature: Signature::any(arity, Volatility::Immutable),
        check,
    }))
}
