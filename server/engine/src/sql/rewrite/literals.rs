//! Typed literals read as PostgreSQL reads them: `timestamp '2025-10-01 00:00'`,
//! `'2025-10-01 12:00 Europe/Paris'::timestamptz`, `date 'epoch'`, `interval '1 day 02:00'`,
//! `'1e3'::numeric`. Each literal's text goes through Aloe's input functions (`input/`) and
//! is replaced by the canonical text Arrow's casts read, so the planned value is the one
//! PostgreSQL would hold; text that PostgreSQL refuses fails here with PostgreSQL's SQLSTATE
//! (22007, 22008, 22P02, 22003). Date/time text elsewhere (columns, untyped constants) and
//! `infinity` are read in the plan (`plan/datetime_input.rs`).

use std::ops::ControlFlow;

use datafusion::sql::parser::Statement as DFStatement;
use datafusion::sql::sqlparser::ast::{
    DataType, ExactNumberInfo, Expr, Interval, TimezoneInfo, TypedString, Value, ValueWithSpan,
    VisitMut, VisitorMut,
};

use crate::error::{EngineError, EngineResult};
use crate::input::datetime::{self, Target};
use crate::input::{interval, numeric};

/// What a literal's type asks of its text.
enum Kind {
    DateTime(Target),
    Interval,
    /// Numeric, with its declared (precision, scale) if any.
    Numeric(Option<(u32, u32)>),
}

fn kind(data_type: &DataType) -> Option<Kind> {
    Some(match data_type {
        DataType::Date => Kind::DateTime(Target::Date),
        DataType::Time(_, TimezoneInfo::None | TimezoneInfo::WithoutTimeZone) => {
            Kind::DateTime(Target::Time)
        }
        DataType::Timestamp(_, TimezoneInfo::None | TimezoneInfo::WithoutTimeZone) => {
            Kind::DateTime(Target::Timestamp)
        }
        DataType::Timestamp(_, TimezoneInfo::WithTimeZone | TimezoneInfo::Tz) => {
            Kind::DateTime(Target::TimestampTz)
        }
        DataType::Interval { .. } => Kind::Interval,
        DataType::Numeric(info) | DataType::Decimal(info) => Kind::Numeric(match info {
            ExactNumberInfo::None => None,
            ExactNumberInfo::Precision(p) => Some((*p as u32, 0)),
            ExactNumberInfo::PrecisionAndScale(p, s) => Some((*p as u32, (*s).max(0) as u32)),
        }),
        DataType::Custom(name, _) if name.to_string().eq_ignore_ascii_case("timestamptz") => {
            Kind::DateTime(Target::TimestampTz)
        }
        _ => return None,
    })
}

fn string(text: String) -> ValueWithSpan {
    Value::SingleQuotedString(text).into()
}

/// `14 months 3 days 14706000000 microseconds`: what Arrow's interval parser reads.
fn interval_text(text: &str) -> EngineResult<String> {
    let i = interval::parse(text)?;
    let mut parts = Vec::new();
    if i.months != 0 {
        parts.push(format!("{} months", i.months));
    }
    if i.days != 0 {
        parts.push(format!("{} days", i.days));
    }
    if i.micros != 0 || parts.is_empty() {
        parts.push(format!("{} microseconds", i.micros));
    }
    Ok(parts.join(" "))
}

struct Visitor {
    error: Option<EngineError>,
}

impl Visitor {
    /// The replacement of a literal `text` of type `data_type`, if it needs one.
    fn replace(&self, data_type: &DataType, text: &str) -> EngineResult<Option<Expr>> {
        let Some(kind) = kind(data_type) else {
            return Ok(None);
        };
        Ok(Some(match kind {
            // The plan reads these (`plan/text_input.rs`), so that an untyped 'infinity'
            // compared with a date column is read the same way.
            Kind::DateTime(target)
                if target != Target::Time && crate::input::infinity::named(text).is_some() =>
            {
                return Ok(None);
            }
            Kind::DateTime(target) => Expr::TypedString(TypedString {
                data_type: data_type.clone(),
                value: string(datetime::canonical(text, target)?),
                uses_odbc_syntax: false,
            }),
            Kind::Interval => Expr::Interval(Interval {
                value: Box::new(Expr::Value(string(interval_text(text)?))),
                leading_field: None,
                leading_precision: None,
                last_field: None,
                fractional_seconds_precision: None,
            }),
            Kind::Numeric(declared) => {
                let n = numeric::parse(text)?;
                let (precision, scale) = match declared {
                    Some((p, s)) => {
                        numeric::check_typmod(&n, p, s)?;
                        (p, s)
                    }
                    // An unconstrained numeric keeps the literal's own scale, as in PostgreSQL.
                    None => (n.precision.max(n.scale).clamp(1, 38), n.scale.min(38)),
                };
                Expr::Cast {
                    kind: datafusion::sql::sqlparser::ast::CastKind::DoubleColon,
                    expr: Box::new(Expr::Value(string(n.text))),
                    data_type: DataType::Numeric(ExactNumberInfo::PrecisionAndScale(
                        precision as u64,
                        scale as i64,
                    )),
                    array: false,
                    format: None,
                }
            }
        }))
    }
}

