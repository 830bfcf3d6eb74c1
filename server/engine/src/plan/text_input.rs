//! Text cast to another type, read as PostgreSQL's input functions read it where DataFusion's
//! casts read it otherwise: a float too large or too small for its type raises 22003 (Arrow
//! reads `'1e400'::float8` as Infinity), and bytea text is decoded from its hex (`\x00ff`) or
//! escape (`a\000b`) form (Arrow takes the text's own bytes). The checked-arithmetic analyzer
//! rule calls `checked` on each cast, after type coercion.

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{Array, ArrayRef, BinaryBuilder, StringArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::tree_node::Transformed;
use datafusion::common::{DFSchema, Result, ScalarValue};
use datafusion::error::DataFusionError;
use datafusion::logical_expr::{
    Cast, ColumnarValue, Expr, ExprSchemable, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl,
    Signature, Volatility,
};

use crate::error::{EngineError, sqlstate};

/// Whether `text` is a number that the float type (`single` for real) cannot hold: too large
/// for it, or so small and non-zero that it would read as zero.
fn out_of_float_range(text: &str, single: bool) -> bool {
    let text = text.trim();
    let unsigned = text.trim_start_matches(['+', '-']).to_ascii_lowercase();
    if unsigned == "inf" || unsigned == "infinity" || unsigned == "nan" {
        return false;
    }
    let (infinite, zero) = if single {
        match text.parse::<f32>() {
            Ok(v) => (v.is_infinite(), v == 0.0),
            Err(_) => return false,
        }
    } else {
        match text.parse::<f64>() {
            Ok(v) => (v.is_infinite(), v == 0.0),
            Err(_) => return false,
        }
    };
    let mantissa = unsigned.split('e').next().unwrap_or_default();
    infinite || zero && mantissa.chars().any(|c| ('1'..='9').contains(&c))
}

/// `aloe_float_text(text, type)`: the text itself, once every value of it is known to name a
/// number its float type can hold; 22003 otherwise, as PostgreSQL's float input refuses
/// `'1e400'::float8` (DataFusion's cast reads it as Infinity) and `'1e-400'::float8` (read as
/// 0). The spelt infinities (`inf`, `-Infinity`) stay allowed; text that is no number at all
/// is left to the cast, which refuses it with 22P02.
fn float_text(array: &ArrayRef, rest: &[ColumnarValue]) -> Result<()> {
    let single = matches!(
        rest.first(),
        Some(ColumnarValue::Scalar(ScalarValue::Utf8(Some(t)))) if t == "real"
    );
    let strings = texts(array)?;
    if let Some(text) = strings
        .iter()
        .flatten()
        .find(|t| out_of_float_range(t, single))
    {
        let name = if single { "real" } else { "double precision" };
        return Err(DataFusionError::External(Box::new(EngineError::new(
            sqlstate::NUMERIC_VALUE_OUT_OF_RANGE,
            format!("\"{text}\" is out of range for type {name}"),
        ))));
    }
    Ok(())
}

static FLOAT_TEXT: LazyLock<Arc<ScalarUDF>> =
    LazyLock::new(|| super::argument_check::udf("aloe_float_text", 2, float_text));

/// A cast of text read as PostgreSQL's input functions read it: to a float type, checked
/// first by `aloe_float_text`; to bytea, decoded by `aloe_bytea_in`; to `varchar(n)`, cut to
/// its length; to a date, time or timestamp, read by `aloe_datetime_in`. Other casts stay.
pub fn checked(cast: Cast, schema: &DFSchema) -> Transformed<Expr> {
    let textual = matches!(
        cast.expr.get_type(schema),
        Ok(DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
    );
    if !textual {
        return Transformed::no(Expr::Cast(cast));
    }
    if let Some(cut) = super::char_length::met(
        (*cast.expr).clone(),
        &cast.field,
        super::char_length::Meet::Cast,
    ) {
        return Transformed::yes(Expr::Cast(Cast {
            expr: Box::new(cut),
            field: cast.field,
        }));
    }
    if let Some(read) = super::datetime_input::read((*cast.expr).clone(), cast.field.data_type()) {
        return Transformed::yes(Expr::Cast(Cast {
            expr: Box::new(read),
            field: cast.field,
        }));
    }
    let single = match cast.field.data_type() {
        DataType::Float32 => true,
        DataType::Float64 => false,
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView => {
            let decoded = BYTEA_IN.call(vec![*cast.expr]);
            return Transformed::yes(Expr::Cast(Cast {
                expr: Box::new(decoded),
                field: cast.field,
            }));
        }
        _ => return Transformed::no(Expr::Cast(cast)),
    };
    let name = if single { "real" } else { "double precision" };
    let checked = FLOAT_TEXT.call(vec![*cast.expr, datafusion::prelude::lit(name)]);
    Transformed::yes(Expr::Cast(Cast {
        expr: Box::new(checked),
        field: cast.field,
    }))
}

/// The values of a text column (any of Arrow's string types) as one string array.
pub fn texts(array: &ArrayRef) -> Result<StringArray> {
    let strings = datafusion::arrow::compute::cast(array, &DataType::Utf8)?;
    Ok(datafusion::common::cast::as_string_array(&strings)?.clone())
}

/// `out` as a function's answer of the shape its argument `value` had: one value for a
/// constant, a column for a column.
pub fn shaped_as(value: &ColumnarValue, out: ArrayRef) -> Result<ColumnarValue> {
    Ok(match value {
        ColumnarValue::Scalar(_) => ColumnarValue::Scalar(ScalarValue::try_from_array(&out, 0)?),
        ColumnarValue::Array(_) => ColumnarValue::Array(out),
    })
}

/// `aloe_bytea_in(text)`: the bytes PostgreSQL's bytea input reads from the text.
#[derive(Debug, PartialEq, Eq, Hash)]
struct ByteaIn {
    signature: Signature,
}

fn invalid(code: &'static str, message: String) -> DataFusionError {
    DataFusionError::External(Box::new(EngineError::new(code, message)))
}

/// The bytes of one bytea text: `\x` then hex digit pairs (whitespace between pairs
/// allowed), or the escape form where `\\` is a backslash and `\ooo` an octal byte.
fn bytea_in(text: &str) -> Result<Vec<u8>> {
    if let Some(hex) = text
        .strip_prefix("\\x")
        .or_else(|| text.strip_prefix("\\X"))
    {
        let digits: Vec<char> = hex.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        let value = |c: char| {
            c.to_digit(16).ok_or_else(|| {
                invalid(
                    sqlstate::INVALID_PARAMETER_VALUE,
                    format!("invalid hexadecimal digit: \"{c}\""),
                )
            })
        };
        if digits.len() % 2 == 1 {
            digits.iter().try_for_each(|c| value(*c).map(|_| ()))?;
            return Err(invalid(
                sqlstate::INVALID_PARAMETER_VALUE,
                "invalid hexadecimal data: odd number of digits".to_owned(),
            ));
        }
        return digits
            .chunks(2)
            .map(|pair| Ok((value(pair[0])? * 16 + value(pair[1])?) as u8))
            .collect();
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            out.push(bytes[i]);
            i += 1;
        } else if bytes.get(i + 1) == Some(&b'\\') {
            out.push(b'\\');
            i += 2;
        } else if let Some(octal) = bytes.get(i + 1..i + 4)
            && matches!(octal[0], b'0'..=b'3')
            && octal[1..].iter().all(|b| matches!(b, b'0'..=b'7'))
        {
            out.push((octal[0] - b'0') * 64 + (octal[1] - b'0') * 8 + (octal[2] - b'0'));
            i += 4;
        } else {
            return Err(invalid(
                sqlstate::INVALID_TEXT_REPRESENTATION,
                "invalid input syntax for type bytea".to_owned(),
            ));
        }
    }
    Ok(out)
}

impl ScalarUDFImpl for ByteaIn {
    fn name(&self) -> &str {
        "aloe_bytea_in"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Binary)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let value = &args.args[0];
        let strings = texts(&value.to_array(args.number_rows)?)?;
        let mut out = BinaryBuilder::with_capacity(strings.len(), strings.value_data().len());
        for text in strings.iter() {
            match text {
                Some(text) => out.append_value(bytea_in(text)?),
                None => out.append_null(),
            }
        }
        shaped_as(value, Arc::new(out.finish()))
    }
}

static BYTEA_IN: LazyLock<Arc<ScalarUDF>> = LazyLock::new(|| {
    Arc::new(ScalarUDF::new_from_impl(ByteaIn {
        signature: Signature::any(1, Volatility::Immutable),
    }))
});

#[cfg(test)]
mod tests {
    use super::bytea_in;

    #[test]
    fn bytea_text_reads_as_postgresql_reads_it() {
        assert_eq!(bytea_in("\\x00ff").unwrap(), [0, 255]);
        assert_eq!(bytea_in("\\x00 FF").unwrap(), [0, 255]);
        assert_eq!(bytea_in("a\\000b\\\\").unwrap(), [b'a', 0, b'b', b'\\']);
        assert!(bytea_in("\\x0").is_err());
        assert!(bytea_in("\\xzz").is_err());
        assert!(bytea_in("a\\9").is_err());
    }
}
