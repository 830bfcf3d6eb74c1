//! Result column names as PostgreSQL gives them.
//!
//! PostgreSQL names an unaliased output column after the column or function it shows
//! (`count(*)` → `count`, `t.name` → `name`) and `?column?` otherwise, and allows two columns
//! of one name (`SELECT NULL, NULL`). DataFusion names columns after the whole expression and
//! refuses duplicates. So top-level unaliased items get PostgreSQL's name as an alias, and a
//! repeated name gets an invisible suffix that the wire layer removes ([`wire_name`]).

use std::collections::HashMap;

use datafusion::sql::parser::Statement as DFStatement;
use datafusion::sql::sqlparser::ast::{
    AccessExpr, ArrayElemTypeDef, DataType, Expr, Ident, SelectItem, SetExpr, Statement, Subscript,
    TimezoneInfo, Value,
};

/// Marks the start of the uniqueness suffix of a repeated name; a private-use character that
/// no client writes.
const SUFFIX_MARK: char = '\u{E000}';

/// The name a client sees for a column Aloe named.
pub fn wire_name(name: &str) -> &str {
    name.split(SUFFIX_MARK).next().unwrap_or(name)
}

/// PostgreSQL's name for an unaliased output expression.
pub fn pg_name(e: &Expr) -> String {
    match e {
        Expr::Identifier(i) => i.value.clone(),
        Expr::CompoundIdentifier(parts) => {
            parts.last().map(|i| i.value.clone()).unwrap_or_default()
        }
        Expr::Function(f) => f
            .name
            .0
            .last()
            .and_then(|p| p.as_ident())
            .map(|i| i.value.to_ascii_lowercase())
            .unwrap_or_else(|| "?column?".into()),
        Expr::Cast {
            expr, data_type, ..
        } => match expr.as_ref() {
            Expr::Value(_) => type_name(data_type),
            inner => pg_name(inner),
        },
        Expr::Nested(inner) => pg_name(inner),
        // `(row).field` and `row['field']` are named after the field.
        Expr::CompoundFieldAccess { access_chain, .. } => match access_chain.last() {
            Some(AccessExpr::Dot(Expr::Identifier(i))) => i.value.clone(),
            Some(AccessExpr::Subscript(Subscript::Index {
                index: Expr::Value(v),
            })) => match &v.value {
                Value::SingleQuotedString(s) => s.clone(),
                _ => "?column?".into(),
            },
            _ => "?column?".into(),
        },
        Expr::Case { .. } => "case".into(),
        Expr::Exists { negated: false, .. } => "exists".into(),
        // A scalar subquery is named after its one output column.
        Expr::Subquery(q) => first_output_name(q.body.as_ref()),
        _ => "?column?".into(),
    }
}

/// PostgreSQL's internal name of a SQL type, which names a cast literal's column:
/// `'x'::character varying(3)` is `varchar`, `'1'::real` is `float4`, `'1'::int[]` is `int4`.
fn type_name(data_type: &DataType) -> String {
    let name = match data_type {
        DataType::Int(_) | DataType::Integer(_) | DataType::Int4(_) => "int4",
        DataType::SmallInt(_) | DataType::Int2(_) => "int2",
        DataType::BigInt(_) | DataType::Int8(_) => "int8",
        DataType::Real | DataType::Float4 => "float4",
        DataType::DoublePrecision | DataType::Float8 | DataType::Float(_) | DataType::Double(_) => {
            "float8"
        }
        DataType::Bool | DataType::Boolean => "bool",
        DataType::Numeric(_) | DataType::Decimal(_) | DataType::Dec(_) => "numeric",
        DataType::Varchar(_) | DataType::CharacterVarying(_) | DataType::CharVarying(_) => {
            "varchar"
        }
        DataType::Char(_) | DataType::Character(_) => "bpchar",
        DataType::Timestamp(_, TimezoneInfo::Tz | TimezoneInfo::WithTimeZone) => "timestamptz",
        DataType::Timestamp(_, _) => "timestamp",
        DataType::Array(ArrayElemTypeDef::SquareBracket(inner, _)) => return type_name(inner),
        other => return other.to_string().to_ascii_lowercase(),
    };
    name.to_owned()
}

