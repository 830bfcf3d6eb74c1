//! PostgreSQL's `format(formatstr, args...)` with `%s`, `%I` (identifier, quoted when
//! needed), `%L` (literal) and `%%`, which Metabase uses in its catalog queries.

use crate::functions::rows::{answer, row_count};

use datafusion::arrow::array::{Array, ArrayRef, StringArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::exec_err;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

/// Quotes an identifier the way quote_ident does: only when it is not a plain lower-case name.
pub fn quote_ident(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain {
        s.to_owned()
    } else {
        format!("\"{}\"", s.replace('"', "\"\""))
    }
}

fn quote_literal(s: Option<&str>) -> String {
    match s {
        None => "NULL".into(),
        Some(s) => format!("'{}'", s.replace('\'', "''")),
    }
}

/// Formats one row: `fmt` with its arguments (None for NULL).
pub fn format_row(fmt: &str, args: &[Option<String>]) -> datafusion::error::Result<String> {
    let mut out = String::with_capacity(fmt.len());
    let mut next = 0usize;
    let mut chars = fmt.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let spec = chars.next();
        if spec == Some('%') {
            out.push('%');
            continue;
        }
        let Some(arg) = args.get(next) else {
            return exec_err!("too few arguments for format()");
        };
        next += 1;
        match spec {
            Some('s') => out.push_str(arg.as_deref().unwrap_or("")),
            Some('I') => match arg {
                Some(a) => out.push_str(&quote_ident(a)),
                None => return exec_err!("null values cannot be formatted as an SQL identifier"),
            },
            Some('L') => out.push_str(&quote_literal(arg.as_deref())),
            other => {
                return exec_err!(
                    "unrecognized format() type specifier \"{}\"",
                    other.unwrap_or(' ')
                );
            }
        }
    }
    Ok(out)
}

/// The `format` function: a format string, then any number of arguments of any type.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Format {
    /// Variadic over any types.
    signature: Signature,
}

impl Format {
    /// The function, ready to register.
    pub fn udf() -> ScalarUDF {
        ScalarUDF::from(Format {
            signature: Signature::variadic_any(Volatility::Immutable),
        })
    }
}

impl ScalarUDFImpl for Format {
    fn name(&self) -> &str {
        "format"
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
        let (scalar, n) = row_count(&args);
        let columns: Vec<ArrayRef> = args
            .args
            .iter()
            .map(|a| {
                Ok(datafusion::arrow::compute::cast(
                    &a.to_array(n)?,
                    &DataType::Utf8,
                )?)
            })
            .collect::<datafusion::error::Result<_>>()?;
        let text = |c: &ArrayRef, i: usize| {
            let s = c
                .as_any()
                .downcast_ref::<StringArray>()
                .expect("cast to Utf8");
            s.is_valid(i).then(|| s.value(i).to_owned())
        };
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            match text(&columns[0], i) {
                None => out.push(None),
                Some(fmt) => {
                    let rest: Vec<Option<String>> =
                        columns[1..].iter().map(|c| text(c, i)).collect();
                    out.push(Some(format_row(&fmt, &rest)?));
                }
            }
        }
        let array = StringArray::from(out);
        answer(array, scalar)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_postgresql() {
        let a = |v: &[&str]| v.iter().map(|s| Some((*s).to_owned())).collect::<Vec<_>>();
        assert_eq!(
            format_row("%I.%I", &a(&["gen", "Orders"])).unwrap(),
            "gen.\"Orders\""
        );
        assert_eq!(
            format_row("%s = %L", &a(&["x", "it's"])).unwrap(),
            "x = 'it''s'"
        );
        assert_eq!(format_row("100%%", &[]).unwrap(), "100%");
        assert!(format_row("%s %s", &a(&["one"])).is_err());
    }
}
