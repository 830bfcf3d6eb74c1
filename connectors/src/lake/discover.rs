//! Finding a zone's tables by listing it: a folder with `_delta_log/` is a Delta table; a
//! folder of `.json`/`.jsonl`/`.csv`/`.parquet` files (optionally in hive partition folders)
//! is a raw-file table; a data file directly under the root is a table named by its stem.
//! A table file (`_aloe_table.toml`) in the folder overrides what the files say. A folder
//! marked by a first Delta write that never committed (`delta::FIRST_WRITE`) is no table.

use object_store::ObjectStoreExt;
use std::collections::BTreeMap;

use datafusion::catalog::Session;
use futures::TryStreamExt;
use object_store::path::Path;
use url::Url;

use super::config::TableDecl;
use super::delta;
use super::error::{LakeError, LakeResult};
use super::files::{FileSpec, Format, listing_table};
use super::schema::{LakeTable, TableKind};
use super::table_file::{TABLE_FILE, TableFile};
use super::zone::{Zone, object_path};
use super::{RESERVED_PREFIX, paths};

/// What a table is read from.
#[derive(Debug, Clone)]
pub enum Source {
    /// A Delta table.
    Delta,
    /// Raw files.
    Files(FileSpec),
}

/// A table found in (or declared for) a zone, not yet opened.
#[derive(Debug, Clone)]
pub struct Found {
    /// Table name.
    pub name: String,
    /// Folder (ending in `/`) or file.
    pub url: Url,
    /// How to read it.
    pub source: Source,
    /// Its comment, from a table file or `aloe.toml`.
    pub description: Option<String>,
    /// Declared in `aloe.toml`.
    pub declared: bool,
}

/// Lists the zone's root and says what each entry is.
pub async fn list_zone(zone: &Zone) -> LakeResult<Vec<Found>> {
    let root = zone.root();
    let listing = zone.store.list_with_delimiter(Some(&root)).await?;
    let mut found = Vec::new();
    for dir in listing.common_prefixes {
        let Some(name) = dir.filename().map(str::to_owned) else {
            continue;
        };
        if name.starts_with(RESERVED_PREFIX) {
            continue;
        }
        let url = zone.table_url(&name);
        if let Some(f) = inspect_folder(zone, &name, &dir, url).await? {
            found.push(f);
        }
    }
    for object in listing.objects {
        let Some(file) = object.location.filename() else {
            continue;
        };
        if file.starts_with(RESERVED_PREFIX) {
            continue;
        }
        let Some((stem, ext)) = file.rsplit_once('.') else {
            continue;
        };
        let Some(format) = Format::from_extension(ext) else {
            continue;
        };
        found.push(Found {
            name: stem.to_owned(),
            url: zone.join(file),
            source: Source::Files(FileSpec {
                format,
                extension: ext.to_owned(),
                options: BTreeMap::new(),
                partition_columns: vec![],
                schema: None,
            }),
            description: None,
            declared: false,
        });
    }
    Ok(found)
}

async fn inspect_folder(
    zone: &Zone,
    name: &str,
    dir: &Path,
    url: Url,
) -> LakeResult<Option<Found>> {
    let table_file_path = dir.clone().join(TABLE_FILE);
    let table_file = match zone.store.get(&table_file_path).await {
        Ok(got) => Some(TableFile::parse(
            &String::from_utf8_lossy(&got.bytes().await?),
            table_file_path.as_ref(),
        )?),
        Err(object_store::Error::NotFound { .. }) => None,
        Err(e) => return Err(e.into()),
    };
    let tf = table_file.unwrap_or_default();
    let url = match &tf.location {
        Some(location) => {
            paths::resolve(
                std::slice::from_ref(zone),
                &format!("{}/{location}", zone.name),
            )?
            .1
        }
        None => url,
    };
    let source = source_for(zone, &url, &tf, table_file_path.as_ref()).await?;
    Ok(source.map(|source| Found {
        name: name.to_owned(),
        url,
        source,
        description: tf.description.clone(),
        declared: false,
    }))
}

