//! `make_time(hour, min, sec)`.

use super::rows::{answer, row_count};

use datafusion::arrow::array::{Array, Float64Array, Int64Array, Time64MicrosecondArray};
use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::common::exec_err;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};

/// The function.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct MakeTime {
    /// Hour, minute, seconds (fractional allowed).
    signature: Signature,
}

impl Default for MakeTime {
    fn default() -> Self {
        Self {
            signature: Signature::any(3, Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for MakeTime {
    fn name(&self) -> &str {
        "make_time"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> datafusion::error::Result<DataType> {
        Ok(DataType::Time64(TimeUnit::Microsecond))
    }

    fn invoke_with_args(
        &self,
        args: ScalarFunctionArgs,
    ) -> datafusion::error::Result<ColumnarValue> {
        let (scalar, n) = row_count(&args);
        let int = |i: usize| -> datafusion::error::Result<Int64Array> {
            let a = datafusion::arrow::compute::cast(&args.args[i].to_array(n)?, &DataType::Int64)?;
            Ok(a.as_any()
                .downcast_ref::<Int64Array>()
                .expect("cast")
                .clone())
        };
        let (h, m) = (int(0)?, int(1)?);
        let s = datafusion::arrow::compute::cast(&args.args[2].to_array(n)?, &DataType::Float64)?;
        let s = s.as_any().downcast_ref::<Float64Array>().expect("cast");
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            if h.is_null(i) || m.is_null(i) || s.is_null(i) {
                out.push(None);
                continue;
            }
            let (h, m, s) = (h.value(i), m.value(i), s.value(i));
            if !(0..=23).contains(&h) || !(0..=59).contains(&m) || !(0.0..60.0).contains(&s) {
                return exec_err!("time field value out of range: {h}:{m}:{s}");
            }
            out.push(Some(
                h * 3_600_000_000 + m * 60_000_000 + (s * 1e6).round() as i64,
            ));
        }
        let out = Time64MicrosecondArray::from(out);
        answer(out, scalar)
    }
}
