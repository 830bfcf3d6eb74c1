//! Column comments of a zone's tables, kept as one small JSON object per table under
//! `_aloe/columns/` (the model runner writes them from model headers): Delta's own column
//! metadata does not survive a `CREATE OR REPLACE TABLE ... AS` write, and raw files have none.

use std::collections::BTreeMap;

use futures::TryStreamExt;
use object_store::ObjectStoreExt;

use super::error::LakeResult;
use super::zone::{Zone, object_path};

fn folder(zone: &Zone) -> object_store::path::Path {
    object_path(&zone.join("_aloe/columns"))
}

/// Every table's column comments in `zone`: table → column → comment. An unreadable object is
/// skipped: comments are a courtesy to catalogs, never a reason to fail a query.
pub async fn read(zone: &Zone) -> LakeResult<BTreeMap<String, BTreeMap<String, String>>> {
    let mut out = BTreeMap::new();
    let objects: Vec<_> = zone.store.list(Some(&folder(zone))).try_collect().await?;
    for meta in objects {
        let Some(table) = meta
            .location
            .filename()
            .and_then(|f| f.strip_suffix(".json"))
            .map(str::to_owned)
        else {
            continue;
        };
        let Ok(got) = zone.store.get(&meta.location).await else {
            continue;
        };
        let Ok(bytes) = got.bytes().await else {
            continue;
        };
        if let Ok(comments) = serde_json::from_slice::<BTreeMap<String, String>>(&bytes) {
            out.insert(table, comments);
        }
    }
    Ok(out)
}

/// Replaces table `table`'s column comments in `zone` (none removes them).
pub async fn write(
    zone: &Zone,
    table: &str,
    comments: &BTreeMap<String, String>,
) -> LakeResult<()> {
    let path = folder(zone).join(format!("{table}.json"));
    if comments.is_empty() {
        match zone.store.delete(&path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => return Ok(()),
            Err(e) => return Err(e.into()),
        }
    }
    let bytes = serde_json::to_vec_pretty(comments).expect("a map of strings serializes");
    zone.store.put(&path, bytes.into()).await?;
    Ok(())
}
