//! Comments on tables and columns (`obj_description`, `col_description`).
//!
//! Tables have descriptions (from table files, `aloe.toml` and model headers) and model columns
//! have theirs (model headers), all in pg_description. `obj_description(x, 'pg_class')` and
//! `col_description(x, n)` become lookups in pg_description before planning, subqueries
//! DataFusion can decorrelate when `x` is a column. Any call whose object is computed from a name
//! (`col_description(CAST(CAST(format('%I.%I', s, t) AS regclass) AS oid), n)`, as Metabase
//! sends): a cast of computed text to regclass is not something Aloe can evaluate.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    CastKind, DataType as SqlType, Expr, Query, Statement, Value, VisitMut, VisitorMut,
};
use datafusion_pg_catalog::sql::rules::SqlStatementRewriteRule;

/// Replaces description lookups with NULL text.
#[derive(Debug)]
pub struct NoDescriptions;

struct Visitor;

impl VisitorMut for Visitor {
    type Break = ();

    fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
        crate::sql::rewrite::names::alias_calls(
            query.body.as_mut(),
            &["obj_description", "col_description", "shobj_description"],
        );
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        if let Expr::Function(f) = expr {
            let name = f.name.to_string().to_ascii_lowercase();
            let name = name.strip_prefix("pg_catalog.").unwrap_or(&name);
            if matches!(name, "obj_description" | "col_description")
                && let Some(lookup) = description_lookup(f, name == "col_description")
            {
                *expr = lookup;
                return ControlFlow::Continue(());
            }
            if matches!(
                name,
                "col_description" | "obj_description" | "shobj_description"
            ) {
                *expr = Expr::Cast {
                    kind: CastKind::Cast,
                    expr: Box::new(Expr::Value(Value::Null.with_empty_span())),
                    data_type: SqlType::Text,
                    array: false,
                    format: None,
                };
            }
        }
        ControlFlow::Continue(())
    }
}

/// `(SELECT max(description) FROM pg_catalog.pg_description WHERE objoid = x AND objsubid = 0)`
/// for `obj_description(x[, 'pg_class'])`, or `objsubid = n` for `col_description(x, n)`,
/// whose `x` is not computed by a function.
fn description_lookup(f: &datafusion::sql::sqlparser::ast::Function, column: bool) -> Option<Expr> {
    use datafusion::sql::sqlparser::ast::{FunctionArg, FunctionArgExpr, FunctionArguments};
    let FunctionArguments::List(list) = &f.args else {
        return None;
    };
    let args: Vec<&Expr> = list
        .args
        .iter()
        .map(|a| match a {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e),
            _ => None,
        })
        .collect::<Option<_>>()?;
    let (object, subid) = match (column, args.as_slice()) {
        (false, [object]) => (object, "0".to_owned()),
        (false, [object, Expr::Value(v)]) if v.to_string().eq_ignore_ascii_case("'pg_class'") => {
            (object, "0".to_owned())
        }
        (true, [object, number]) => (object, format!("CAST({number} AS INT)")),
        _ => return None,
    };
    let mut computed = false;
    let _ = datafusion::sql::sqlparser::ast::visit_expressions(*object, |e| {
        computed |= matches!(e, Expr::Function(_));
        ControlFlow::<()>::Continue(())
    });
    if computed {
        return None;
    }
    // Built as text and parsed, because the subquery's AST is long to spell out by hand.
    let sql = format!(
        "(SELECT max(d.description) FROM pg_catalog.pg_description d \
         WHERE d.objoid = CAST({object} AS OID) AND d.objsubid = {subid})"
    );
    crate::sql::call::parse_expr(&sql)
}

impl SqlStatementRewriteRule for NoDescriptions {
    fn rewrite(&self, mut s: Statement) -> Statement {
        let _ = s.visit(&mut Visitor);
        s
    }
}
