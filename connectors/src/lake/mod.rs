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

use object_store::ObjectStoreExt;
use zone::object_path;

use datafusion::catalog::Session;
use datafusion::execution::runtime_env::RuntimeEnv;

/// Where the schemas made by `CREATE SCHEMA` live, under the public zone's root: one folder
/// each, which a `_` name keeps from being listed as a table of public.
pub const USER_SCHEMAS: &str = "_schemas";

/// The file that makes a user schema's folder exist on stores without folders (S3).
const SCHEMA_MARKER: &str = "_aloe_schema.json";

/// The lake: its zones as schemas (the four fixed ones, then those `CREATE SCHEMA` made), and
/// the tables `aloe.toml` declares.
#[derive(Debug)]
pub struct Lake {
    schemas: std::sync::RwLock<Vec<Arc<ZoneSchema>>>,
    declared: Vec<TableDecl>,
    s3: S3Options,
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
        Ok(Self {
            schemas: std::sync::RwLock::new(schemas),
            declared,
            s3: s3.clone(),
        })
    }

    /// Finds the schemas `CREATE SCHEMA` made earlier and adds them, returning them.
    pub async fn open_user_schemas(&self) -> LakeResult<Vec<Arc<ZoneSchema>>> {
        use futures::TryStreamExt;
        let public = self.zone("public");
        let root = object_path(&public.join(USER_SCHEMAS));
        let listing = public.store.list_with_delimiter(Some(&root)).await;
        let folders = match listing {
            Ok(l) => l.common_prefixes,
            Err(object_store::Error::NotFound { .. }) => Vec::new(),
            Err(e) => return Err(e.into()),
        };
        let mut opened = Vec::new();
        for folder in folders {
            let Some(name) = folder.filename().map(str::to_owned) else {
                continue;
            };
            let marker = folder.clone().join(SCHEMA_MARKER);
            let has_marker = public
                .store
                .list(Some(&folder))
                .try_any(|m| std::future::ready(m.location == marker))
                .await?;
            if !has_marker || self.schema(&name).is_some() || schema_name_problem(&name).is_some() {
                continue;
            }
            opened.push(self.add_user_schema(&name)?);
        }
        Ok(opened)
    }

    /// Makes user schema `name`: its marker is written first, so it exists after a restart.
    pub async fn create_schema(&self, name: &str) -> LakeResult<Arc<ZoneSchema>> {
        if let Some(problem) = schema_name_problem(name) {
            return Err(LakeError::OutsideLake(problem));
        }
        if self.schema(name).is_some() {
            return Err(LakeError::SchemaExists(name.to_owned()));
        }
        let public = self.zone("public");
        let marker = object_path(&public.join(&format!("{USER_SCHEMAS}/{name}/{SCHEMA_MARKER}")));
        let text = format!("{{\"schema\": {name:?}}}\n");
        public
            .store
            .put(&marker, object_store::PutPayload::from(text.into_bytes()))
            .await?;
        self.add_user_schema(name)
    }

    /// Removes user schema `name` and everything in it; the marker goes last, so a drop
    /// stopped half-way leaves a schema that still lists what is left.
    pub async fn drop_schema(&self, name: &str) -> LakeResult<()> {
        use futures::TryStreamExt;
        if ZONES.contains(&name) {
            return Err(LakeError::Unsupported(format!(
                "schema \"{name}\" is one of the lake's zones and cannot be dropped"
            )));
        }
        let schema = self
            .schema(name)
            .ok_or_else(|| LakeError::NoSchema(name.to_owned()))?;
        let zone = &schema.zone;
        let root = zone.root();
        let marker = root.clone().join(SCHEMA_MARKER);
        let objects: Vec<_> = zone.store.list(Some(&root)).try_collect().await?;
        for object in objects.iter().filter(|o| o.location != marker) {
            match zone.store.delete(&object.location).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        match zone.store.delete(&marker).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        // A local store leaves the emptied folders behind; S3 has none.
        if zone.url.scheme() == "file"
            && let Ok(folder) = zone.url.to_file_path()
            && let Err(e) = std::fs::remove_dir_all(&folder)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(folder = %folder.display(), error = %e, "dropped schema's folder left behind");
        }
        self.schemas
            .write()
            .expect("schema list lock")
            .retain(|s| s.zone.name != name);
        Ok(())
    }

    /// Adds user schema `name` (its folder under public) to the list.
    fn add_user_schema(&self, name: &str) -> LakeResult<Arc<ZoneSchema>> {
        let public = self.zone("public");
        let mut url = public.join(&format!("{USER_SCHEMAS}/{name}"));
        url.path_segments_mut()
            .expect("zone URLs have paths")
            .push("");
        let schema = Arc::new(ZoneSchema::new(Arc::new(Zone::open(
            name,
            url.as_str(),
            &self.s3,
        )?)));
        self.schemas
            .write()
            .expect("schema list lock")
            .push(schema.clone());
        Ok(schema)
    }

    /// Makes the zones' stores known to DataFusion, so their URLs can be scanned.
    pub fn register_stores(&self, runtime: &RuntimeEnv) {
        for schema in self.schemas() {
            let zone = &schema.zone;
            runtime.register_object_store(&zone.store_url, zone.store.clone());
        }
    }

    /// The zones' schemas, in [`ZONES`] order, then the user schemas in creation order.
    pub fn schemas(&self) -> Vec<Arc<ZoneSchema>> {
        self.schemas.read().expect("schema list lock").clone()
    }

    /// The schema of zone `name`.
    pub fn schema(&self, name: &str) -> Option<Arc<ZoneSchema>> {
        self.schemas
            .read()
            .expect("schema list lock")
            .iter()
            .find(|s| s.zone.name == name)
            .cloned()
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
        self.schemas().iter().map(|s| (*s.zone).clone()).collect()
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

/// Why `name` cannot be a user schema's folder, if it cannot: it must be one plain path
/// segment that is not Aloe's bookkeeping.
fn schema_name_problem(name: &str) -> Option<String> {
    let bad = name.is_empty()
        || name.starts_with(RESERVED_PREFIX)
        || name.contains(['/', '\\', '\0'])
        || name.len() > 63;
    bad.then(|| {
        format!(
            "schema name \"{name}\" cannot be a folder of the lake (one path segment of at most \
             63 characters, not starting with _ or .)"
        )
    })
}
