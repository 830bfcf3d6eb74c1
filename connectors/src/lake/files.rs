//! Tables made of raw files (JSON lines, CSV, Parquet) in a folder, read with DataFusion's
//! listing tables; hive partition folders (`dt=2025-01-01/`) become columns.

use std::collections::BTreeMap;
use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::catalog::{Session, TableProvider};
use datafusion::datasource::file_format::FileFormat;
use datafusion::datasource::file_format::csv::CsvFormat;
use datafusion::datasource::file_format::json::JsonFormat;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use url::Url;

use super::error::{LakeError, LakeResult};

/// A raw file format Aloe reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Apache Parquet.
    Parquet,
    /// Comma-separated values.
    Csv,
    /// Newline-delimited JSON.
    Json,
}

impl Format {
    /// The format a file extension stands for.
    pub fn from_extension(ext: &str) -> Option<Self> {
        match ext.to_ascii_lowercase().as_str() {
            "parquet" => Some(Self::Parquet),
            "csv" | "tsv" => Some(Self::Csv),
            "json" | "jsonl" | "ndjson" => Some(Self::Json),
            _ => None,
        }
    }

    /// The format a name in SQL or a table file stands for.
    pub fn from_name(name: &str) -> LakeResult<Self> {
        match name.to_ascii_lowercase().as_str() {
            "parquet" => Ok(Self::Parquet),
            "csv" => Ok(Self::Csv),
            "json" | "jsonl" | "ndjson" => Ok(Self::Json),
            other => Err(LakeError::Unsupported(format!(
                "unknown format \"{other}\": use parquet, csv, json or delta"
            ))),
        }
    }

    /// The usual extension of files in this format.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Parquet => "parquet",
            Self::Csv => "csv",
            Self::Json => "json",
        }
    }

    /// Its name in SQL (`FORMAT ...`, `STORED AS ...`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Parquet => "parquet",
            Self::Csv => "csv",
            Self::Json => "json",
        }
    }
}

/// How to read one raw-file table.
#[derive(Debug, Clone)]
pub struct FileSpec {
    /// The files' format.
    pub format: Format,
    /// Only files with this extension are read.
    pub extension: String,
    /// Format options (`delimiter`, `header`).
    pub options: BTreeMap<String, String>,
    /// Hive partition columns, in folder order.
    pub partition_columns: Vec<String>,
    /// A declared schema; inferred from the files when absent.
    pub schema: Option<SchemaRef>,
}

/// A listing table over `url` (a folder ending in `/`, or one file).
pub async fn listing_table(
    state: &dyn Session,
    url: &Url,
    spec: &FileSpec,
) -> LakeResult<Arc<dyn TableProvider>> {
    let format: Arc<dyn FileFormat> = match spec.format {
        Format::Parquet => Arc::new(ParquetFormat::new()),
        Format::Json => Arc::new(JsonFormat::default()),
        Format::Csv => {
            let mut csv = CsvFormat::default().with_has_header(
                spec.options
                    .get("header")
                    .is_none_or(|h| !matches!(h.as_str(), "false" | "no" | "0")),
            );
            let delimiter = spec.options.get("delimiter").map(String::as_str);
            let delimiter = match delimiter {
                Some("\\t" | "tab") => Some(b'\t'),
                Some(d) if d.len() == 1 => Some(d.as_bytes()[0]),
                Some(d) => {
                    return Err(LakeError::Unsupported(format!(
                        "CSV delimiter must be one character, not \"{d}\""
                    )));
                }
                None if spec.extension == "tsv" => Some(b'\t'),
                None => None,
            };
            if let Some(d) = delimiter {
                csv = csv.with_delimiter(d);
            }
            Arc::new(csv)
        }
    };
    let options = ListingOptions::new(format)
        .with_file_extension(format!(".{}", spec.extension))
        .with_table_partition_cols(
            spec.partition_columns
                .iter()
                .map(|c| (c.clone(), DataType::Utf8))
                .collect(),
        );
    let table_url = ListingTableUrl::parse(url.as_str())?;
    let schema = match &spec.schema {
        Some(s) => s.clone(),
        None => options.infer_schema(state, &table_url).await?,
    };
    let config = ListingTableConfig::new(table_url)
        .with_listing_options(options)
        .with_schema(schema);
    Ok(Arc::new(ListingTable::try_new(config)?))
}
