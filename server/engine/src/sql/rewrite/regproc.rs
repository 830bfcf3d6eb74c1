//! `typinput = 'pg_catalog.array_in'::regproc` (pgjdbc's array-type test) against the
//! crate's pg_type, which keeps `typinput`/`typoutput`/... as function names (text), not
//! OIDs. Comparing those columns with a regproc literal is rewritten to comparing names.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    BinaryOperator, DataType as SqlType, Expr, Statement, Value, VisitMut, VisitorMut,
};
use datafusion_pg_catalog::sql::rules::SqlStatementRewriteRule;

/// pg_type columns that name functions.
const PROC_COLUMNS: &[&str] = &["typinput", "typoutput", "typreceive", "typsend"];

/// The rule.
#[derive(Debug)]
pub struct RegprocNames;

fn is_proc_column(e: &Expr) -> bool {
    let name = match e {
        Expr::Identifier(i) => &i.value,
        Expr::CompoundIdentifier(parts) => match parts.last() {
            Some(i) => &i.value,
            None => return false,
        },
        _ => return false,
    };
    PROC_COLUMNS.contains(&name.to_ascii_lowercase().as_str())
}

/// The function name of `'schema.name'::regproc`, if that is what `e` is.
fn regproc_literal(e: &Expr) -> Option<String> {
    let Expr::Cast {
        expr, data_type, ..
    } = e
    else {
        return None;
    };
    let is_regproc = matches!(data_type, SqlType::Custom(n, _)
        if n.to_string().to_ascii_lowercase().ends_with("regproc"));
    match (is_regproc, expr.as_ref()) {
        (true, Expr::Value(v)) => match &v.value {
            Value::SingleQuotedString(s) => Some(s.rsplit('.').next().unwrap_or(s).to_owned()),
            _ => None,
        },
        _ => None,
    }
}

struct Visitor;

impl VisitorMut for Visitor {
    type Break = ();

    fn pre_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        if let Expr::BinaryOp {
            left,
            op: BinaryOperator::Eq | BinaryOperator::NotEq,
            right,
        } = expr
        {
            if is_proc_column(left)
                && let Some(name) = regproc_literal(right)
            {
                **right = Expr::Value(Value::SingleQuotedString(name).with_empty_span());
            } else if is_proc_column(right)
                && let Some(name) = regproc_literal(left)
            {
                **left = Expr::Value(Value::SingleQuotedString(name).with_empty_span());
            }
        }
        ControlFlow::Continue(())
    }
}

impl SqlStatementRewriteRule for RegprocNames {
    fn rewrite(&self, mut s: Statement) -> Statement {
        let _ = s.visit(&mut Visitor);
        s
    }
}
