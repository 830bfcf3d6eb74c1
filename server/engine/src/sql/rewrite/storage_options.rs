//! Storage parameters (`reloptions`): Aloe's tables have none. psql's `\d+` asks for them as
//! `array_to_string(c.reloptions || array(select 'toast.' || x from unnest(tc.reloptions) x), ', ')`,
//! an `ARRAY(subquery)` DataFusion cannot plan over a column pg_class does not carry. For a
//! relation without options PostgreSQL answers the empty string, so that is what the call
//! becomes: the exact answer, not a guess.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    Expr, Statement, Value, Visit, VisitMut, Visitor, VisitorMut,
};
use datafusion_pg_catalog::sql::rules::SqlStatementRewriteRule;

/// Replaces `array_to_string(<anything over reloptions>, ...)` with `''`.
#[derive(Debug)]
pub struct NoStorageOptions;

/// Whether `expr` mentions a `reloptions` column.
fn reads_reloptions(expr: &Expr) -> bool {
    struct Find(bool);
    impl Visitor for Find {
        type Break = ();
        fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
            let name = match e {
                Expr::Identifier(i) => Some(&i.value),
                Expr::CompoundIdentifier(parts) => parts.last().map(|i| &i.value),
                _ => None,
            };
            if name.is_some_and(|n| n.eq_ignore_ascii_case("reloptions")) {
                self.0 = true;
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(())
        }
    }
    let mut find = Find(false);
    let _ = expr.visit(&mut find);
    find.0
}

struct Rewrite;

impl VisitorMut for Rewrite {
    type Break = ();

    fn pre_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        if let Expr::Function(f) = expr {
            let name = f.name.to_string().to_ascii_lowercase();
            if name.trim_start_matches("pg_catalog.") == "array_to_string" && reads_reloptions(expr)
            {
                *expr = Expr::Value(Value::SingleQuotedString(String::new()).with_empty_span());
            }
        }
        ControlFlow::Continue(())
    }
}

impl SqlStatementRewriteRule for NoStorageOptions {
    fn rewrite(&self, mut s: Statement) -> Statement {
        let _ = VisitMut::visit(&mut s, &mut Rewrite);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
    use datafusion::sql::sqlparser::parser::Parser;

    #[test]
    fn psqls_options_column_becomes_empty_text() {
        let sql = "SELECT c.relkind, pg_catalog.array_to_string(c.reloptions || array(select 'toast.' || x \
                   from pg_catalog.unnest(tc.reloptions) x), ', '), array_to_string(c.other, ',') \
                   FROM pg_catalog.pg_class c";
        let mut s = Parser::parse_sql(&PostgreSqlDialect {}, sql)
            .unwrap()
            .remove(0);
        s = NoStorageOptions.rewrite(s);
        let text = s.to_string();
        assert!(
            text.contains("c.relkind, '', array_to_string(c.other, ',')"),
            "{text}"
        );
    }
}
