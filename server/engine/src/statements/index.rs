//! DROP INDEX: Aloe keeps indexes as catalog entries for the tools that create them (dbt,
//! migrations); CREATE INDEX is planned by DataFusion and recorded in `lake.rs`.

use datafusion::sql::sqlparser::ast::Statement;

use crate::error::{EngineError, EngineResult, sqlstate};
use crate::session::Session;
use crate::session::outcome::Outcome;
use crate::sql::ident_name;
use aloe_connectors::lake::indexes::{self, IndexDecl};
use datafusion::logical_expr::CreateIndex;

/// Runs a DROP INDEX.
pub(crate) async fn drop(session: &Session, statement: &Statement) -> EngineResult<Outcome> {
    let Statement::Drop {
        names, if_exists, ..
    } = statement
    else {
        return Err(EngineError::internal("not a DROP INDEX"));
    };
    let names: Vec<String> = names
        .iter()
        .map(|n| {
            n.0.iter()
                .map(|p| {
                    p.as_ident()
                        .map(ident_name)
                        .unwrap_or_else(|| p.to_string())
                })
                .collect::<Vec<_>>()
                .join(".")
        })
        .collect();
    session.drop_index(&names, *if_exists).await
}

/// The notice sent with CREATE INDEX: accepted, recorded, not used.
pub const INDEX_NOTICE: &str = "Aloe scans columnar data instead of using indexes; \
                                the index is recorded (pg_index lists it) but not built";

impl Session {
    pub(crate) async fn create_index(&self, c: &CreateIndex) -> EngineResult<Outcome> {
        let Some((schema, table)) = self.zone_of(&c.table) else {
            return Err(EngineError::new(
                sqlstate::UNDEFINED_TABLE,
                format!("relation \"{}\" does not exist", c.table),
            ));
        };
        if schema.get(&table).is_none() {
            return Err(EngineError::new(
                sqlstate::UNDEFINED_TABLE,
                format!("relation \"{}\" does not exist", c.table),
            ));
        }
        let columns: Vec<String> = c
            .columns
            .iter()
            .map(|s| match &s.expr {
                datafusion::prelude::Expr::Column(col) => col.name.clone(),
                other => other.to_string(),
            })
            .collect();
        let name = c
            .name
            .clone()
            .unwrap_or_else(|| format!("{table}_{}_idx", columns.join("_")));
        let existing = indexes::list(&schema.zone).await?;
        if existing.iter().any(|i| i.name == name) {
            if c.if_not_exists {
                self.notice(format!("relation \"{name}\" already exists, skipping"));
                return Ok(Outcome::command("CREATE INDEX"));
            }
            return Err(EngineError::new(
                sqlstate::DUPLICATE_TABLE,
                format!("relation \"{name}\" already exists"),
            ));
        }
        indexes::save(
            &schema.zone,
            &IndexDecl {
                name,
                table,
                columns,
                unique: c.unique,
            },
        )
        .await?;
        self.notice(INDEX_NOTICE.to_owned());
        Ok(Outcome::command("CREATE INDEX"))
    }

    /// `DROP INDEX [IF EXISTS] name, ...`: forgets recorded indexes, in whichever zone.
    pub(crate) async fn drop_index(
        &self,
        names: &[String],
        if_exists: bool,
    ) -> EngineResult<Outcome> {
        for name in names {
            let (schema_name, index) = match name.rsplit_once('.') {
                Some((s, i)) => (Some(s), i),
                None => (None, name.as_str()),
            };
            let mut removed = false;
            for schema in self.lake().schemas() {
                if schema_name.is_some_and(|s| s != schema.zone.name) {
                    continue;
                }
                removed |= indexes::remove(&schema.zone, index).await?;
            }
            if !removed {
                if if_exists {
                    self.notice(format!("index \"{index}\" does not exist, skipping"));
                } else {
                    return Err(EngineError::new(
                        sqlstate::UNDEFINED_OBJECT,
                        format!("index \"{index}\" does not exist"),
                    ));
                }
            }
        }
        Ok(Outcome::command("DROP INDEX"))
    }
}
