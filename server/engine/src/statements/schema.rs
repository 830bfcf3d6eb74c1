//! CREATE SCHEMA and DROP SCHEMA: schemas of the lake beside its zones, each a folder under the
//! public zone (`_schemas/<name>/`) whose tables are Delta tables like the zones'. The zones and
//! the server's own schemas (gen, kafka, live, aloe, pg_catalog) stay as they are.

use datafusion::logical_expr::{CreateCatalogSchema, DropCatalogSchema};

use crate::error::{EngineError, EngineResult, sqlstate};
use crate::session::Session;
use crate::session::outcome::Outcome;

impl Session {
    /// `CREATE SCHEMA [IF NOT EXISTS] name`: kept in the lake, so served after a restart.
    pub(crate) async fn create_schema(&self, c: &CreateCatalogSchema) -> EngineResult<Outcome> {
        let name = self.own_schema_name(&c.schema_name)?;
        let catalog = self.own_catalog()?;
        if catalog.schema(&name).is_some() {
            if c.if_not_exists {
                self.notice(format!("schema \"{name}\" already exists, skipping"));
                return Ok(Outcome::command("CREATE SCHEMA"));
            }
            return Err(EngineError::new(
                sqlstate::DUPLICATE_SCHEMA,
                format!("schema \"{name}\" already exists"),
            ));
        }
        let schema = self.lake().create_schema(&name).await?;
        catalog.register_schema(&name, schema)?;
        self.invalidate_results();
        Ok(Outcome::command("CREATE SCHEMA"))
    }

    /// `DROP SCHEMA [IF EXISTS] name [CASCADE | RESTRICT]`: RESTRICT (the default) refuses a
    /// schema that still has tables or views, as PostgreSQL does.
    pub(crate) async fn drop_schema(&self, d: &DropCatalogSchema) -> EngineResult<Outcome> {
        let name = self.own_schema_name(&d.name.to_string())?;
        let Some(schema) = self.lake().schema(&name) else {
            if self.own_catalog()?.schema(&name).is_some() {
                return Err(EngineError::not_supported(format!(
                    "schema \"{name}\" is served by Aloe itself and cannot be dropped"
                )));
            }
            if d.if_exists {
                self.notice(format!("schema \"{name}\" does not exist, skipping"));
                return Ok(Outcome::command("DROP SCHEMA"));
            }
            return Err(EngineError::new(
                sqlstate::INVALID_SCHEMA_NAME,
                format!("schema \"{name}\" does not exist"),
            ));
        };
        if aloe_connectors::lake::ZONES.contains(&name.as_str()) {
            return Err(EngineError::not_supported(format!(
                "schema \"{name}\" is one of the lake's zones and cannot be dropped"
            )));
        }
        let objects = schema.entries();
        if !d.cascade && !objects.is_empty() {
            let names: Vec<_> = objects.iter().map(|(n, _)| n.as_str()).collect();
            return Err(EngineError::new(
                sqlstate::DEPENDENT_OBJECTS_STILL_EXIST,
                format!(
                    "cannot drop schema {name} because other objects depend on it \
                     ({}); use DROP ... CASCADE to drop the dependent objects too",
                    names.join(", ")
                ),
            ));
        }
        self.lake().drop_schema(&name).await?;
        self.own_catalog()?.deregister_schema(&name, true)?;
        self.invalidate_results();
        Ok(Outcome::command("DROP SCHEMA"))
    }

    /// The schema name of a `[database.]schema` the statement gave, in this database; a name
    /// with other dots is taken whole (and refused by the lake if it is not a plain name).
    fn own_schema_name(&self, given: &str) -> EngineResult<String> {
        Ok(given
            .strip_prefix(self.database())
            .and_then(|rest| rest.strip_prefix('.'))
            .unwrap_or(given)
            .to_owned())
    }

    /// This database's catalog.
    fn own_catalog(
        &self,
    ) -> EngineResult<std::sync::Arc<dyn datafusion::catalog::CatalogProvider>> {
        self.state()
            .catalog_list()
            .catalog(self.database())
            .ok_or_else(|| {
                EngineError::new(sqlstate::INTERNAL_ERROR, "no catalog for this database")
            })
    }
}
