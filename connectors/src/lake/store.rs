//! Object stores for zone URLs: the local file system for `file://`, S3 for `s3://`. Delta Lake
//! is handed these same stores, so no second S3 client (and no AWS SDK) is built.

use std::sync::{Arc, Once};

use object_store::ObjectStore;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use url::Url;

use super::config::S3Options;
use super::error::{LakeError, LakeResult};

/// The store serving `url`'s scheme and authority (a bucket), and the URL of that root.
pub fn store_for(url: &Url, s3: &S3Options) -> LakeResult<(Arc<dyn ObjectStore>, Url)> {
    match url.scheme() {
        "file" => Ok((
            Arc::new(LocalFileSystem::new()),
            Url::parse("file:///").expect("static URL"),
        )),
        "s3" => {
            let bucket = url
                .host_str()
                .ok_or_else(|| LakeError::Config(format!("{url}: an s3 URL needs a bucket")))?;
            let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
            if let Some(endpoint) = &s3.endpoint {
                builder = builder.with_endpoint(endpoint.trim_end_matches('/'));
            }
            if let Some(region) = &s3.region {
                builder = builder.with_region(region);
            }
            if let Some(key) = &s3.access_key_id {
                builder = builder.with_access_key_id(key);
            }
            if let Some(secret) = &s3.secret_access_key {
                builder = builder.with_secret_access_key(secret);
            }
            if let Some(token) = &s3.session_token {
                builder = builder.with_token(token);
            }
            if let Some(allow) = s3.allow_http {
                builder = builder.with_allow_http(allow);
            }
            let store = builder
                .build()
                .map_err(|e| LakeError::Config(format!("cannot reach {url}: {e}")))?;
            register_delta_s3();
            Ok((
                Arc::new(store),
                Url::parse(&format!("s3://{bucket}/")).expect("bucket URL"),
            ))
        }
        other => Err(LakeError::Config(format!(
            "{url}: zones live on file:// or s3:// URLs, not {other}://"
        ))),
    }
}

/// Lets Delta Lake commit to `s3://` tables through the store Aloe hands it. Delta's default
/// log store commits with a conditional put (`If-None-Match: *`), which MinIO and S3 honour,
/// so no lock table is needed for Aloe's single writer.
fn register_delta_s3() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        deltalake::logstore::logstore_factories().insert(
            Url::parse("s3://").expect("static URL"),
            Arc::new(DefaultLogStores),
        );
    });
}

struct DefaultLogStores;

impl deltalake::logstore::LogStoreFactory for DefaultLogStores {
    fn with_options(
        &self,
        prefixed_store: deltalake::logstore::ObjectStoreRef,
        root_store: deltalake::logstore::ObjectStoreRef,
        location: &Url,
        options: &deltalake::logstore::StorageConfig,
    ) -> deltalake::DeltaResult<Arc<dyn deltalake::logstore::LogStore>> {
        Ok(deltalake::logstore::default_logstore(
            prefixed_store,
            root_store,
            location,
            options,
        ))
    }
}
