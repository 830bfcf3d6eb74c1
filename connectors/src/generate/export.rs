//! Writes the generated business into the lake's bronze zone in the shapes real exports have:
//! the CRM as CSV, the ad platforms as JSON (one object per line), web logs as JSON lines, one
//! `dt=YYYY-MM-DD` folder per day, so the lake serves each as a partitioned table.

use std::sync::Arc;

use arrow::array::RecordBatch;
use bytes::Bytes;
use chrono::NaiveDate;
use datafusion::prelude::SessionContext;
use object_store::{ObjectStoreExt, PutPayload};

use super::business::Business;
use crate::lake::table_file::{self, TABLE_FILE};
use crate::lake::zone::{Zone, object_path};
use crate::lake::{LakeError, LakeResult};

/// A part of the business, as `aloe generate` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// Customers, orders, order lines, products and promotions (CSV).
    Crm,
    /// Campaigns, daily delivery, influencers and their posts (JSON).
    Advertising,
    /// Web events (JSON lines).
    Web,
}

/// File format of an export.
#[derive(Debug, Clone, Copy)]
enum Shape {
    Csv,
    Json,
    JsonLines,
}

/// (generated table, bronze table, shape, date column if daily)
type Export = (&'static str, &'static str, Shape, Option<&'static str>);

impl Part {
    /// Every part.
    pub const ALL: [Part; 3] = [Part::Crm, Part::Advertising, Part::Web];

    /// The bronze tables this part writes.
    pub fn bronze_tables(self) -> impl Iterator<Item = &'static str> {
        self.exports().iter().map(|e| e.1)
    }

    fn exports(self) -> &'static [Export] {
        match self {
            Part::Crm => &[
                ("products", "crm_products", Shape::Csv, None),
                ("promotions", "crm_promotions", Shape::Csv, None),
                (
                    "customers",
                    "crm_customers",
                    Shape::Csv,
                    Some("signup_date"),
                ),
                ("orders", "crm_orders", Shape::Csv, Some("order_date")),
                (
                    "order_items",
                    "crm_order_items",
                    Shape::Csv,
                    Some("order_date"),
                ),
            ],
            Part::Advertising => &[
                ("campaigns", "ads_campaigns", Shape::Json, None),
                ("influencers", "influencers", Shape::Json, None),
                ("ad_daily", "ads_daily", Shape::Json, Some("day")),
                (
                    "influencer_posts",
                    "influencer_posts",
                    Shape::Json,
                    Some("day"),
                ),
            ],
            Part::Web => &[(
                "web_events",
                "web_events",
                Shape::JsonLines,
                Some("event_date"),
            )],
        }
    }
}

/// What an export wrote.
#[derive(Debug, Default, Clone, Copy)]
pub struct Written {
    /// Files.
    pub files: u64,
    /// Rows.
    pub rows: u64,
    /// Bytes.
    pub bytes: u64,
}

impl std::ops::AddAssign for Written {
    fn add_assign(&mut self, o: Self) {
        self.files += o.files;
        self.rows += o.rows;
        self.bytes += o.bytes;
    }
}

/// Writes the generated business to a zone: tables without days once, daily tables a file
/// per day. Object stores write each file whole, so a reader never sees half of one.
pub struct Exporter {
    ctx: SessionContext,
    zone: Zone,
    start: NaiveDate,
}

impl Exporter {
    /// An exporter of `business` into `zone`.
    pub fn new(business: &Arc<Business>, zone: Zone) -> LakeResult<Self> {
        let ctx = SessionContext::new();
        for (name, table) in business.tables()? {
            ctx.register_table(name, table)?;
        }
        Ok(Self {
            ctx,
            zone,
            start: business.config.start_date,
        })
    }

