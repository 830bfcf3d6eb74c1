//! CREATE EXTERNAL TABLE over files of a zone (JSON, CSV, Parquet folders), kept in a table
//! file so the table is there after a restart.

use std::collections::BTreeMap;

use aloe_connectors::lake::paths;
use aloe_connectors::lake::table_file::{TABLE_FILE, TableFile};
use datafusion::logical_expr::CreateExternalTable;
use object_store::ObjectStoreExt;

use crate::error::{EngineError, EngineResult, sqlstate};
use crate::session::Session;
use crate::session::outcome::Outcome;

impl Session {
    /// `CREATE EXTERNAL TABLE ... LOCATION '<zone>/<path>'`: the location must be inside the
    /// table's own zone; a table file records it so the table is there after a restart.
    pub(crate) async fn create_external(&self, c: &CreateExternalTable) -> EngineResult<Outcome> {
        let (schema, name) = self.zone_for_create(&c.name)?;
        let zones = self.lake().zones();
        let mut location = None;
        for given in &c.locations {
            let (zone, url) = paths::resolve(&zones, given)?;
            if zone.name != schema.zone.name {
                return Err(EngineError::new(
                    sqlstate::INSUFFICIENT_PRIVILEGE,
                    format!(
                        "the location of a table in zone {} must be inside that zone, not in {}",
                        schema.zone.name, zone.name
                    ),
                ));
            }
            location = schema.zone.relative(&url);
        }
        if schema.get(&name).is_some() {
            if c.if_not_exists {
                return Ok(Outcome::command("CREATE TABLE"));
            }
            return Err(EngineError::new(
                sqlstate::DUPLICATE_TABLE,
                format!("relation \"{name}\" already exists"),
            ));
        }
        let mut options = BTreeMap::new();
        for (key, value) in &c.options {
            let key = key.strip_prefix("format.").unwrap_or(key);
            let key = if key == "has_header" { "header" } else { key };
            options.insert(key.to_owned(), value.clone());
        }
        let own_folder = format!("{name}/");
        let location = location.filter(|l| *l != own_folder);
        let tf = TableFile {
            format: Some(c.file_type.to_ascii_lowercase()),
            options,
            partition_columns: c.table_partition_cols.clone(),
            columns: vec![],
            description: None,
            location,
        };
        let text = toml::to_string(&tf)
            .map_err(|e| EngineError::new(sqlstate::INTERNAL_ERROR, e.to_string()))?;
        let path = aloe_connectors::lake::zone::object_path(&schema.zone.table_url(&name))
            .join(TABLE_FILE);
        schema
            .zone
            .store
            .put(&path, text.into_bytes().into())
            .await
            .map_err(aloe_connectors::lake::LakeError::from)?;
        self.refresh_zone(&schema.zone.name).await?;
        if schema.get(&name).is_none() {
            // Nothing readable there: take the table file back rather than leave a table
            // that is not served.
            let _ = schema.zone.store.delete(&path).await;
            return Err(EngineError::new(
                sqlstate::UNDEFINED_FILE,
                format!(
                    "no readable {} files at {}",
                    c.file_type.to_ascii_lowercase(),
                    c.locations.join(", ")
                ),
            ));
        }
        Ok(Outcome::command("CREATE TABLE"))
    }
}
