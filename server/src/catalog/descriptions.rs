//! Comments on tables and columns (`obj_description`, `col_description`).
//!
//! Aloe keeps no comments yet, so both answer NULL. Clients often compute the object from a
//! name (`col_description(CAST(CAST(format('%I.%I', s, t) AS regclass) AS oid), n)`, as Metabase
//! does), and a cast of computed text to regclass is not something Aloe can evaluate; the
//! whole call is therefore replaced by its answer, NULL, before planning. When tables get
//! descriptions this rule gives way to a lookup.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    CastKind, DataType as SqlType, Expr, Statement, Value, VisitMut, VisitorMut,
};
use datafusion_pg_catalog::sql::rules::SqlStatementRewriteRule;

/// Replaces description lookups with NULL text.
#[derive(Debug)]
pub struct NoDescriptions;

struct Visitor;

impl VisitorMut for Visitor {
    type Break = ();

    fn pre_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        if let Expr::Function(f) = expr {
            let name = f.name.to_string().to_ascii_lowercase();
            let name = name.strip_prefix("pg_catalog.").unwrap_or(&name);
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

impl SqlStatementRewriteRule for NoDescriptions {
    fn rewrite(&self, mut s: Statement) -> Statement {
        let _ = s.visit(&mut Visitor);
        s
    }
}
