//! The lake: zones (`bronze`, `silver`, `gold`, and `public` for unqualified names), each a
//! folder of an object store (local disk or S3/MinIO) whose tables are found by listing it.

pub mod column_comments;
pub mod config;
pub mod delta;
pub mod discover;
pub mod error;
pub mod files;
pub mod fingerprint;
pub mod indexes;
pub mod paths;
pub mod schema;
pub mod store;
pub mod table_file;
pub mod views;
pub mod zone;

pub use config::{S3Options, TableDecl, ZoneRoots};
pub use error::{LakeError, LakeResult};
pub use schema::{LakeTable, TableKind, ZoneSchema};
pub use table_file::{ColumnDecl, columns_schema};
pub use zone::Zone;

/// The zones every lake has, in the order they are listed.
pub const ZONES: [&str; 4] = ["bronze", "silver", "gold", "public"];

/// Names inside a zone that are Aloe's bookkeeping, never tables.
pub const RESERVED_PREFIX: [char; 2] = ['_', '.'];

use std::collections::BTreeMap;
use std::sync::Arc;

use datafusion::catalog::Session;
use datafusion::execution::runtime_env::RuntimeEnv;

/// The lake: its zones as schemas, and the tables `aloe.toml` declares.
#[derive(Debug)]
pub struct Lake {
    schemas: Vec<Arc<ZoneSchema>>,
    declared: Vec<TableDecl>,
}

impl Lake {
    /// Opens every zone (creating local folders), without listing them yet.
    pub fn open(
        roots: &ZoneRoots,
        data_dir: &std::path::Path,
        s3: &S3Options,
        declared: Vec<TableDecl>,
    ) -> LakeResult<Self> {
        let schemas = ZONES
            .iter()
            .map(|name| {
                let default = data_dir.join(name);
                let root = roots
                    .get(name)
                    .map(str::to_owned)
                    .unwrap_or_else(|| default.to_string_lossy().into_owned());
                Ok(Arc::new(ZoneSchema::new(Arc::new(Zone::open(
                    name, &root, s3,
                )?))))
            })
            .collect::<LakeResult<Vec<_>>>()?;
        for decl in &declared {
            if !ZONES.contains(&decl.zone.as_str()) {
                return Err(LakeError::Config(format!(
                    "table {}: {}",
                    decl.name,
                    LakeError::NoZone(decl.zone.clone())
                )));
            }
        }
        Ok(Self { schemas, declared })
    }

    /// Makes the zones' stores known to DataFusion, so their URLs can be scanned.
    pub fn register_stores(&self, runtime: &RuntimeEnv) {
        for schema in &self.schemas {
            let zone = &schema.zone;
            runtime.register_object_store(&zone.store_url, zone.store.clone());
        }
    }

    /// The zones' schemas, in [`ZONES`] order.
    pub fn schemas(&self) -> &[Arc<ZoneSchema>] {
        &self.schemas
    }

    /// The schema of zone `name`.
    pub fn schema(&self, name: &str) -> Option<&Arc<ZoneSchema>> {
        self.schemas.iter().find(|s| s.zone.name == name)
    }

    /// Zone `name` (`bronze`, `silver`, `gold`, `public`), which every lake has.
    pub fn zone(&self, name: &str) -> Zone {
        let schema = self
            .schema(name)
            .unwrap_or_else(|| panic!("every lake has a {name} zone"));
        (*schema.zone).clone()
    }

    /// The zones, for resolving client-given paths.
    pub fn zones(&self) -> Vec<Zone> {
        self.schemas.iter().map(|s| (*s.zone).clone()).collect()
    }

    /// Lists zone `name` again and reopens its tables; views are left as they are. A table
    /// that cannot be opened is skipped with a warning (and keeps its previous version, if
    /// any), so one bad folder does not hide the rest of the zone.
    pub async fn refresh(&self, state: &dyn Session, name: &str) -> LakeResult<()> {
        let schema = self
            .schema(name)
            .ok_or_else(|| LakeError::NoZone(name.to_owned()))?;
        let zone = &schema.zone;
        let mut found: BTreeMap<String, discover::Found> = discover::list_zone(zone)
            .await?
            .into_iter()
            .map(|f| (f.name.clone(), f))
            .collect();
        for decl in self.declared.iter().filter(|d| d.zone == zone.name) {
            match discover::declared(zone, decl).await {
                Ok(f) => {
                    found.insert(f.name.clone(), f);
                }
                Err(e) => {
                    tracing::warn!(table = %decl.name, zone = %zone.name, error = %e, "declared table not served")
                }
            }
        }
        let previous: BTreeMap<String, LakeTable> = schema.entries().into_iter().collect();
        for (table_name, f) in &found {
            let old = previous.get(table_name);
            // Raw-file tables list their files at every scan; only their schema is fixed, so
            // a known one is kept rather than inferred again.
            if let (Some(old), discover::Source::Files(spec)) = (old, &f.source)
                && old.kind == TableKind::Files(spec.format)
                && old.url.as_ref() == Some(&f.url)
            {
                continue;
            }
            match discover::open(state, zone, f).await {
                Ok(table) => schema.put(table_name, table),
                Err(e) => {
                    tracing::warn!(table = %table_name, zone = %zone.name, error = %e, "table not served")
                }
            }
        }
        for (table_name, old) in previous {
            if !found.contains_key(&table_name) && !matches!(old.kind, TableKind::View(_)) {
                schema.remove(&table_name);
            }
        }
        Ok(())
    }

    /// Reopens one table after a write to it (a Delta table's snapshot is fixed when opened).
    pub async fn reload(&self, state: &dyn Session, zone: &str, table: &str) -> LakeResult<()> {
        let schema = self
            .schema(zone)
            .ok_or_else(|| LakeError::NoZone(zone.to_owned()))?;
        let Some(old) = schema.get(table) else {
            return self.refresh(state, zone).await;
        };
        if old.kind == TableKind::Delta
            && let Some(url) = &old.url
        {
            let provider = delta::open(&schema.zone, url).await?;
            schema.put(table, LakeTable { provider, ..old });
        }
        Ok(())
    }
}