/// Aliases `body`'s unaliased select items that call one of `functions` with the function's
/// name, for rewrites that replace such a call by an expression PostgreSQL would name
/// otherwise (a subquery, `unnest(...)`).
pub fn alias_calls(body: &mut SetExpr, functions: &[&str]) {
    match body {
        SetExpr::Select(select) => {
            for item in select.projection.iter_mut() {
                if let SelectItem::UnnamedExpr(e @ Expr::Function(_)) = item {
                    let name = pg_name(e);
                    if functions.contains(&name.as_str()) {
                        *item = SelectItem::ExprWithAlias {
                            expr: e.clone(),
                            alias: Ident::with_quote('"', name),
                        };
                    }
                }
            }
        }
        SetExpr::SetOperation { left, right, .. } => {
            alias_calls(left, functions);
            alias_calls(right, functions);
        }
        SetExpr::Query(q) => alias_calls(q.body.as_mut(), functions),
        _ => {}
    }
}

/// The name of a query's first output column, as its select list gives it.
fn first_output_name(body: &SetExpr) -> String {
    match body {
        SetExpr::Select(select) => match select.projection.first() {
            Some(SelectItem::UnnamedExpr(e)) => pg_name(e),
            Some(SelectItem::ExprWithAlias { alias, .. }) => alias.value.clone(),
            _ => "?column?".into(),
        },
        SetExpr::Query(q) => first_output_name(q.body.as_ref()),
        SetExpr::SetOperation { left, .. } => first_output_name(left),
        _ => "?column?".into(),
    }
}

/// Gives the statement's top-level unaliased output columns PostgreSQL's names.
pub fn name_outputs(statement: &mut DFStatement) {
    let DFStatement::Statement(s) = statement else {
        return;
    };
    let Statement::Query(q) = s.as_mut() else {
        return;
    };
    name_set_expr(q.body.as_mut());
}

/// Names the outputs of a SELECT, or of every branch of a UNION/INTERSECT/EXCEPT (the first
/// branch's names are the result's; the others only need to be unique).
fn name_set_expr(body: &mut SetExpr) {
    match body {
        SetExpr::SetOperation { left, right, .. } => {
            name_set_expr(left);
            name_set_expr(right);
        }
        SetExpr::Select(select) => name_select(select),
        _ => {}
    }
}

fn name_select(select: &mut datafusion::sql::sqlparser::ast::Select) {
    let mut seen: HashMap<String, usize> = HashMap::new();
    for item in select.projection.iter_mut() {
        let (name, expr) = match item {
            SelectItem::UnnamedExpr(e) => (pg_name(e), Some(e.clone())),
            SelectItem::ExprWithAlias { alias, .. } => (alias.value.clone(), None),
            _ => continue,
        };
        let n = seen.entry(name.clone()).or_insert(0);
        *n += 1;
        let unique = if *n == 1 {
            name
        } else {
            format!("{name}{SUFFIX_MARK}{n}")
        };
        match (item, expr) {
            (item @ SelectItem::UnnamedExpr(_), Some(expr)) => {
                *item = SelectItem::ExprWithAlias {
                    expr,
                    alias: Ident::with_quote('"', unique),
                };
            }
            (SelectItem::ExprWithAlias { alias, .. }, None) => {
                alias.value = unique;
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::parse::parse;

    fn named(sql: &str) -> String {
        let mut s = parse(sql).unwrap().remove(0).statement;
        name_outputs(&mut s);
        s.to_string()
    }

    #[test]
    fn names_follow_postgresql() {
        let sql = named(
            "SELECT count(*), t.name, NULL, NULL, 1::int4, CAST(a AS text), \
             (SELECT max(b) FROM u), (SELECT b AS c FROM u), EXISTS (SELECT 1) FROM t",
        );
        assert!(sql.contains("FROM u) AS \"max\""), "{sql}");
        assert!(sql.contains("FROM u) AS \"c\""), "{sql}");
        assert!(sql.contains("AS \"exists\""), "{sql}");
        assert!(sql.contains("count(*) AS \"count\""), "{sql}");
        assert!(sql.contains("t.name AS \"name\""), "{sql}");
        assert!(sql.contains("NULL AS \"?column?\","), "{sql}");
        assert!(
            sql.contains(&format!("NULL AS \"?column?{SUFFIX_MARK}2\"")),
            "{sql}"
        );
        assert!(sql.contains("AS \"int4\""), "{sql}");
        assert!(sql.contains("CAST(a AS TEXT) AS \"a\""), "{sql}");
        assert_eq!(wire_name(&format!("x{SUFFIX_MARK}2")), "x");
    }
}
