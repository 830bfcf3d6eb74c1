//! CREATE VIEW and DROP VIEW: views are kept as files in their zone and planned again at start.

use std::sync::Arc;

use aloe_connectors::lake::{LakeTable, TableKind, ZoneSchema, views};
use datafusion::common::TableReference;
use datafusion::logical_expr::CreateView;
use datafusion::sql::parser::Statement as DFStatement;
use datafusion::sql::sqlparser::ast::Statement;

use crate::catalog::view::LakeView;
use crate::error::{EngineError, EngineResult, sqlstate};
use crate::session::Session;
use crate::session::outcome::Outcome;

impl Session {
    pub(crate) async fn create_view(&self, v: &CreateView) -> EngineResult<Outcome> {
        let (schema, name) = self.zone_for_create(&v.name)?;
        if v.temporary {
            return Err(EngineError::not_supported(
                "temporary views are not supported; create a view in a zone",
            ));
        }
        if let Some(existing) = schema.get(&name) {
            let is_view = matches!(existing.kind, TableKind::View(_));
            if !is_view {
                return Err(EngineError::new(
                    sqlstate::WRONG_OBJECT_TYPE,
                    format!("\"{name}\" is not a view"),
                ));
            }
            if !v.or_replace {
                return Err(EngineError::new(
                    sqlstate::DUPLICATE_TABLE,
                    format!("relation \"{name}\" already exists"),
                ));
            }
        }
        let sql = v
            .definition
            .clone()
            .ok_or_else(|| EngineError::not_supported("a view needs its SQL text"))?;
        self.install_view(&schema, &name, &sql).await?;
        views::save(&schema.zone, &name, &sql).await?;
        Ok(Outcome::command("CREATE VIEW"))
    }

    pub(crate) async fn drop_view(
        &self,
        name: &TableReference,
        if_exists: bool,
    ) -> EngineResult<Outcome> {
        let found = self.lake_table(name);
        let Some((schema, view, table)) = found else {
            return self.missing(name, if_exists, "DROP VIEW", "view");
        };
        if !matches!(table.kind, TableKind::View(_)) {
            return Err(EngineError::new(
                sqlstate::WRONG_OBJECT_TYPE,
                format!("\"{view}\" is not a view; use DROP TABLE"),
            ));
        }
        views::remove(&schema.zone, &view).await?;
        schema.remove(&view);
        Ok(Outcome::command("DROP VIEW"))
    }

    /// Plans a stored `CREATE VIEW` statement and serves it in `schema` as `name`.
    pub(crate) async fn install_view(
        &self,
        schema: &Arc<ZoneSchema>,
        name: &str,
        sql: &str,
    ) -> EngineResult<()> {
        let mut parsed = crate::sql::parse::parse(sql)?;
        let query = match parsed.pop().map(|p| p.statement) {
            Some(DFStatement::Statement(s)) => match *s {
                Statement::CreateView(v) => v.query,
                _ => {
                    return Err(EngineError::syntax(format!(
                        "view {name}: not a CREATE VIEW"
                    )));
                }
            },
            _ => {
                return Err(EngineError::syntax(format!(
                    "view {name}: not a CREATE VIEW"
                )));
            }
        };
        // PostgreSQL's definition of a view is its query alone, led by a space and ended
        // by a semicolon (pg_get_viewdef, pg_views, information_schema.views).
        let definition = format!(" {query};");
        let query = DFStatement::Statement(Box::new(Statement::Query(query)));
        let plan = self.state().statement_to_plan(query.clone()).await?;
        let view = LakeView::new(query, definition, &plan);
        schema.put(
            name,
            LakeTable {
                provider: Arc::new(view),
                kind: TableKind::View(sql.to_owned()),
                url: None,
                description: None,
                declared: false,
            },
        );
        Ok(())
    }
}
