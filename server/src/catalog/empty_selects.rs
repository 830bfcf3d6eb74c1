//! Selects that cannot return a row, because they inner-join a catalog table Aloe always
//! keeps empty (row policies, publications, inheritance, triggers, sequences, ...).
//!
//! psql's `\d table` footers query those tables with expressions DataFusion cannot plan
//! (correlated `ARRAY(subquery)`, `generate_series` over a row's array, text array literals
//! compared to arrays). Since such a select produces no rows, its select list is never
//! evaluated: each item is replaced by a NULL of the same name, and the query plans and
//! answers exactly what PostgreSQL would for an object without policies or publications.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    Expr, Ident, JoinOperator, Select, SelectItem, Statement, TableFactor, Value, VisitMut,
    VisitorMut,
};
use datafusion_pg_catalog::sql::rules::SqlStatementRewriteRule;

use crate::engine::names::pg_name;

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

/// The rule.
#[derive(Debug)]
pub struct EmptySelects;

struct Visitor;

impl VisitorMut for Visitor {
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
                if matches!(expr, Expr::Identifier(_) | Expr::CompoundIdentifier(_)) {
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
        let _ = s.visit(&mut Visitor);
        s
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::parse::parse;

    #[test]
    fn selects_over_empty_catalog_tables_project_nulls() {
        let s = parse(
            "SELECT c.oid::pg_catalog.regclass, c.relkind FROM pg_catalog.pg_class c, pg_catalog.pg_inherits i \
             WHERE c.oid = i.inhrelid ORDER BY c.oid::pg_catalog.regclass::pg_catalog.text",
        )
        .unwrap()
        .remove(0)
        .statement
        .to_string();
        assert!(s.contains("NULL AS \"oid\""), "{s}");
        assert!(!s.contains("ORDER BY"), "{s}");
        assert!(s.contains("c.relkind"), "{s}");
    }
}
