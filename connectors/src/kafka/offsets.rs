//! Where an ingested topic stands: each partition's next offset is kept in the bronze Delta
//! table's own log, as an application transaction committed together with the rows. Rows and
//! offsets therefore move in one atomic step, which is what makes ingestion exactly-once.

use std::collections::BTreeMap;

use deltalake::DeltaTable;
use url::Url;

use super::error::KafkaResult;
use crate::lake::{LakeError, Zone, delta};

/// The bronze Delta table a topic is landed in.
#[derive(Debug, Clone)]
pub struct Bronze {
    /// The zone holding it.
    pub zone: Zone,
    /// Its folder.
    pub url: Url,
    /// The table name inside the zone.
    pub name: String,
}

/// The application id under which the next offset of `topic`'s `partition` is recorded.
pub fn app_id(topic: &str, partition: i32) -> String {
    format!("aloe-kafka:{topic}:{partition}")
}

impl Bronze {
    /// The table at its newest version, or None before the first commit.
    pub async fn load(&self) -> KafkaResult<Option<DeltaTable>> {
        Ok(delta::load(&self.zone, &self.url).await?)
    }
}

/// The next offset to read for each of `partitions`, as recorded in `table`'s version;
/// partitions never ingested are left out.
pub async fn next_offsets(
    table: &DeltaTable,
    topic: &str,
    partitions: &[i32],
) -> KafkaResult<BTreeMap<i32, i64>> {
    let snapshot = table.snapshot().map_err(LakeError::from)?;
    let store = table.log_store();
    let mut out = BTreeMap::new();
    for &p in partitions {
        if let Some(next) = snapshot
            .transaction_version(store.as_ref(), app_id(topic, p))
            .await
            .map_err(LakeError::from)?
        {
            out.insert(p, next);
        }
    }
    Ok(out)
}
