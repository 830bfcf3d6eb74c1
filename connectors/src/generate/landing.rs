//! The record of a landing of the generated business in bronze. It is written before the
//! first file ("started") and replaced after the last ("complete"), so that a start stopped
//! half-way (Ctrl-C, SIGTERM, SIGKILL, a full disk) is seen at the next start and the landing
//! is redone, instead of a few days of bronze being served as the whole period.

use bytes::Bytes;
use chrono::NaiveDate;
use futures::TryStreamExt;
use object_store::{ObjectStoreExt, PutPayload};
use serde::{Deserialize, Serialize};

use super::export::Part;
use crate::lake::zone::Zone;
use crate::lake::{LakeError, LakeResult};

/// The marker's file name under the bronze zone's root; reserved names (`_…`) are no table.
pub const MARKER: &str = "_aloe_landing.json";

/// How far a landing got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Files may be missing: the landing did not finish.
    Started,
    /// Every file was written.
    Complete,
}

/// What the marker says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Marker {
    /// How far the landing got.
    pub state: State,
    /// The first generated day.
    pub from: NaiveDate,
    /// The last generated day.
    pub to: NaiveDate,
    /// Files written, once complete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files: Option<u64>,
    /// Rows written, once complete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
}

/// The marker of `zone`, if a landing ever wrote one.
pub async fn read(zone: &Zone) -> LakeResult<Option<Marker>> {
    let path = zone.root().join(MARKER);
    let bytes = match zone.store.get(&path).await {
        Ok(got) => got.bytes().await?,
        Err(object_store::Error::NotFound { .. }) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    serde_json::from_slice(&bytes).map(Some).map_err(|e| {
        LakeError::Config(format!(
            "{}{MARKER} is not a landing marker ({e}); remove it to land the business again",
            zone.url
        ))
    })
}

/// Writes `marker`; the object store replaces the file whole, so a reader sees the old
/// state or the new.
pub async fn write(zone: &Zone, marker: &Marker) -> LakeResult<()> {
    let text = serde_json::to_vec_pretty(marker).expect("a marker serialises");
    zone.store
        .put(
            &zone.root().join(MARKER),
            PutPayload::from(Bytes::from(text)),
        )
        .await?;
    Ok(())
}

/// Removes every file of the generated business's bronze tables, so that a landing redone
/// after an interruption leaves exactly what an uninterrupted one would (a changed period
/// leaves no day of the old one behind). Only called when the marker says a landing of
/// ours started there, so nothing else is in those folders. Returns the files removed.
pub async fn clear(zone: &Zone) -> LakeResult<u64> {
    let mut removed = 0;
    for table in Part::ALL.iter().flat_map(|p| p.bronze_tables()) {
        let prefix = zone.root().join(table);
        let objects: Vec<_> = zone.store.list(Some(&prefix)).try_collect().await?;
        for object in objects {
            match zone.store.delete(&object.location).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => removed += 1,
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lake::config::S3Options;

    #[tokio::test]
    async fn a_marker_reads_back_as_written_and_clear_removes_only_the_business() {
        let dir = tempfile::tempdir().unwrap();
        let zone = Zone::open(
            "bronze",
            dir.path().to_str().unwrap(),
            &S3Options::default(),
        )
        .unwrap();
        assert_eq!(read(&zone).await.unwrap(), None);
        let day = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
        let started = Marker {
            state: State::Started,
            from: day,
            to: day,
            files: None,
            rows: None,
        };
        write(&zone, &started).await.unwrap();
        assert_eq!(read(&zone).await.unwrap(), Some(started));
        std::fs::create_dir_all(dir.path().join("crm_orders/dt=2025-01-01")).unwrap();
        std::fs::write(
            dir.path().join("crm_orders/dt=2025-01-01/orders.csv"),
            "a\n1\n",
        )
        .unwrap();
        std::fs::create_dir_all(dir.path().join("mine")).unwrap();
        std::fs::write(dir.path().join("mine/x.csv"), "a\n1\n").unwrap();
        assert_eq!(clear(&zone).await.unwrap(), 1);
        assert!(
            !dir.path()
                .join("crm_orders/dt=2025-01-01/orders.csv")
                .exists()
        );
        assert!(dir.path().join("mine/x.csv").exists());
        std::fs::write(dir.path().join(MARKER), "not json").unwrap();
        let e = read(&zone).await.unwrap_err().to_string();
        assert!(e.contains("is not a landing marker"), "{e}");
    }
}
