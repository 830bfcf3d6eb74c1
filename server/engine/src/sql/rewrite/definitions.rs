//! `pg_get_viewdef` and `pg_get_indexdef`, PostgreSQL's deparsers of views and indexes, as
//! lookups in `pg_views` and `pg_indexes` (which Aloe fills from the lake) before planning.
//!
//! They are subqueries rather than functions because a scalar function cannot read the
//! catalog: an OID is turned into a name by pg_class, which is computed per query.
//! `pg_get_viewdef(oid[, pretty])`, `pg_get_viewdef('name')` (a name, as PostgreSQL's older
//! text form takes it), `pg_get_indexdef(oid)` and `pg_get_indexdef(oid, column, pretty)`
//! (column 0: the whole statement; column n: the n-th key column's name, as pgjdbc's
//! getIndexInfo asks). Pretty, an index's table is unqualified when the search path finds
//! it, as in PostgreSQL; a view's definition is the query as written, where PostgreSQL
//! deparses it into its own layout (qualified columns, one per line).

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{Expr, Query, Statement, Value, VisitMut, VisitorMut};
use datafusion_pg_catalog::sql::rules::SqlStatementRewriteRule;

use crate::sql::call::parse_expr as parse;

/// Replaces definition lookups with catalog subqueries.
#[derive(Debug)]
pub struct Definitions;

/// `(SELECT max(<value>) ...)` of the pg_class row with OID `oid`, joined to the
/// definitions in `table` by schema and `name_column`. `value` is an expression over
/// `aloe_def.schemaname` and `aloe_def.definition`.
///
/// The catalog tables are read in a derived table, so that only `aloe_def`'s columns are in
/// scope where the caller's `oid` and `value` are evaluated: an outer `c.oid` or an
/// unqualified `oid` still means the caller's, not the lookup's own pg_class.
fn by_oid(table: &str, name_column: &str, definition: &str, value: &str, oid: &Expr) -> String {
    format!(
        "(SELECT max({value}) FROM (SELECT c.oid AS aloe_def_oid, d.schemaname AS schemaname, \
         d.{definition} AS definition FROM pg_catalog.{table} d \
         JOIN pg_catalog.pg_namespace n ON n.nspname = d.schemaname \
         JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = d.{name_column}) \
         AS aloe_def WHERE aloe_def.aloe_def_oid = CAST({oid} AS OID))"
    )
}

/// The lookup replacing a call of `name` with `args`, as SQL.
fn lookup(name: &str, args: &[&Expr]) -> Option<String> {
    const WHOLE: &str = "aloe_def.definition";
    match (name, args) {
        ("pg_get_viewdef", [object] | [object, _]) => {
            // The text form names the view; a regclass cast turns the name into its OID.
            let object = match object {
                Expr::Value(v) if matches!(v.value, Value::SingleQuotedString(_)) => {
                    format!("CAST({object} AS REGCLASS)")
                }
                other => other.to_string(),
            };
            Some(by_oid(
                "pg_views",
                "viewname",
                "definition",
                WHOLE,
                &parse(&object)?,
            ))
        }
        ("pg_get_indexdef", [index]) => {
            Some(by_oid("pg_indexes", "indexname", "indexdef", WHOLE, index))
        }
        ("pg_get_indexdef", [index, column, pretty]) => {
            // Pretty, PostgreSQL names the table unqualified when the search path finds it.
            let value = format!(
                "CASE WHEN CAST({pretty} AS BOOLEAN) \
                 AND array_has(current_schemas(false), aloe_def.schemaname) \
                 THEN replace({WHOLE}, ' ON ' || quote_ident(aloe_def.schemaname) || '.', ' ON ') \
                 ELSE {WHOLE} END"
            );
            let whole = by_oid("pg_indexes", "indexname", "indexdef", &value, index);
            Some(format!(
                "CASE WHEN CAST({column} AS INT) = 0 THEN {whole} ELSE \
                 (SELECT max(aloe_key.name) FROM (SELECT i.indexrelid AS aloe_key_index, \
                  i.indkey AS aloe_key_keys, a.attnum AS aloe_key_attnum, a.attname AS name \
                  FROM pg_catalog.pg_index i \
                  JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid) AS aloe_key \
                  WHERE aloe_key.aloe_key_index = CAST({index} AS OID) \
                  AND aloe_key.aloe_key_attnum = \
                  array_element(aloe_key.aloe_key_keys, CAST({column} AS INT))) END"
            ))
        }
        _ => None,
    }
}

struct Visitor;

impl VisitorMut for Visitor {
    type Break = ();

    fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
        crate::sql::rewrite::names::alias_calls(
            query.body.as_mut(),
            &["pg_get_viewdef", "pg_get_indexdef"],
        );
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        if let Some(replacement) = crate::sql::call::called(expr)
            .and_then(|(name, args)| lookup(&name, &args))
            .and_then(|sql| parse(&sql))
        {
            *expr = replacement;
        }
        ControlFlow::Continue(())
    }
}

impl SqlStatementRewriteRule for Definitions {
    fn rewrite(&self, mut s: Statement) -> Statement {
        let _ = s.visit(&mut Visitor);
        s
    }
}
