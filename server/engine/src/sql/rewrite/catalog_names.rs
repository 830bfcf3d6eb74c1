//! Unqualified names of the pg_catalog tables Aloe adds to datafusion-pg-catalog's (its
//! `PrependUnqualifiedPgTableName` knows only its own), qualified as PostgreSQL's search path
//! finds them: `pg_indexes` is `pg_catalog.pg_indexes`.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    Ident, ObjectName, ObjectNamePart, Statement, TableFactor, VisitMut, VisitorMut,
};
use datafusion_pg_catalog::sql::rules::SqlStatementRewriteRule;

/// Qualifies Aloe's own pg_catalog tables.
#[derive(Debug)]
pub struct AloeCatalogNames;

struct Visitor;

impl VisitorMut for Visitor {
    type Break = ();

    fn pre_visit_table_factor(&mut self, factor: &mut TableFactor) -> ControlFlow<()> {
        if let TableFactor::Table {
            name, args: None, ..
        } = factor
            && let [ObjectNamePart::Identifier(ident)] = name.0.as_slice()
            && crate::catalog::ADDED_TABLES
                .iter()
                .any(|t| t.eq_ignore_ascii_case(&ident.value))
        {
            *name = ObjectName(vec![
                ObjectNamePart::Identifier(Ident::new("pg_catalog")),
                ObjectNamePart::Identifier(ident.clone()),
            ]);
        }
        ControlFlow::Continue(())
    }
}

impl SqlStatementRewriteRule for AloeCatalogNames {
    fn rewrite(&self, mut s: Statement) -> Statement {
        let _ = s.visit(&mut Visitor);
        s
    }
}
