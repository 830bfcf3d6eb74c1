//! Kafka tables made with `CREATE EXTERNAL TABLE ... STORED AS KAFKA`, kept as TOML in the
//! bronze zone's `_kafka` folder (where their data lands) so they outlive a restart.

use bytes::Bytes;
use futures::TryStreamExt;
use object_store::{ObjectStoreExt, PutPayload};

use super::config::KafkaTableDecl;
use crate::lake::{LakeError, LakeResult, Zone};

/// The folder under the zone root that holds the declarations.
pub const KAFKA_DIR: &str = "_kafka";

/// Stores the declaration of `decl.name`.
pub async fn save(zone: &Zone, decl: &KafkaTableDecl) -> LakeResult<()> {
    let text = toml::to_string(decl).map_err(|e| LakeError::Unsupported(e.to_string()))?;
    let path = zone
        .root()
        .join(KAFKA_DIR)
        .join(format!("{}.toml", decl.name));
    zone.store
        .put(&path, PutPayload::from(Bytes::from(text)))
        .await?;
    Ok(())
}

/// Forgets table `name`.
pub async fn remove(zone: &Zone, name: &str) -> LakeResult<()> {
    let path = zone.root().join(KAFKA_DIR).join(format!("{name}.toml"));
    match zone.store.delete(&path).await {
        Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Every stored declaration, in name order.
pub async fn list(zone: &Zone) -> LakeResult<Vec<KafkaTableDecl>> {
    let dir = zone.root().join(KAFKA_DIR);
    let metas: Vec<_> = zone.store.list(Some(&dir)).try_collect().await?;
    let mut decls = Vec::new();
    for meta in metas {
        if !meta.location.as_ref().ends_with(".toml") {
            continue;
        }
        let bytes = zone.store.get(&meta.location).await?.bytes().await?;
        let decl =
            toml::from_str(&String::from_utf8_lossy(&bytes)).map_err(|e| LakeError::BadFile {
                path: meta.location.to_string(),
                message: e.to_string(),
            })?;
        decls.push(decl);
    }
    decls.sort_by(|a: &KafkaTableDecl, b| a.name.cmp(&b.name));
    Ok(decls)
}
