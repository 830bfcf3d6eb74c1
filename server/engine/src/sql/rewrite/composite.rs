//! Composite field access, `(expr).field` (pgjdbc's `(result.KEYS).x`), which DataFusion
//! does not plan; the same access written as a subscript, `expr['field']`, it does.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    AccessExpr, Expr, Statement, Subscript, Value, VisitMut, VisitorMut,
};

struct Visitor;

impl VisitorMut for Visitor {
    type Break = ();

    fn pre_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        if let Expr::CompoundFieldAccess { root, access_chain } = expr
            && matches!(root.as_ref(), Expr::Nested(_) | Expr::Function(_))
        {
            for access in access_chain.iter_mut() {
                if let AccessExpr::Dot(Expr::Identifier(field)) = access {
                    let name = field.value.clone();
                    *access = AccessExpr::Subscript(Subscript::Index {
                        index: Expr::Value(Value::SingleQuotedString(name).with_empty_span()),
                    });
                }
            }
        }
        ControlFlow::Continue(())
    }
}

/// Rewrites `(expr).field` to `expr['field']` throughout the statement.
pub fn rewrite(statement: &mut Statement) {
    let _ = statement.visit(&mut Visitor);
}
