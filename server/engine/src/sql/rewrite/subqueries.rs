//! Scalar subqueries over pg_catalog that clients send and DataFusion cannot plan as written.
//!
//! - DataFusion plans a correlated scalar subquery only when it aggregates. A subquery that
//!   reads only catalog tables returns at most one row by the catalog's design (PostgreSQL
//!   relies on it), so wrapping its one output in `max()` gives the same answer. User tables
//!   are left alone: there a second row is an error PostgreSQL reports, and hiding it with an
//!   aggregate would be a silently wrong answer.
//! - psql's `\d table` asks for each column's collation with a non-equality correlation
//!   (`a.attcollation <> t.typcollation`) that DataFusion cannot plan even aggregated. Aloe's
//!   columns never carry a collation of their own, so that subquery is empty for every row
//!   and NULL is its exact answer.
//! - A subquery over a table Aloe keeps empty (pg_sequence, pg_policy, ...) is NULL: that
//!   is what it returns (SQLAlchemy's identity-column lookup).
//! - Likewise for column defaults (`pg_attrdef`, with an outer-only `a.atthasdef` test that
//!   DataFusion cannot decorrelate): Aloe columns have no defaults, so NULL is exact. When
//!   tables gain defaults, this rule must go.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    Expr, GroupByExpr, Query, Select, SelectItem, SetExpr, Statement, TableFactor, Value, VisitMut,
    VisitorMut,
};
use datafusion_pg_catalog::sql::rules::SqlStatementRewriteRule;

use crate::sql::call::call;

/// Replaces the column-collation subquery with NULL and aggregates catalog subqueries.
#[derive(Debug)]
pub struct CatalogSubqueries;

struct Visitor;

fn reads_table(select: &Select, table: &str) -> bool {
    select.from.iter().any(|t| {
        matches!(&t.relation, TableFactor::Table { name, .. }
            if name.to_string().to_ascii_lowercase().ends_with(table))
    })
}

/// A subquery whose answer is NULL because Aloe columns have no collation or default.
fn is_always_null(e: &Expr) -> bool {
    let Expr::Subquery(q) = e else {
        return false;
    };
    let SetExpr::Select(select) = q.body.as_ref() else {
        return false;
    };
    // An aggregate answers one row even over no input (`count(*)` is 0): leave those alone.
    if aggregates(select) {
        return false;
    }
    reads_table(select, "pg_attrdef")
        || is_collation_lookup(e)
        || super::empty_selects::cannot_return_rows(select)
}

/// Whether the select groups or calls an aggregate function in its output.
fn aggregates(select: &Select) -> bool {
    let grouped = !matches!(&select.group_by, GroupByExpr::Expressions(e, _) if e.is_empty());
    grouped
        || select.projection.iter().any(|item| {
            let text = item.to_string().to_ascii_lowercase();
            [
                "count(",
                "sum(",
                "min(",
                "max(",
                "avg(",
                "every(",
                "bool_and(",
                "bool_or(",
            ]
            .iter()
            .any(|a| text.contains(a))
                || text.contains("_agg(")
        })
}

fn is_collation_lookup(e: &Expr) -> bool {
    let Expr::Subquery(q) = e else {
        return false;
    };
    let SetExpr::Select(select) = q.body.as_ref() else {
        return false;
    };
    let reads_collations = reads_table(select, "pg_collation");
    let tests_attcollation = select
        .selection
        .as_ref()
        .is_some_and(|w| w.to_string().to_ascii_lowercase().contains("attcollation"));
    reads_collations && tests_attcollation
}

/// Whether every table the select reads is a pg_catalog table.
fn reads_only_catalog(select: &Select) -> bool {
    let catalog = |f: &TableFactor| match f {
        TableFactor::Table { name, .. } => {
            let n = name.to_string().to_ascii_lowercase();
            n.starts_with("pg_catalog.") || (n.starts_with("pg_") && !n.contains('.'))
        }
        _ => false,
    };
    !select.from.is_empty()
        && select
            .from
            .iter()
            .all(|t| catalog(&t.relation) && t.joins.iter().all(|j| catalog(&j.relation)))
}

fn wrap_in_max(item: &mut Expr) {
    let arg = std::mem::replace(item, Expr::Value(Value::Null.with_empty_span()));
    *item = call("max", vec![arg]);
}

/// Aggregates the single output of a catalog-only subquery that has no aggregate yet.
fn aggregate_catalog_subquery(q: &mut Query) {
    if q.limit_clause.is_some() || q.fetch.is_some() {
        return;
    }
    let SetExpr::Select(select) = q.body.as_mut() else {
        return;
    };
    let grouped = !matches!(&select.group_by, GroupByExpr::Expressions(e, _) if e.is_empty());
    if grouped || select.projection.len() != 1 || !reads_only_catalog(select) {
        return;
    }
    let item = match &mut select.projection[0] {
        SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => e,
        _ => return,
    };
    let already = item.to_string().to_ascii_lowercase();
    if [
        "max(",
        "min(",
        "count(",
        "sum(",
        "avg(",
        "array_agg(",
        "string_agg(",
        "bool_or(",
        "bool_and(",
    ]
    .iter()
    .any(|a| already.starts_with(a))
    {
        return;
    }
    wrap_in_max(item);
}

impl VisitorMut for Visitor {
    type Break = ();

    fn pre_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        if is_always_null(expr) {
            *expr = Expr::Value(Value::Null.with_empty_span());
        } else if let Expr::Subquery(q) = expr {
            aggregate_catalog_subquery(q);
        }
        ControlFlow::Continue(())
    }
}

impl SqlStatementRewriteRule for CatalogSubqueries {
    fn rewrite(&self, mut s: Statement) -> Statement {
        let _ = s.visit(&mut Visitor);
        s
    }
}
