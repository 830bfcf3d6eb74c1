//! The lake's part of `aloe.toml`: where each zone lives, how to reach S3, and tables declared
//! by hand.

use std::collections::BTreeMap;

use serde::Deserialize;

/// Where each zone's root is: a `file://` or `s3://bucket/prefix` URL, or a local path.
/// A zone left out lives in `<data_dir>/<zone>` on local disk.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ZoneRoots {
    /// Raw data as landed.
    pub bronze: Option<String>,
    /// Cleaned, conformed tables.
    pub silver: Option<String>,
    /// Aggregates for dashboards.
    pub gold: Option<String>,
    /// Tables created without a schema name.
    pub public: Option<String>,
}

impl ZoneRoots {
    /// The configured root of `zone`, if any.
    pub fn get(&self, zone: &str) -> Option<&str> {
        match zone {
            "bronze" => self.bronze.as_deref(),
            "silver" => self.silver.as_deref(),
            "gold" => self.gold.as_deref(),
            "public" => self.public.as_deref(),
            _ => None,
        }
    }
}

/// How to reach an S3-compatible store (MinIO, AWS). Unset keys fall back to the usual
/// `AWS_*` environment variables.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct S3Options {
    /// Endpoint URL, e.g. `http://minio:9000`; unset means AWS.
    pub endpoint: Option<String>,
    /// Region; MinIO accepts any.
    pub region: Option<String>,
    /// Access key id.
    pub access_key_id: Option<String>,
    /// Secret access key.
    pub secret_access_key: Option<String>,
    /// Session token for temporary credentials.
    pub session_token: Option<String>,
    /// Allow plain `http://` endpoints (MinIO on a private network).
    pub allow_http: Option<bool>,
}

/// A table declared in `aloe.toml` rather than found by listing.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableDecl {
    /// Table name inside its zone.
    pub name: String,
    /// The zone (schema) it belongs to.
    pub zone: String,
    /// Folder or file, relative to the zone root; defaults to the table name.
    pub uri: Option<String>,
    /// `delta`, `parquet`, `csv` or `json`; found from the files when unset.
    pub format: Option<String>,
    /// Format options: `delimiter`, `header`, `extension`.
    #[serde(default)]
    pub options: BTreeMap<String, String>,
    /// Hive partition columns (`dt=2025-01-01/` folders), in folder order.
    #[serde(default)]
    pub partition_columns: Vec<String>,
    /// Shown as the table's comment in pg_catalog and information_schema.
    pub description: Option<String>,
}