    /// Writes the tables of `part` that do not belong to days, and every table's table file.
    pub async fn write_fixed(&self, part: Part) -> LakeResult<Written> {
        let mut written = Written::default();
        for (table, target, shape, date) in part.exports() {
            written += self.put_table_file(table, target).await?;
            if date.is_none() {
                let batches = self.query(&format!("SELECT * FROM {table}")).await?;
                written += self
                    .put(&format!("{target}/{target}"), *shape, &batches)
                    .await?;
            }
        }
        // Customers who signed up before the period: one snapshot folder dated the day before.
        if part == Part::Crm {
            let before = self.start.pred_opt().unwrap_or(self.start);
            let batches = self
                .query(&format!(
                    "SELECT * FROM customers WHERE signup_date < DATE '{}'",
                    self.start
                ))
                .await?;
            written += self
                .put(
                    &format!("crm_customers/dt={before}/customers"),
                    Shape::Csv,
                    &batches,
                )
                .await?;
        }
        Ok(written)
    }

    /// Writes the daily tables of `part` for `day`.
    pub async fn write_day(&self, part: Part, day: NaiveDate) -> LakeResult<Written> {
        let mut written = Written::default();
        for (table, target, shape, date) in part.exports() {
            let Some(column) = date else { continue };
            let batches = self
                .query(&format!(
                    "SELECT * FROM {table} WHERE {column} = DATE '{day}'"
                ))
                .await?;
            written += self
                .put(&format!("{target}/dt={day}/{table}"), *shape, &batches)
                .await?;
        }
        Ok(written)
    }

    /// Declares a bronze table's column types in its table file: CSV and JSON carry no types,
    /// and inferred from the text a price would be double precision, not numeric(12,2).
    async fn put_table_file(&self, table: &str, target: &str) -> LakeResult<Written> {
        let schema = self.ctx.table_provider(table).await?.schema();
        let file = table_file::declaring(&schema, None).ok_or_else(|| {
            LakeError::Unsupported(format!("table {table} has a type a table file cannot name"))
        })?;
        let text = toml::to_string(&file).map_err(|e| LakeError::BadFile {
            path: format!("{target}/{TABLE_FILE}"),
            message: e.to_string(),
        })?;
        let url = self.zone.join(&format!("{target}/{TABLE_FILE}"));
        let size = text.len() as u64;
        self.zone
            .store
            .put(&object_path(&url), PutPayload::from(Bytes::from(text)))
            .await?;
        Ok(Written {
            files: 1,
            rows: 0,
            bytes: size,
        })
    }

    async fn query(&self, sql: &str) -> LakeResult<Vec<RecordBatch>> {
        Ok(self.ctx.sql(sql).await?.collect().await?)
    }

    /// Writes one file; a table with no rows that day gets no file (an empty CSV has no
    /// header to read a schema from).
    async fn put(&self, stem: &str, shape: Shape, batches: &[RecordBatch]) -> LakeResult<Written> {
        let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
        if rows == 0 {
            return Ok(Written::default());
        }
        let (bytes, extension) = encode(shape, batches)?;
        let url = self.zone.join(&format!("{stem}.{extension}"));
        let size = bytes.len() as u64;
        self.zone
            .store
            .put(&object_path(&url), PutPayload::from(Bytes::from(bytes)))
            .await?;
        Ok(Written {
            files: 1,
            rows: rows as u64,
            bytes: size,
        })
    }
}

fn encode(shape: Shape, batches: &[RecordBatch]) -> LakeResult<(Vec<u8>, &'static str)> {
    let bad = |e: arrow::error::ArrowError| LakeError::DataFusion(e.into());
    let mut out = Vec::new();
    let extension = match shape {
        Shape::Csv => {
            let mut w = arrow_csv::WriterBuilder::new()
                .with_header(true)
                .build(&mut out);
            for b in batches {
                w.write(b).map_err(bad)?;
            }
            "csv"
        }
        Shape::Json | Shape::JsonLines => {
            let mut w = arrow_json::LineDelimitedWriter::new(&mut out);
            for b in batches {
                w.write(b).map_err(bad)?;
            }
            w.finish().map_err(bad)?;
            if matches!(shape, Shape::Json) {
                "json"
            } else {
                "jsonl"
            }
        }
    };
    Ok((out, extension))
}