/// What `url` holds, read as `tf` says; `None` for a folder with no data files.
async fn source_for(
    zone: &Zone,
    url: &Url,
    tf: &TableFile,
    origin: &str,
) -> LakeResult<Option<Source>> {
    let format = tf.format.as_deref().map(str::to_ascii_lowercase);
    if format.as_deref() == Some("delta")
        || (format.is_none() && url.path().ends_with('/') && delta::exists(zone, url).await?)
    {
        return Ok(Some(Source::Delta));
    }
    if format.is_none()
        && url.path().ends_with('/')
        && delta::unfinished_first_write(zone, url).await?
    {
        tracing::warn!(
            table = %url,
            "not served: its first write stopped before it committed; its files are not a table \
             (drop the folder, or write the table again)"
        );
        return Ok(None);
    }
    let (detected_ext, detected_partitions) = if url.path().ends_with('/') {
        survey(zone, &object_path(url)).await?
    } else {
        let ext = url.path().rsplit_once('.').map(|(_, e)| e.to_owned());
        (ext, vec![])
    };
    let extension = tf
        .options
        .get("extension")
        .cloned()
        .or_else(|| {
            format
                .as_deref()
                .and_then(|f| Format::from_name(f).ok())
                .filter(|f| detected_ext.as_deref().and_then(Format::from_extension) != Some(*f))
                .map(|f| f.extension().to_owned())
        })
        .or(detected_ext);
    let Some(extension) = extension else {
        return Ok(None);
    };
    let format = match &format {
        Some(f) => Format::from_name(f)?,
        None => Format::from_extension(&extension).ok_or_else(|| LakeError::BadFile {
            path: origin.to_owned(),
            message: format!("cannot tell the format of .{extension} files; set format"),
        })?,
    };
    Ok(Some(Source::Files(FileSpec {
        format,
        extension,
        options: tf.options.clone(),
        partition_columns: if tf.partition_columns.is_empty() {
            detected_partitions
        } else {
            tf.partition_columns.clone()
        },
        schema: tf.schema(origin)?,
    })))
}

/// The most common data-file extension under `dir`, and the hive partition columns of the
/// first such file (`k=v` folders between `dir` and the file).
async fn survey(zone: &Zone, dir: &Path) -> LakeResult<(Option<String>, Vec<String>)> {
    let objects: Vec<_> = zone.store.list(Some(dir)).try_collect().await?;
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut partitions = None;
    let depth = dir.parts().count();
    for object in &objects {
        let parts: Vec<_> = object.location.parts().skip(depth).collect();
        if parts
            .iter()
            .any(|p| p.as_ref().starts_with(RESERVED_PREFIX))
        {
            continue;
        }
        let Some(file) = parts.last() else { continue };
        let Some((_, ext)) = file.as_ref().rsplit_once('.') else {
            continue;
        };
        if Format::from_extension(ext).is_none() {
            continue;
        }
        *counts.entry(ext.to_ascii_lowercase()).or_default() += 1;
        if partitions.is_none() {
            partitions = Some(
                parts[..parts.len() - 1]
                    .iter()
                    .filter_map(|p| p.as_ref().split_once('=').map(|(k, _)| k.to_owned()))
                    .collect::<Vec<_>>(),
            );
        }
    }
    let ext = counts
        .into_iter()
        .max_by_key(|(_, n)| *n)
        .map(|(ext, _)| ext);
    Ok((ext, partitions.unwrap_or_default()))
}

/// A table declared in `aloe.toml`.
pub async fn declared(zone: &Zone, decl: &TableDecl) -> LakeResult<Found> {
    let relative = decl
        .uri
        .clone()
        .unwrap_or_else(|| format!("{}/", decl.name));
    let given = if relative.contains("://") {
        relative.clone()
    } else {
        format!("{}/{}", zone.name, relative.trim_start_matches('/'))
    };
    let (_, mut url) = paths::resolve(std::slice::from_ref(zone), &given)
        .map_err(|e| LakeError::Config(format!("table {}.{}: {e}", decl.zone, decl.name)))?;
    let is_file = url
        .path()
        .rsplit('/')
        .next()
        .is_some_and(|last| last.contains('.'));
    if !is_file && !url.path().ends_with('/') {
        url.set_path(&format!("{}/", url.path()));
    }
    let tf = TableFile {
        format: decl.format.clone(),
        options: decl.options.clone(),
        partition_columns: decl.partition_columns.clone(),
        columns: vec![],
        description: decl.description.clone(),
        location: None,
    };
    let origin = format!("aloe.toml table {}.{}", decl.zone, decl.name);
    let source = source_for(zone, &url, &tf, &origin)
        .await?
        .ok_or_else(|| LakeError::Config(format!("{origin}: no data files at {url}")))?;
    Ok(Found {
        name: decl.name.clone(),
        url,
        source,
        description: decl.description.clone(),
        declared: true,
    })
}

/// Opens a found table.
pub async fn open(state: &dyn Session, zone: &Zone, found: &Found) -> LakeResult<LakeTable> {
    let (provider, kind, description) = match &found.source {
        Source::Delta => (
            delta::open(zone, &found.url).await?,
            TableKind::Delta,
            match &found.description {
                Some(d) => Some(d.clone()),
                None => delta::description(zone, &found.url).await?,
            },
        ),
        Source::Files(spec) => (
            listing_table(state, &found.url, spec).await?,
            TableKind::Files(spec.format),
            found.description.clone(),
        ),
    };
    Ok(LakeTable {
        provider,
        kind,
        url: Some(found.url.clone()),
        description,
        declared: found.declared,
    })
}