fn literal_text(expr: &Expr) -> Option<&str> {
    match expr {
        Expr::Value(ValueWithSpan {
            value: Value::SingleQuotedString(s),
            ..
        }) => Some(s),
        _ => None,
    }
}

impl VisitorMut for Visitor {
    type Break = ();

    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        let replaced = match expr {
            Expr::TypedString(TypedString {
                data_type,
                value:
                    ValueWithSpan {
                        value: Value::SingleQuotedString(text),
                        ..
                    },
                ..
            }) => self.replace(data_type, text),
            Expr::Cast {
                expr: inner,
                data_type,
                array: false,
                format: None,
                ..
            } => match literal_text(inner) {
                Some(text) => self.replace(data_type, text),
                None => Ok(None),
            },
            Expr::Interval(Interval {
                value,
                leading_field: None,
                last_field: None,
                ..
            }) => match literal_text(value) {
                Some(text) => self.replace(
                    &DataType::Interval {
                        fields: None,
                        precision: None,
                    },
                    text,
                ),
                None => Ok(None),
            },
            _ => Ok(None),
        };
        match replaced {
            Ok(Some(new)) => {
                *expr = new;
                ControlFlow::Continue(())
            }
            Ok(None) => ControlFlow::Continue(()),
            Err(e) => {
                self.error = Some(e);
                ControlFlow::Break(())
            }
        }
    }
}

/// Reads every typed literal of the statement as PostgreSQL would.
pub fn rewrite(statement: &mut DFStatement) -> EngineResult<()> {
    let DFStatement::Statement(s) = statement else {
        return Ok(());
    };
    let mut visitor = Visitor { error: None };
    let _ = s.visit(&mut visitor);
    match visitor.error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewritten(sql: &str) -> EngineResult<String> {
        let mut statement = crate::sql::parse::parse(sql)?.remove(0).statement;
        rewrite(&mut statement)?;
        Ok(statement.to_string())
    }

    #[test]
    fn literals_become_the_canonical_text_arrow_reads() {
        assert!(
            rewritten("SELECT timestamp '2025-10-01 00:00'")
                .unwrap()
                .starts_with("SELECT TIMESTAMP '2025-10-01T00:00:00.000000'")
        );
        assert!(
            rewritten("SELECT '2025-10-01 12:00 Europe/Paris'::timestamptz")
                .unwrap()
                .contains("'2025-10-01T10:00:00.000000Z'")
        );
        assert!(
            rewritten("SELECT interval '1 day 02:00'")
                .unwrap()
                .contains("'1 days 7200000000 microseconds'")
        );
        assert!(
            rewritten("SELECT '1e3'::numeric")
                .unwrap()
                .contains("'1000'::NUMERIC(4,0)")
        );
        // Columns keep their casts.
        assert!(
            rewritten("SELECT a::timestamp FROM t")
                .unwrap()
                .starts_with("SELECT a::TIMESTAMP")
        );
    }

    #[test]
    fn text_postgresql_refuses_fails_with_its_code() {
        assert_eq!(
            rewritten("SELECT date 'notadate'").unwrap_err().code,
            "22007"
        );
        assert_eq!(
            rewritten("SELECT '2025-13-01'::date").unwrap_err().code,
            "22008"
        );
        assert_eq!(
            rewritten("SELECT 'abc'::numeric").unwrap_err().code,
            "22P02"
        );
        assert_eq!(
            rewritten("SELECT '12345.678'::numeric(6,2)")
                .unwrap_err()
                .code,
            "22003"
        );
    }
}
