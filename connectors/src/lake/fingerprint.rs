//! What a raw-file table's partitions hold now, as one short fingerprint per partition folder
//! (`dt=2025-09-01/`): an incremental model compares them with the ones of its last build to
//! rebuild only the partitions whose files changed. A fingerprint covers each file's path,
//! size and modification time (or entity tag), so a rewritten, added or deleted file changes it
//! without a byte of data being read.

use std::collections::BTreeMap;

use futures::TryStreamExt;
use url::Url;

use super::error::LakeResult;
use super::zone::{Zone, object_path};

/// The partition folders of a table: the key (`dt`) and each value's fingerprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partitions {
    /// The partition key of the folders (`dt` in `dt=2025-09-01`).
    pub key: String,
    /// Fingerprint by partition value.
    pub fingerprints: BTreeMap<String, String>,
}

/// When anything under `url` (a table's data files or its Delta log) was last written.
pub async fn last_modified(
    zone: &Zone,
    url: &Url,
) -> LakeResult<Option<chrono::DateTime<chrono::Utc>>> {
    let root = object_path(url);
    let newest = zone
        .store
        .list(Some(&root))
        .try_fold(
            None,
            |newest: Option<chrono::DateTime<chrono::Utc>>, meta| async move {
                Ok(Some(
                    newest.map_or(meta.last_modified, |n| n.max(meta.last_modified)),
                ))
            },
        )
        .await?;
    Ok(newest)
}

/// The partitions of the file table at `url`, or None when its files are not in `key=value`
/// folders directly below it.
pub async fn partitions(zone: &Zone, url: &Url) -> LakeResult<Option<Partitions>> {
    let root = object_path(url);
    let depth = root.parts().count();
    let mut files: Vec<_> = zone.store.list(Some(&root)).try_collect().await?;
    files.sort_by(|a, b| a.location.cmp(&b.location));
    let mut key: Option<String> = None;
    let mut hashes: BTreeMap<String, u64> = BTreeMap::new();
    // The table's own files beside the partitions (its `_aloe_table.toml`) are part of every
    // partition's fingerprint: new column types change what every partition reads as.
    let (own, files): (Vec<_>, Vec<_>) = files.into_iter().partition(|meta| {
        let parts: Vec<_> = meta.location.parts().skip(depth).collect();
        parts.len() == 1 && parts[0].as_ref().starts_with('_')
    });
    let mut seed: u64 = 0xcbf2_9ce4_8422_2325;
    for meta in &own {
        fnv(&mut seed, meta);
    }
    for meta in files {
        let parts: Vec<_> = meta.location.parts().skip(depth).collect();
        let (Some(folder), true) = (parts.first(), parts.len() >= 2) else {
            return Ok(None);
        };
        let Some((k, v)) = folder.as_ref().split_once('=') else {
            return Ok(None);
        };
        if key.get_or_insert_with(|| k.to_owned()) != k {
            return Ok(None);
        }
        fnv(hashes.entry(v.to_owned()).or_insert(seed), &meta);
    }
    Ok(key.map(|key| Partitions {
        key,
        fingerprints: hashes
            .into_iter()
            .map(|(v, h)| (v, format!("{h:016x}")))
            .collect(),
    }))
}

/// Folds a file's path, size and version into `hash`.
fn fnv(hash: &mut u64, meta: &object_store::ObjectMeta) {
    let stamp = meta.e_tag.clone().unwrap_or_else(|| {
        meta.last_modified
            .timestamp_nanos_opt()
            .unwrap_or(0)
            .to_string()
    });
    for byte in meta
        .location
        .as_ref()
        .bytes()
        .chain(meta.size.to_le_bytes())
        .chain(stamp.bytes())
    {
        // FNV-1a: stable across releases and processes, unlike the standard hasher.
        *hash ^= u64::from(byte);
        *hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lake::config::S3Options;

    #[tokio::test]
    async fn a_changed_file_changes_only_its_partition() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("bronze");
        let table = root.join("events");
        for day in ["2025-09-01", "2025-09-02"] {
            let folder = table.join(format!("dt={day}"));
            std::fs::create_dir_all(&folder).unwrap();
            std::fs::write(folder.join("part.jsonl"), "{\"a\":1}\n").unwrap();
        }
        let zone = Zone::open("bronze", root.to_str().unwrap(), &S3Options::default()).unwrap();
        let url = zone.table_url("events");
        let before = partitions(&zone, &url).await.unwrap().unwrap();
        assert_eq!(before.key, "dt");
        assert_eq!(before.fingerprints.len(), 2);
        std::fs::write(
            table.join("dt=2025-09-02/part.jsonl"),
            "{\"a\":1}\n{\"a\":2}\n",
        )
        .unwrap();
        std::fs::create_dir_all(table.join("dt=2025-09-03")).unwrap();
        std::fs::write(table.join("dt=2025-09-03/part.jsonl"), "{}\n").unwrap();
        let after = partitions(&zone, &url).await.unwrap().unwrap();
        assert_eq!(
            before.fingerprints["2025-09-01"],
            after.fingerprints["2025-09-01"]
        );
        assert_ne!(
            before.fingerprints["2025-09-02"],
            after.fingerprints["2025-09-02"]
        );
        assert!(after.fingerprints.contains_key("2025-09-03"));
        // A table file beside the partitions keeps them comparable, and changing it changes
        // every partition.
        std::fs::write(table.join("_aloe_table.toml"), "format = 'json'\n").unwrap();
        let typed = partitions(&zone, &url).await.unwrap().unwrap();
        assert_eq!(typed.fingerprints.len(), 3);
        assert!(
            typed
                .fingerprints
                .iter()
                .all(|(day, f)| after.fingerprints[day] != *f)
        );
        std::fs::write(table.join("_aloe_table.toml"), "format = 'json'\n\n").unwrap();
        let retyped = partitions(&zone, &url).await.unwrap().unwrap();
        assert!(
            retyped
                .fingerprints
                .iter()
                .all(|(day, f)| typed.fingerprints[day] != *f)
        );
        // Files directly in the table folder: not partitioned.
        std::fs::write(table.join("loose.jsonl"), "{}\n").unwrap();
        assert!(partitions(&zone, &url).await.unwrap().is_none());
    }
}
