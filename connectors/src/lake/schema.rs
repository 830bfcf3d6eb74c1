//! A zone as a DataFusion schema: the tables found in it, swapped whole after every write.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use datafusion::catalog::{SchemaProvider, TableProvider};
use datafusion::error::{DataFusionError, Result};
use url::Url;

use super::files::Format;
use super::zone::Zone;

/// What a lake table is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableKind {
    /// A Delta table.
    Delta,
    /// A folder (or one file) of raw files.
    Files(Format),
    /// A view; its SQL is kept in the zone's `_views` folder.
    View(String),
}

/// One table of a zone.
#[derive(Debug, Clone)]
pub struct LakeTable {
    /// What DataFusion reads.
    pub provider: Arc<dyn TableProvider>,
    /// What it is made of.
    pub kind: TableKind,
    /// Where it lives (none for views).
    pub url: Option<Url>,
    /// Its comment.
    pub description: Option<String>,
    /// Declared in `aloe.toml` (SQL may not drop it).
    pub declared: bool,
}

/// A zone's tables, as DataFusion sees them.
#[derive(Debug)]
pub struct ZoneSchema {
    /// The zone.
    pub zone: Arc<Zone>,
    tables: RwLock<BTreeMap<String, LakeTable>>,
}

impl ZoneSchema {
    /// An empty schema for `zone`.
    pub fn new(zone: Arc<Zone>) -> Self {
        Self {
            zone,
            tables: RwLock::default(),
        }
    }

    /// The table called `name`.
    pub fn get(&self, name: &str) -> Option<LakeTable> {
        self.tables.read().expect("zone lock").get(name).cloned()
    }

    /// Adds or replaces a table.
    pub fn put(&self, name: &str, table: LakeTable) {
        self.tables
            .write()
            .expect("zone lock")
            .insert(name.to_owned(), table);
    }

    /// Removes a table.
    pub fn remove(&self, name: &str) -> Option<LakeTable> {
        self.tables.write().expect("zone lock").remove(name)
    }

    /// Every table, in name order.
    pub fn entries(&self) -> Vec<(String, LakeTable)> {
        self.tables
            .read()
            .expect("zone lock")
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}

#[async_trait]
impl SchemaProvider for ZoneSchema {
    fn table_names(&self) -> Vec<String> {
        self.tables
            .read()
            .expect("zone lock")
            .keys()
            .cloned()
            .collect()
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        Ok(self.get(name).map(|t| t.provider))
    }

    fn table_exist(&self, name: &str) -> bool {
        self.tables.read().expect("zone lock").contains_key(name)
    }

    // Tables reach a zone through the lake's write path, which persists them first; a table
    // registered any other way would vanish at restart.
    fn register_table(
        &self,
        name: String,
        _table: Arc<dyn TableProvider>,
    ) -> Result<Option<Arc<dyn TableProvider>>> {
        Err(DataFusionError::NotImplemented(format!(
            "table \"{name}\" cannot be registered in zone {} except through SQL",
            self.zone.name
        )))
    }

    fn deregister_table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        Err(DataFusionError::NotImplemented(format!(
            "table \"{name}\" cannot be removed from zone {} except with DROP",
            self.zone.name
        )))
    }
}
