//! PostgreSQL syntax that DataFusion does not plan, rewritten into forms it does, using the
//! rules of datafusion-pg-catalog.
//!
//! Two rules of that crate are left out on purpose: `RemoveSubqueryFromProjection` replaces
//! correlated scalar subqueries with NULL, which turns a query DataFusion cannot plan into a
//! silently wrong answer (without it such queries fail with 0A000); and
//! `CurrentUserVariableToSessionUserFunctionCall`, because Aloe registers `current_user`
//! itself and PostgreSQL names that column `current_user`, not `session_user`.

pub mod array_subqueries;
pub mod catalog_names;
pub mod composite;
pub mod definitions;
pub mod descriptions;
pub mod empty_selects;
pub mod expandarray;
pub mod from_functions;
pub mod like_escape;
pub mod literals;
pub mod names;
pub mod quantified_subqueries;
pub mod regproc;
pub mod storage_options;
pub mod subqueries;
pub mod subscripts;

use std::sync::{Arc, LazyLock};

use datafusion::sql::parser::Statement as DFStatement;
use datafusion_pg_catalog::sql::rules::{
    AliasDuplicatedProjectionRewrite, FixArrayLiteral, FixVersionColumnName,
    PrependUnqualifiedPgTableName, ResolveUnqualifiedIdentifier, RewriteArrayAnyAllOperation,
    RewritePgCatalogOperator, RewriteRegCastToSubquery, SqlStatementRewriteRule,
    StripCallableQualifier, StripCollate,
};

static RULES: LazyLock<Vec<Arc<dyn SqlStatementRewriteRule>>> = LazyLock::new(|| {
    vec![
        // Before the regclass rewrite, which would otherwise meet the casts inside.
        Arc::new(crate::sql::rewrite::descriptions::NoDescriptions),
        Arc::new(crate::sql::rewrite::definitions::Definitions),
        Arc::new(crate::sql::rewrite::empty_selects::EmptySelects),
        Arc::new(crate::sql::rewrite::storage_options::NoStorageOptions),
        Arc::new(crate::sql::rewrite::regproc::RegprocNames),
        Arc::new(AliasDuplicatedProjectionRewrite),
        Arc::new(ResolveUnqualifiedIdentifier),
        // Before the array rewrite, which would otherwise take a subquery for an array.
        Arc::new(crate::sql::rewrite::quantified_subqueries::QuantifiedSubqueries),
        Arc::new(RewriteArrayAnyAllOperation),
        Arc::new(PrependUnqualifiedPgTableName),
        Arc::new(crate::sql::rewrite::catalog_names::AloeCatalogNames),
        Arc::new(StripCallableQualifier),
        Arc::new(FixArrayLiteral),
        Arc::new(StripCollate),
        Arc::new(RewritePgCatalogOperator),
        Arc::new(RewriteRegCastToSubquery::new()),
        Arc::new(FixVersionColumnName),
        Arc::new(crate::sql::rewrite::subqueries::CatalogSubqueries),
    ]
});

/// Rewrites one statement; DataFusion's own extensions (COPY, CREATE EXTERNAL TABLE) pass.
pub fn rewrite(statement: DFStatement) -> DFStatement {
    match statement {
        DFStatement::Statement(s) => {
            let mut s = RULES.iter().fold(*s, |s, rule| rule.rewrite(s));
            crate::sql::rewrite::like_escape::rewrite(&mut s);
            crate::sql::rewrite::array_subqueries::rewrite(&mut s);
            crate::sql::rewrite::expandarray::rewrite(&mut s);
            crate::sql::rewrite::composite::rewrite(&mut s);
            crate::sql::rewrite::from_functions::rewrite(&mut s);
            // After FROM functions, which make a `generate_subscripts` in FROM a select item.
            crate::sql::rewrite::subscripts::rewrite(&mut s);
            let mut statement = DFStatement::Statement(Box::new(s));
            crate::sql::rewrite::names::name_outputs(&mut statement);
            statement
        }
        other => other,
    }
}
