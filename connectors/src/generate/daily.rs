//! Generated tables whose rows belong to days (ad delivery, posts, web events, orders). A scan
//! generates only the days its date filters allow, spread over parallel partitions, one day
//! at a time as the rows are read: nothing is held in memory beyond the day being produced.

use std::fmt::Debug;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate};
use datafusion::catalog::streaming::StreamingTable;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::ScalarValue;
use datafusion::datasource::TableType;
use datafusion::error::Result;
use datafusion::execution::TaskContext;
use datafusion::logical_expr::{BinaryExpr, Expr, Operator, TableProviderFilterPushDown};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::SendableRecordBatchStream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::streaming::PartitionStream;
use futures::StreamExt;

use super::config::GenerateConfig;

/// A table whose rows are generated a day at a time.
pub trait DailyRows: Debug + Send + Sync + 'static {
    /// The table's columns.
    fn schema(&self) -> SchemaRef;
    /// The column that holds each row's day (a date or a timestamp).
    fn date_column(&self) -> &'static str;
    /// A timestamp column whose value always falls on the row's day (UTC), so filters on it
    /// (Grafana's time ranges) also limit the days generated.
    fn time_column(&self) -> Option<&'static str> {
        None
    }
    /// Every row of `day`.
    fn day(&self, day: NaiveDate) -> Result<RecordBatch>;
    /// Rows dated before the period (customers who signed up earlier), if the table has any.
    fn before_period(&self) -> Result<Option<RecordBatch>> {
        Ok(None)
    }
}

/// A [`DailyRows`] as a DataFusion table over the configured period.
#[derive(Debug)]
pub struct Daily<T> {
    rows: Arc<T>,
    config: GenerateConfig,
    generated: Arc<AtomicU64>,
}

impl<T: DailyRows> Daily<T> {
    /// The table of `rows` over `config`'s period.
    pub fn new(rows: T, config: GenerateConfig) -> Self {
        Self {
            rows: Arc::new(rows),
            config,
            generated: Arc::default(),
        }
    }

    /// How many days scans have generated so far (a day read twice counts twice).
    pub fn days_generated(&self) -> u64 {
        self.generated.load(Ordering::Relaxed)
    }

    /// Day bounds `filter` implies through the date column or the time column.
    fn bounds(&self, filter: &Expr) -> Vec<(Bound, NaiveDate)> {
        let mut b = bounds(filter, self.rows.date_column());
        if let Some(time) = self.rows.time_column() {
            b.extend(bounds(filter, time));
        }
        b
    }

    /// The days a scan with `filters` must generate, and whether rows dated before the period
    /// may match.
    fn days(&self, filters: &[Expr]) -> (Vec<NaiveDate>, bool) {
        let (mut low, mut high) = (NaiveDate::MIN, self.config.end_date);
        for filter in filters {
            for (op, day) in self.bounds(filter) {
                match op {
                    Bound::AtLeast => low = low.max(day),
                    Bound::AtMost => high = high.min(day),
                }
            }
        }
        let before = low < self.config.start_date && high >= low;
        let low = low.max(self.config.start_date);
        (low.iter_days().take_while(|d| *d <= high).collect(), before)
    }
}

#[derive(Debug, Clone, Copy)]
enum Bound {
    AtLeast,
    AtMost,
}

/// Day bounds implied by `filter` on `column`. Bounds are inclusive and may be looser than the
/// filter (a timestamp bound rounds outwards to its day); DataFusion applies the filter itself
/// again, since pushdown is declared inexact.
fn bounds(filter: &Expr, column: &str) -> Vec<(Bound, NaiveDate)> {
    match filter {
        Expr::BinaryExpr(BinaryExpr { left, op, right }) if *op == Operator::And => {
            let mut b = bounds(left, column);
            b.extend(bounds(right, column));
            b
        }
        Expr::BinaryExpr(BinaryExpr { left, op, right }) => {
            let (op, value) = match (left.as_ref(), right.as_ref()) {
                (Expr::Column(c), Expr::Literal(v, _)) if c.name == column => (*op, v),
                (Expr::Literal(v, _), Expr::Column(c)) if c.name == column => match op.swap() {
                    Some(op) => (op, v),
                    None => return vec![],
                },
                _ => return vec![],
            };
            let Some(day) = literal_day(value) else {
                return vec![];
            };
            match op {
                Operator::Eq => vec![(Bound::AtLeast, day), (Bound::AtMost, day)],
                Operator::Gt | Operator::GtEq => vec![(Bound::AtLeast, day)],
                Operator::Lt | Operator::LtEq => vec![(Bound::AtMost, day)],
                _ => vec![],
            }
        }
        Expr::Between(b) if !b.negated => {
            match (b.expr.as_ref(), b.low.as_ref(), b.high.as_ref()) {
                (Expr::Column(c), Expr::Literal(lo, _), Expr::Literal(hi, _))
                    if c.name == column =>
                {
                    let mut out = vec![];
                    if let Some(d) = literal_day(lo) {
                        out.push((Bound::AtLeast, d));
                    }
                    if let Some(d) = literal_day(hi) {
                        out.push((Bound::AtMost, d));
                    }
                    out
                }
                _ => vec![],
            }
        }
        _ => vec![],
    }
}

