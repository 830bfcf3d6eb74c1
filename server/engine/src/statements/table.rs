//! CREATE TABLE [AS] and DROP TABLE in a zone: a Delta table (or an in-memory one outside
//! the zones) written before the catalog is told.

use std::sync::Arc;

use aloe_connectors::lake::TableKind;
use aloe_connectors::lake::delta::{self, WriteMode};
use aloe_connectors::lake::indexes::{self};
use datafusion::common::TableReference;
use datafusion::logical_expr::{CreateMemoryTable, LogicalPlan};
use object_store::ObjectStoreExt;

use crate::error::{EngineError, EngineResult, sqlstate};
use crate::session::Session;
use crate::session::outcome::Outcome;
use crate::session::stream::Guard;

impl Session {
    pub(crate) async fn create_table(
        &self,
        c: &CreateMemoryTable,
        guard: &Guard,
    ) -> EngineResult<Outcome> {
        let (schema, name) = self.zone_for_create(&c.name)?;
        if c.temporary {
            return Err(EngineError::not_supported(
                "temporary tables are not supported; create a table in a zone and drop it after",
            ));
        }
        let plain = matches!(c.input.as_ref(), LogicalPlan::EmptyRelation(e) if !e.produce_one_row);
        let tag = |rows: u64| {
            if plain {
                "CREATE TABLE".to_owned()
            } else {
                format!("SELECT {rows}")
            }
        };
        if let Some(existing) = schema.get(&name) {
            if c.if_not_exists {
                self.notice(format!("relation \"{name}\" already exists, skipping"));
                return Ok(Outcome::command(tag(0)));
            }
            if !c.or_replace {
                return Err(EngineError::new(
                    sqlstate::DUPLICATE_TABLE,
                    format!("relation \"{name}\" already exists"),
                ));
            }
            if existing.kind != TableKind::Delta {
                return Err(EngineError::new(
                    sqlstate::WRONG_OBJECT_TYPE,
                    format!(
                        "\"{name}\" is {}, not a Delta table; drop it before replacing it",
                        super::lake::kind_name(&existing.kind)
                    ),
                ));
            }
        }
        let mode = if c.or_replace {
            WriteMode::Replace
        } else if c.if_not_exists {
            WriteMode::CreateIfMissing
        } else {
            WriteMode::Create
        };
        let url = schema.zone.table_url(&name);
        let state = Arc::new(self.state());
        let zone = schema.zone.clone();
        let input = c.input.as_ref().clone();
        let rows = guard
            .run(async {
                delta::write(&zone, &url, state, input, mode, None)
                    .await
                    .map_err(|e| match e {
                        aloe_connectors::lake::LakeError::Exists(_) => EngineError::new(
                            sqlstate::DUPLICATE_TABLE,
                            format!("relation \"{name}\" already exists"),
                        ),
                        other => other.into(),
                    })
            })
            .await?;
        self.refresh_zone(&schema.zone.name).await?;
        Ok(Outcome::command(tag(rows)))
    }

    pub(crate) async fn drop_table(
        &self,
        name: &TableReference,
        if_exists: bool,
    ) -> EngineResult<Outcome> {
        let found = self.lake_table(name);
        let Some((schema, table, lake_table)) = found else {
            return self.missing(name, if_exists, "DROP TABLE", "table");
        };
        if let TableKind::View(_) = lake_table.kind {
            return Err(EngineError::new(
                sqlstate::WRONG_OBJECT_TYPE,
                format!("\"{table}\" is not a table; use DROP VIEW"),
            ));
        }
        if lake_table.declared {
            return Err(EngineError::not_supported(format!(
                "\"{table}\" is declared in aloe.toml; remove it there to drop it"
            )));
        }
        let zone = &schema.zone;
        let url = lake_table
            .url
            .as_ref()
            .expect("lake tables have a location");
        let own = zone.table_url(&table);
        if &own != url && url.path().ends_with('/') {
            // A CREATE EXTERNAL TABLE: its table file (in a folder of its own name) goes, the
            // data it pointed at stays, as for external tables elsewhere.
            delta::delete_folder(zone, &own).await?;
        } else if url.path().ends_with('/') {
            delta::delete_folder(zone, url).await?;
        } else {
            zone.store
                .delete(&aloe_connectors::lake::zone::object_path(url))
                .await
                .map_err(aloe_connectors::lake::LakeError::from)?;
        }
        for index in indexes::list(zone).await? {
            if index.table == table {
                indexes::remove(zone, &index.name).await?;
            }
        }
        self.refresh_zone(&zone.name).await?;
        Ok(Outcome::command("DROP TABLE"))
    }
}
