//! Functions in FROM, as PostgreSQL allows them and DataFusion does not.
//!
//! - A scalar function as a FROM item is a one-row, one-column relation named by its alias
//!   (Grafana: `..., string_to_array(current_setting('search_path'), ',') s`): it becomes
//!   the derived table `(SELECT f(...) AS s) AS s`.
//! - A set-returning function's alias names its column too (`generate_series(1, 3) AS i`
//!   gives column `i`); DataFusion names it `value`, so the alias gets the column name.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    Ident, Statement, TableAlias, TableAliasColumnDef, TableFactor, VisitMut, VisitorMut,
};
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::parser::Parser;

/// Table functions DataFusion has, which yield one column named `value`.
const SET_RETURNING: &[&str] = &["generate_series", "range", "unnest"];

/// Table functions whose own column names stand.
const OTHER_TABLE_FUNCTIONS: &[&str] = &["pg_get_keywords"];

struct Visitor;

impl VisitorMut for Visitor {
    type Break = ();

    fn pre_visit_table_factor(&mut self, factor: &mut TableFactor) -> ControlFlow<()> {
        let TableFactor::Table {
            name,
            alias,
            args: Some(args),
            ..
        } = factor
        else {
            return ControlFlow::Continue(());
        };
        let function = name.to_string().to_ascii_lowercase();
        let short = function.rsplit('.').next().unwrap_or(&function).to_owned();
        if SET_RETURNING.contains(&short.as_str()) {
            if let Some(alias) = alias
                && alias.columns.is_empty()
            {
                alias.columns.push(TableAliasColumnDef {
                    name: alias.name.clone(),
                    data_type: None,
                });
            }
            return ControlFlow::Continue(());
        }
        if OTHER_TABLE_FUNCTIONS.contains(&short.as_str()) {
            return ControlFlow::Continue(());
        }
        let column = alias
            .as_ref()
            .map(|a| a.name.clone())
            .unwrap_or_else(|| Ident::new(short.clone()));
        let call_args: Vec<String> = args.args.iter().map(ToString::to_string).collect();
        let sql = format!("SELECT {name}({}) AS {column}", call_args.join(", "));
        let Ok(subquery) = Parser::new(&PostgreSqlDialect {})
            .try_with_sql(&sql)
            .and_then(|mut p| p.parse_query())
        else {
            return ControlFlow::Continue(());
        };
        *factor = TableFactor::Derived {
            lateral: false,
            subquery,
            alias: Some(TableAlias {
                explicit: true,
                name: column,
                columns: vec![],
                at: None,
            }),
            sample: None,
        };
        ControlFlow::Continue(())
    }
}

/// Rewrites the FROM items of the statement.
pub fn rewrite(statement: &mut Statement) {
    let _ = statement.visit(&mut Visitor);
}

#[cfg(test)]
mod tests {
    use crate::sql::parse::parse;

    #[test]
    fn scalar_functions_in_from_become_derived_tables() {
        let s = parse("SELECT s[i] FROM generate_series(1, 2) AS i, string_to_array('a,b', ',') s")
            .unwrap()
            .remove(0)
            .statement
            .to_string();
        assert!(s.contains("generate_series(1, 2) AS i (i)"), "{s}");
        assert!(
            s.contains("(SELECT string_to_array('a,b', ',') AS s) AS s"),
            "{s}"
        );
    }
}
