//! `json_build_object(key, value, ...)` as JSON text.

use super::rows::{answer, row_count};

use datafusion::arrow::array::{Array, ArrayRef, StringArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{ScalarValue, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use serde_json::{Map, Value};

/// The function.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct JsonBuildObject {
    /// Key/value pairs of any types.
    signature: Signature,
}

impl Default for JsonBuildObject {
    fn default() -> Self {
        Self {
            signature: Signature::variadic_any(Volatility::Immutable),
        }
    }
}

fn json_value(a: &ArrayRef, i: usize) -> datafusion::error::Result<Value> {
    if a.data_type() == &DataType::Null || a.is_null(i) {
        return Ok(Value::Null);
    }
    let s = ScalarValue::try_from_array(a, i)?;
    Ok(match s {
        ScalarValue::Boolean(Some(b)) => Value::Bool(b),
        ScalarValue::Int8(Some(v)) => v.into(),
        ScalarValue::Int16(Some(v)) => v.into(),
        ScalarValue::Int32(Some(v)) => v.into(),
        ScalarValue::Int64(Some(v)) => v.into(),
        ScalarValue::UInt32(Some(v)) => v.into(),
        ScalarValue::UInt64(Some(v)) => v.into(),
        ScalarValue::Float32(Some(v)) => serde_json::Number::from_f64(v as f64)
            .map(Value::Number)
            .unwrap_or(Value::Null),
        ScalarValue::Float64(Some(v)) => serde_json::Number::from_f64(v)
            .map(Value::Number)
            .unwrap_or(Value::Null),
        ScalarValue::Utf8(Some(v))
        | ScalarValue::LargeUtf8(Some(v))
        | ScalarValue::Utf8View(Some(v)) => Value::String(v),
        other => Value::String(other.to_string()),
    })
}

impl ScalarUDFImpl for JsonBuildObject {
    fn name(&self) -> &str {
        "json_build_object"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> datafusion::error::Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(
        &self,
        args: ScalarFunctionArgs,
    ) -> datafusion::error::Result<ColumnarValue> {
        if !args.args.len().is_multiple_of(2) {
            return exec_err!("argument list must have even number of elements");
        }
        let (scalar, n) = row_count(&args);
        let arrays: Vec<ArrayRef> = args
            .args
            .iter()
            .map(|a| a.to_array(n))
            .collect::<datafusion::error::Result<_>>()?;
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            let mut object = Map::new();
            for pair in arrays.chunks(2) {
                let key = match json_value(&pair[0], i)? {
                    Value::String(s) => s,
                    Value::Null => return exec_err!("null value not allowed for object key"),
                    other => other.to_string(),
                };
                object.insert(key, json_value(&pair[1], i)?);
            }
            out.push(Value::Object(object).to_string());
        }
        let out = StringArray::from(out);
        answer(out, scalar)
    }
}
