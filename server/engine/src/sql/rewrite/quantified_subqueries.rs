//! `x = ANY (subquery)` as `x IN (subquery)` and `x <> ALL (subquery)` as `x NOT IN
//! (subquery)`, which SQL defines them to be.
//!
//! The catalog rules' array rewrite turns `= ANY` and `<> ALL` into `array_contains` for any
//! right side, which only an array can be; a subquery there fails to plan. Rewriting those two
//! forms first keeps the array rewrite to arrays, and the subquery reaches the planner as the
//! IN it means.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{BinaryOperator, Expr, Statement, VisitMut, VisitorMut};
use datafusion_pg_catalog::sql::rules::SqlStatementRewriteRule;

/// The rewrite rule; see the module's documentation.
#[derive(Debug)]
pub struct QuantifiedSubqueries;

struct Visitor;

impl VisitorMut for Visitor {
    type Break = ();

    fn pre_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        let (left, right, negated) = match expr {
            Expr::AnyOp {
                left,
                compare_op: BinaryOperator::Eq,
                right,
                ..
            } => (left, right, false),
            Expr::AllOp {
                left,
                compare_op: BinaryOperator::NotEq,
                right,
            } => (left, right, true),
            _ => return ControlFlow::Continue(()),
        };
        let Expr::Subquery(query) = right.as_ref() else {
            return ControlFlow::Continue(());
        };
        *expr = Expr::InSubquery {
            expr: left.clone(),
            subquery: query.clone(),
            negated,
        };
        ControlFlow::Continue(())
    }
}

impl SqlStatementRewriteRule for QuantifiedSubqueries {
    fn rewrite(&self, mut s: Statement) -> Statement {
        let _ = s.visit(&mut Visitor);
        s
    }
}
