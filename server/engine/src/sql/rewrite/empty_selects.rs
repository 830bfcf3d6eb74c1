//! Selects that cannot return a row, because they inner-join a catalog table Aloe always
//! keeps empty (row policies, publications, inheritance, triggers, sequences, ...).
//!
//! psql's `\d table` footers query those tables with expressions DataFusion cannot plan
//! (correlated `ARRAY(subquery)`, `generate_series` over a row's array, text array literals
//! compared to arrays). Such a select produces no rows, so its select list is never
//! evaluated: each item that holds a subquery is replaced by a NULL of the same name, and the
//! query plans and answers exactly what PostgreSQL would for an object without policies or
//! publications. Items without subqueries stay, so an aggregate over an empty table still
//! answers its one row (`count(*)` is 0, not NULL).

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    Expr, FunctionArguments, Ident, JoinOperator, Select, SelectItem, Statement, TableFactor,
    Value, Visit, VisitMut, Visitor, VisitorMut,
};
use datafusion_pg_catalog::sql::rules::SqlStatementRewriteRule;

use crate::sql::rewrite::names::pg_name;

/// Catalog tables that have no rows in Aloe.
const ALWAYS_EMPTY: &[&str] = &[
    "pg_policy",
    "pg_publication",
    "pg_publication_rel",
    "pg_publication_namespace",
    "pg_inherits",
    "pg_trigger",
    "pg_sequence",
    "pg_event_trigger",
    "pg_foreign_table",
    "pg_partitioned_table",
    "pg_statistic_ext",
];

fn is_always_empty(f: &TableFactor) -> bool {
    match f {
        TableFactor::Table { name, .. } => {
            let n = name.to_string().to_ascii_lowercase();
            let short = n.strip_prefix("pg_catalog.").unwrap_or(&n);
            ALWAYS_EMPTY.contains(&short)
        }
        _ => false,
    }
}

/// Whether the select's FROM inner-joins an always-empty table.
pub(crate) fn cannot_return_rows(select: &Select) -> bool {
    select.from.iter().any(|t| {
        is_always_empty(&t.relation)
            || t.joins.iter().any(|j| {
                matches!(
                    j.join_operator,
                    JoinOperator::Inner(_) | JoinOperator::Join(_) | JoinOperator::CrossJoin(_)
                ) && is_always_empty(&j.relation)
            })
    })
}

/// Whether the expression holds a subquery anywhere (scalar, EXISTS, IN, ARRAY(...)).
fn contains_subquery(expr: &Expr) -> bool {
    struct Finder;
    impl Visitor for Finder {
        type Break = ();
        fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
            let found = matches!(
                e,
                Expr::Subquery(_) | Expr::Exists { .. } | Expr::InSubquery { .. }
            ) || matches!(e, Expr::Function(f) if matches!(f.args, FunctionArguments::Subquery(_)));
            if found {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        }
    }
    Visit::visit(expr, &mut Finder).is_break()
}

/// The rule.
#[derive(Debug)]
pub struct EmptySelects;

struct Rewriter;

impl VisitorMut for Rewriter {
    type Break = ();

    fn pre_visit_query(
        &mut self,
        query: &mut datafusion::sql::sqlparser::ast::Query,
    ) -> ControlFlow<()> {
        // Without rows there is nothing to order, and the ORDER BY may name what is now gone.
        if let datafusion::sql::sqlparser::ast::SetExpr::Select(select) = query.body.as_ref()
            && cannot_return_rows(select)
        {
            query.order_by = None;
        }
        visit_set_expr(query.body.as_mut());
        ControlFlow::Continue(())
    }
}

fn visit_set_expr(body: &mut datafusion::sql::sqlparser::ast::SetExpr) {
    use datafusion::sql::sqlparser::ast::SetExpr;
    match body {
        SetExpr::SetOperation { left, right, .. } => {
            visit_set_expr(left);
            visit_set_expr(right);
        }
        SetExpr::Select(select) if cannot_return_rows(select) => {
            for item in select.projection.iter_mut() {
                let (expr, name) = match item {
                    SelectItem::UnnamedExpr(e) => (e, None),
                    SelectItem::ExprWithAlias { expr, alias } => (expr, Some(alias.clone())),
                    _ => continue,
                };
                if !contains_subquery(expr) {
                    continue;
                }
                let alias = name.unwrap_or_else(|| Ident::with_quote('"', pg_name(expr)));
                *item = SelectItem::ExprWithAlias {
                    expr: Expr::Value(Value::Null.with_empty_span()),
                    alias,
                };
            }
        }
        _ => {}
    }
}

impl SqlStatementRewriteRule for EmptySelects {
    fn rewrite(&self, mut s: Statement) -> Statement {
        let _ = VisitMut::visit(&mut s, &mut Rewriter);
        s
    }
}

#[cfg(test)]
mod tests {
    use crate::sql::parse::parse;

    #[test]
    fn selects_over_empty_catalog_tables_project_nulls() {
        let s = parse(
            "SELECT (SELECT 1 FROM pg_catalog.pg_am) AS oid, c.relkind FROM pg_catalog.pg_class c, pg_catalog.pg_inherits i \
             WHERE c.oid = i.inhrelid ORDER BY c.oid::pg_catalog.regclass::pg_catalog.text",
        )
        .unwrap()
        .remove(0)
        .statement
        .to_string();
        assert!(s.contains("NULL AS oid"), "{s}");
        assert!(!s.contains("ORDER BY"), "{s}");
        assert!(s.contains("c.relkind"), "{s}");
    }
}
