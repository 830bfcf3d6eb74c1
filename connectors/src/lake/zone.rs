//! One zone: a schema whose tables are folders under a root URL of an object store.

use std::sync::Arc;

use object_store::ObjectStore;
use object_store::path::Path;
use url::Url;

use super::config::S3Options;
use super::error::{LakeError, LakeResult};
use super::store::store_for;

/// A zone of the lake.
#[derive(Debug, Clone)]
pub struct Zone {
    /// Schema name: `bronze`, `silver`, `gold` or `public`.
    pub name: String,
    /// Root URL, always ending in `/`.
    pub url: Url,
    /// The store for the root URL's scheme and bucket.
    pub store: Arc<dyn ObjectStore>,
    /// The URL `store` serves (`file:///` or `s3://bucket/`), for registering with DataFusion.
    pub store_url: Url,
}

impl Zone {
    /// Opens the zone at `root`: a URL, or a local path (made absolute).
    pub fn open(name: &str, root: &str, s3: &S3Options) -> LakeResult<Self> {
        let mut url = if root.contains("://") {
            Url::parse(root).map_err(|e| LakeError::Config(format!("zone {name}: {root}: {e}")))?
        } else {
            let path = std::path::absolute(root)
                .map_err(|e| LakeError::Config(format!("zone {name}: {root}: {e}")))?;
            std::fs::create_dir_all(&path).map_err(|e| {
                LakeError::Config(format!(
                    "zone {name}: cannot create {}: {e}",
                    path.display()
                ))
            })?;
            Url::from_directory_path(&path)
                .map_err(|()| LakeError::Config(format!("zone {name}: {root} is not a path")))?
        };
        if !url.path().ends_with('/') {
            url.set_path(&format!("{}/", url.path()));
        }
        if url.scheme() == "file"
            && let Ok(path) = url.to_file_path()
        {
            std::fs::create_dir_all(&path).map_err(|e| {
                LakeError::Config(format!(
                    "zone {name}: cannot create {}: {e}",
                    path.display()
                ))
            })?;
        }
        let (store, store_url) = store_for(&url, s3)?;
        Ok(Self {
            name: name.to_owned(),
            url,
            store,
            store_url,
        })
    }

    /// The object path (inside `store`) of the zone's root.
    pub fn root(&self) -> Path {
        object_path(&self.url)
    }

    /// The URL of a table folder named `name` directly under the root.
    pub fn table_url(&self, name: &str) -> Url {
        let mut url = self.join(name);
        url.path_segments_mut()
            .expect("zone URLs have paths")
            .push("");
        url
    }

    /// The URL of a path relative to the root, already checked by [`super::paths`]; each
    /// segment is percent-encoded by the URL itself.
    pub fn join(&self, relative: &str) -> Url {
        let mut url = self.url.clone();
        {
            let mut segments = url.path_segments_mut().expect("zone URLs have paths");
            segments.pop_if_empty();
            for segment in relative.split('/') {
                segments.push(segment);
            }
        }
        url
    }

    /// The path of `url` relative to the root (decoded, `/`-separated, with a trailing `/`
    /// for folders), if it is inside the zone.
    pub fn relative(&self, url: &Url) -> Option<String> {
        let parts: Vec<String> = object_path(url)
            .prefix_match(&self.root())?
            .map(|p| p.as_ref().to_owned())
            .collect();
        let mut relative = parts.join("/");
        if url.path().ends_with('/') && !relative.is_empty() {
            relative.push('/');
        }
        Some(relative)
    }
}

/// The object path a URL points at inside its store.
pub fn object_path(url: &Url) -> Path {
    Path::from_url_path(url.path()).unwrap_or_else(|_| Path::from(url.path()))
}
