//! `LIKE ... ESCAPE 'c'` with an escape character other than backslash, which DataFusion
//! refuses and SQLAlchemy's inspector sends (`NOT LIKE 'pg/_%' ESCAPE '/'`).
//!
//! The pattern is rewritten to backslash escapes by `aloe_like_escape(pattern, 'c')`, so the
//! match is exactly the one PostgreSQL makes, for literal and computed patterns alike.

use std::ops::ControlFlow;
use std::sync::Arc;

use crate::sql::call::call;
use datafusion::arrow::array::{Array, StringArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::logical_expr::{ColumnarValue, ScalarUDF, Volatility, create_udf};
use datafusion::sql::sqlparser::ast::{Expr, Statement, Value, VisitMut, VisitorMut};

/// The function the rewrite calls.
pub const FUNCTION: &str = "aloe_like_escape";

/// A LIKE pattern with escape character `esc` in backslash-escape form.
pub fn convert(pattern: &str, esc: char) -> String {
    let mut out = String::with_capacity(pattern.len() + 4);
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c == esc {
            if let Some(next) = chars.next() {
                out.push('\\');
                out.push(next);
            }
        } else if c == '\\' {
            out.push_str("\\\\");
        } else {
            out.push(c);
        }
    }
    out
}

/// `aloe_like_escape(pattern, escape)`.
pub fn udf() -> ScalarUDF {
    create_udf(
        FUNCTION,
        vec![DataType::Utf8, DataType::Utf8],
        DataType::Utf8,
        Volatility::Immutable,
        Arc::new(|args: &[ColumnarValue]| {
            let esc = match &args[1] {
                ColumnarValue::Scalar(ScalarValue::Utf8(Some(e))) => e.chars().next(),
                _ => None,
            };
            let Some(esc) = esc else {
                return Ok(args[0].clone());
            };
            Ok(match &args[0] {
                ColumnarValue::Scalar(ScalarValue::Utf8(p)) => {
                    ColumnarValue::Scalar(ScalarValue::Utf8(p.as_deref().map(|p| convert(p, esc))))
                }
                ColumnarValue::Scalar(other) => ColumnarValue::Scalar(other.clone()),
                ColumnarValue::Array(a) => {
                    let a = datafusion::arrow::compute::cast(a, &DataType::Utf8)?;
                    let p = a
                        .as_any()
                        .downcast_ref::<StringArray>()
                        .expect("cast to Utf8");
                    let out: StringArray = p.iter().map(|v| v.map(|v| convert(v, esc))).collect();
                    ColumnarValue::Array(Arc::new(out) as Arc<dyn Array>)
                }
            })
        }),
    )
}

struct Visitor;

impl VisitorMut for Visitor {
    type Break = ();

    fn pre_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        if let Expr::Like {
            pattern,
            escape_char,
            ..
        }
        | Expr::ILike {
            pattern,
            escape_char,
            ..
        } = expr
            && let Some(esc) = escape_char.take()
        {
            let esc_text = match &esc.value {
                Value::SingleQuotedString(s) => s.clone(),
                other => other.to_string(),
            };
            if esc_text == "\\" {
                *escape_char = Some(esc);
                return ControlFlow::Continue(());
            }
            let original =
                std::mem::replace(pattern.as_mut(), Expr::Value(Value::Null.with_empty_span()));
            **pattern = call(
                FUNCTION,
                vec![
                    original,
                    Expr::Value(Value::SingleQuotedString(esc_text).with_empty_span()),
                ],
            );
        }
        ControlFlow::Continue(())
    }
}

/// Rewrites every LIKE/ILIKE with a non-backslash ESCAPE in the statement.
pub fn rewrite(statement: &mut Statement) {
    let _ = statement.visit(&mut Visitor);
}

#[cfg(test)]
mod tests {
    use super::convert;

    #[test]
    fn escapes_become_backslashes() {
        assert_eq!(convert("pg/_%", '/'), "pg\\_%");
        assert_eq!(convert("a//b", '/'), "a\\/b");
        assert_eq!(convert("back\\slash", '/'), "back\\\\slash");
    }
}
