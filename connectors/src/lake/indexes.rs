//! Indexes named by `CREATE INDEX`: Aloe scans columnar data instead, but records them so
//! migration scripts run and catalogs list them. Kept in a zone's `_indexes` folder.

use bytes::Bytes;
use futures::TryStreamExt;
use object_store::ObjectStoreExt;
use object_store::PutPayload;
use serde::{Deserialize, Serialize};

use super::error::{LakeError, LakeResult};
use super::zone::Zone;

/// The folder under a zone's root that holds index records.
pub const INDEXES_DIR: &str = "_indexes";

/// One recorded index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexDecl {
    /// Index name.
    pub name: String,
    /// The table it is on (in the same zone).
    pub table: String,
    /// Its columns, in order.
    pub columns: Vec<String>,
    /// Declared UNIQUE (not enforced).
    pub unique: bool,
}

/// Records an index.
pub async fn save(zone: &Zone, index: &IndexDecl) -> LakeResult<()> {
    let path = zone
        .root()
        .join(INDEXES_DIR)
        .join(format!("{}.json", index.name));
    let json = serde_json::to_vec(index).map_err(|e| LakeError::BadFile {
        path: path.to_string(),
        message: e.to_string(),
    })?;
    zone.store
        .put(&path, PutPayload::from(Bytes::from(json)))
        .await?;
    Ok(())
}

/// Forgets an index; whether it was there.
pub async fn remove(zone: &Zone, name: &str) -> LakeResult<bool> {
    let path = zone.root().join(INDEXES_DIR).join(format!("{name}.json"));
    match zone.store.delete(&path).await {
        Ok(()) => Ok(true),
        Err(object_store::Error::NotFound { .. }) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Every index of the zone.
pub async fn list(zone: &Zone) -> LakeResult<Vec<IndexDecl>> {
    let dir = zone.root().join(INDEXES_DIR);
    let metas: Vec<_> = zone.store.list(Some(&dir)).try_collect().await?;
    let mut out = Vec::new();
    for meta in metas {
        let bytes = zone.store.get(&meta.location).await?.bytes().await?;
        let index: IndexDecl = serde_json::from_slice(&bytes).map_err(|e| LakeError::BadFile {
            path: meta.location.to_string(),
            message: e.to_string(),
        })?;
        out.push(index);
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}