/// The day a date or timestamp literal falls on (UTC).
fn literal_day(value: &ScalarValue) -> Option<NaiveDate> {
    let from_micros = |us: i64| DateTime::from_timestamp_micros(us).map(|t| t.date_naive());
    match value {
        ScalarValue::Date32(Some(d)) => NaiveDate::from_ymd_opt(1970, 1, 1)?
            .checked_add_signed(chrono::Duration::days(i64::from(*d))),
        ScalarValue::TimestampSecond(Some(s), _) => from_micros(s.checked_mul(1_000_000)?),
        ScalarValue::TimestampMillisecond(Some(ms), _) => from_micros(ms.checked_mul(1_000)?),
        ScalarValue::TimestampMicrosecond(Some(us), _) => from_micros(*us),
        ScalarValue::TimestampNanosecond(Some(ns), _) => from_micros(ns / 1_000),
        ScalarValue::Utf8(Some(s)) | ScalarValue::Utf8View(Some(s)) => {
            NaiveDate::parse_from_str(s.get(..10)?, "%Y-%m-%d").ok()
        }
        _ => None,
    }
}

/// One partition's share of the days.
#[derive(Debug)]
struct DaysPartition<T> {
    rows: Arc<T>,
    schema: SchemaRef,
    days: Vec<NaiveDate>,
    /// This partition also produces the rows dated before the period.
    before: bool,
    generated: Arc<AtomicU64>,
}

impl<T: DailyRows> PartitionStream for DaysPartition<T> {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, _ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        let rows = self.rows.clone();
        let generated = self.generated.clone();
        let early = self.rows.clone();
        let before = futures::stream::iter(self.before.then_some(())).filter_map(move |()| {
            let batch = early.before_period().transpose();
            async move { batch }
        });
        let batches = before.chain(futures::stream::iter(self.days.clone()).map(move |day| {
            generated.fetch_add(1, Ordering::Relaxed);
            rows.day(day)
        }));
        Box::pin(RecordBatchStreamAdapter::new(self.schema.clone(), batches))
    }
}

#[async_trait]
impl<T: DailyRows> TableProvider for Daily<T> {
    fn schema(&self) -> SchemaRef {
        self.rows.schema()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        Ok(filters
            .iter()
            .map(|f| {
                if self.bounds(f).is_empty() {
                    TableProviderFilterPushDown::Unsupported
                } else {
                    TableProviderFilterPushDown::Inexact
                }
            })
            .collect())
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let (days, before) = self.days(filters);
        let partitions = state
            .config()
            .target_partitions()
            .clamp(1, days.len().max(1));
        // Round-robin, so that each partition gets busy and quiet days alike.
        let mut shares: Vec<Vec<NaiveDate>> = vec![Vec::new(); partitions];
        for (i, day) in days.into_iter().enumerate() {
            shares[i % partitions].push(day);
        }
        let streams: Vec<Arc<dyn PartitionStream>> = shares
            .into_iter()
            .enumerate()
            .map(|(i, days)| {
                Arc::new(DaysPartition {
                    rows: self.rows.clone(),
                    schema: self.rows.schema(),
                    days,
                    before: before && i == 0,
                    generated: self.generated.clone(),
                }) as Arc<dyn PartitionStream>
            })
            .collect();
        StreamingTable::try_new(self.rows.schema(), streams)?
            .scan(state, projection, &[], limit)
            .await
    }
}
