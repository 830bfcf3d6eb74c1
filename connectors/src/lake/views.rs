//! View definitions, kept as SQL text in a zone's `_views` folder so they outlive a restart.

use bytes::Bytes;
use futures::TryStreamExt;
use object_store::ObjectStoreExt;
use object_store::PutPayload;

use super::error::LakeResult;
use super::zone::Zone;

/// The folder under a zone's root that holds view definitions.
pub const VIEWS_DIR: &str = "_views";

/// Stores (or replaces) the definition of view `name`.
pub async fn save(zone: &Zone, name: &str, sql: &str) -> LakeResult<()> {
    let path = zone.root().join(VIEWS_DIR).join(format!("{name}.sql"));
    zone.store
        .put(&path, PutPayload::from(Bytes::from(sql.to_owned())))
        .await?;
    Ok(())
}

/// Forgets view `name`.
pub async fn remove(zone: &Zone, name: &str) -> LakeResult<()> {
    let path = zone.root().join(VIEWS_DIR).join(format!("{name}.sql"));
    match zone.store.delete(&path).await {
        Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Every view of the zone: name and SQL, in name order.
pub async fn list(zone: &Zone) -> LakeResult<Vec<(String, String)>> {
    let dir = zone.root().join(VIEWS_DIR);
    let metas: Vec<_> = zone.store.list(Some(&dir)).try_collect().await?;
    let mut views = Vec::new();
    for meta in metas {
        let Some(name) = meta
            .location
            .filename()
            .and_then(|f| f.strip_suffix(".sql"))
            .map(str::to_owned)
        else {
            continue;
        };
        let bytes = zone.store.get(&meta.location).await?.bytes().await?;
        views.push((name, String::from_utf8_lossy(&bytes).into_owned()));
    }
    views.sort();
    Ok(views)
}
