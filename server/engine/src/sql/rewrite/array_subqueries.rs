//! `ARRAY(subquery)`, an array of the subquery's one column in its order, as the aggregate
//! of that column over the subquery: `(SELECT coalesce(array_agg(e ORDER BY keys), '{}')
//! FROM (subquery) AS aloe_array)`. The subquery's ORDER BY keys become columns of it, so
//! the aggregate orders by them and does not depend on the rows reaching it in order;
//! `coalesce` gives `{}` for no rows, as PostgreSQL does, where `array_agg` gives NULL. A
//! correlated one goes on to the decorrelation rule like any scalar subquery.
//!
//! A subquery with DISTINCT and a key that is not its column is left as it was (PostgreSQL
//! refuses that ORDER BY too); a subquery that is no plain SELECT with one column and an ORDER
//! BY is aggregated in the order its rows come.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    Expr, FunctionArguments, Ident, OrderByKind, Query, SelectItem, SetExpr, Statement, Value,
    VisitMut, VisitorMut,
};

const ELEMENT: &str = "aloe_element";

/// The subquery with its column named `aloe_element` and its keys as `aloe_key_<i>`
/// columns, and the aggregate's ORDER BY; `None` for a shape left alone.
fn keyed(mut query: Query) -> Option<(Query, String)> {
    let Some(order_by) = query.order_by.as_mut() else {
        return Some((query, String::new()));
    };
    let OrderByKind::Expressions(keys) = &mut order_by.kind else {
        return None;
    };
    let SetExpr::Select(select) = query.body.as_mut() else {
        return None;
    };
    let [item] = select.projection.as_mut_slice() else {
        return None;
    };
    let (element, alias) = match item {
        SelectItem::UnnamedExpr(e) => (e.clone(), None),
        SelectItem::ExprWithAlias { expr, alias } => (expr.clone(), Some(alias.value.clone())),
        _ => return None,
    };
    let mut extra = Vec::new();
    let mut order = Vec::new();
    for (i, key) in keys.iter_mut().enumerate() {
        let by_alias =
            matches!(&key.expr, Expr::Identifier(id) if Some(&id.value) == alias.as_ref());
        if by_alias {
            // The column is renamed below; the subquery's own ORDER BY follows it.
            key.expr = Expr::Identifier(Ident::new(ELEMENT));
        }
        let is_element = by_alias
            || key.expr == element
            || matches!(&key.expr, Expr::Value(v) if v.value == Value::Number("1".into(), false));
        let name = if is_element {
            ELEMENT.to_owned()
        } else {
            if select.distinct.is_some() {
                return None;
            }
            let name = format!("aloe_key_{i}");
            extra.push(SelectItem::ExprWithAlias {
                expr: key.expr.clone(),
                alias: Ident::new(&name),
            });
            name
        };
        order.push(format!("aloe_array.{name}{}", key.options));
    }
    select.projection = std::iter::once(SelectItem::ExprWithAlias {
        expr: element,
        alias: Ident::new(ELEMENT),
    })
    .chain(extra)
    .collect();
    Some((query, format!(" ORDER BY {}", order.join(", "))))
}

struct Visitor;

impl VisitorMut for Visitor {
    type Break = ();

    // PostgreSQL names the column `array`; the rewrite would be named after its aggregate.
    fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
        crate::sql::rewrite::names::alias_calls(query.body.as_mut(), &["array"]);
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        let Expr::Function(f) = expr else {
            return ControlFlow::Continue(());
        };
        let FunctionArguments::Subquery(query) = &f.args else {
            return ControlFlow::Continue(());
        };
        if !f.name.to_string().eq_ignore_ascii_case("array") {
            return ControlFlow::Continue(());
        }
        let Some((inner, order)) = keyed(query.as_ref().clone()) else {
            return ControlFlow::Continue(());
        };
        // Without an ORDER BY the column keeps its own name; name it for the aggregate.
        let from = if order.is_empty() {
            format!("({inner}) AS aloe_array({ELEMENT})")
        } else {
            format!("({inner}) AS aloe_array")
        };
        let sql = format!(
            "(SELECT coalesce(array_agg(aloe_array.{ELEMENT}{order}), make_array()) FROM {from})"
        );
        if let Some(rewritten) = crate::sql::call::parse_expr(&sql) {
            *expr = rewritten;
        }
        ControlFlow::Continue(())
    }
}

/// Rewrites every `ARRAY(subquery)` of `statement`.
pub fn rewrite(statement: &mut Statement) {
    let _ = statement.visit(&mut Visitor);
}
