//! The run history kept in the lake, so that `aloe.runs` and `aloe.test_results` are there
//! after a restart: a Delta table `_aloe_runs` under the gold zone's root (a reserved name, so
//! no table of gold; on S3 when the lake is), one row per model run with the run as JSON.
//! Runs older than the retention are dropped at start, in one commit.

use std::sync::Arc;

use aloe_connectors::lake::delta::{self, WriteMode};
use aloe_connectors::lake::zone::Zone;
use aloe_engine::Engine;
use arrow::array::{
    Array, AsArray, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray,
};
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use chrono::{DateTime, Utc};
use datafusion::prelude::SessionContext;
use url::Url;

use super::runner::ModelRun;

/// The table's folder under the gold zone's root.
pub const FOLDER: &str = "_aloe_runs";

/// Why the history could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// The lake refused.
    #[error("run history in {url}: {source}")]
    Lake {
        /// The table.
        url: Url,
        /// Why (boxed: a lake error is large).
        source: Box<aloe_connectors::lake::LakeError>,
    },
    /// A row is not a run this server can read.
    #[error("run history in {url}: {message}")]
    Row {
        /// The table.
        url: Url,
        /// What was wrong.
        message: String,
    },
}

/// The history's Delta table.
pub struct HistoryTable {
    engine: Arc<Engine>,
    zone: Zone,
    url: Url,
}

impl std::fmt::Debug for HistoryTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HistoryTable")
            .field("url", &self.url)
            .finish()
    }
}

fn schema() -> Arc<Schema> {
    Arc::new(Schema::new(vec![
        Field::new("run_id", DataType::Int64, false),
        Field::new("model", DataType::Utf8, false),
        Field::new(
            "started",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            false,
        ),
        Field::new("run", DataType::Utf8, false),
    ]))
}

impl HistoryTable {
    /// The history of the lake `engine` serves.
    pub fn new(engine: Arc<Engine>) -> Self {
        let zone = engine.lake_handle().zone("gold");
        let url = zone.table_url(FOLDER);
        Self { engine, zone, url }
    }

    fn lake(&self, source: aloe_connectors::lake::LakeError) -> HistoryError {
        HistoryError::Lake {
            url: self.url.clone(),
            source: Box::new(source),
        }
    }

    fn session_state(
        &self,
    ) -> Result<datafusion::execution::session_state::SessionState, HistoryError> {
        let session = self
            .engine
            .session("aloe", &Default::default())
            .map_err(|e| HistoryError::Row {
                url: self.url.clone(),
                message: e.message,
            })?;
        Ok(session.state())
    }

    /// Every run kept, oldest first, with its invocation number.
    pub async fn load(&self) -> Result<Vec<(u64, ModelRun)>, HistoryError> {
        if !delta::exists(&self.zone, &self.url)
            .await
            .map_err(|e| self.lake(e))?
        {
            return Ok(vec![]);
        }
        let provider = delta::open(&self.zone, &self.url)
            .await
            .map_err(|e| self.lake(e))?;
        let ctx = SessionContext::new_with_state(self.session_state()?);
        let bad = |e: datafusion::error::DataFusionError| HistoryError::Row {
            url: self.url.clone(),
            message: e.to_string(),
        };
        let batches = ctx
            .read_table(provider)
            .map_err(bad)?
            .select_columns(&["run_id", "run"])
            .map_err(bad)?
            .collect()
            .await
            .map_err(bad)?;
        let mut runs = Vec::new();
        for batch in batches {
            // Delta reads text back as Utf8View; a table written by hand may differ more.
            let column = |i: usize, to: &DataType| {
                arrow::compute::cast(batch.column(i), to).map_err(|e| HistoryError::Row {
                    url: self.url.clone(),
                    message: e.to_string(),
                })
            };
            let ids = column(0, &DataType::Int64)?;
            let ids = ids.as_primitive::<arrow::datatypes::Int64Type>();
            let texts = column(1, &DataType::Utf8)?;
            let texts = texts.as_string::<i32>();
            for i in 0..batch.num_rows() {
                if ids.is_null(i) || texts.is_null(i) {
                    continue;
                }
                let run: ModelRun =
                    serde_json::from_str(texts.value(i)).map_err(|e| HistoryError::Row {
                        url: self.url.clone(),
                        message: e.to_string(),
                    })?;
                runs.push((ids.value(i) as u64, run));
            }
        }
        runs.sort_by_key(|(id, r)| (*id, r.started));
        Ok(runs)
    }

    /// Adds the runs of invocation `id`, in one commit.
    pub async fn append(&self, id: u64, runs: &[ModelRun]) -> Result<(), HistoryError> {
        let rows: Vec<(u64, ModelRun)> = runs.iter().map(|r| (id, r.clone())).collect();
        self.write(&rows, WriteMode::Append).await
    }

    /// Keeps only the runs started at or after `cutoff`, in one commit when any is older.
    /// Returns the runs kept.
    pub async fn expire(
        &self,
        runs: Vec<(u64, ModelRun)>,
        cutoff: DateTime<Utc>,
    ) -> Result<Vec<(u64, ModelRun)>, HistoryError> {
        if runs.iter().all(|(_, r)| r.started >= cutoff) {
            return Ok(runs);
        }
        let kept: Vec<_> = runs
            .into_iter()
            .filter(|(_, r)| r.started >= cutoff)
            .collect();
        self.write(&kept, WriteMode::Replace).await?;
        Ok(kept)
    }

    async fn write(&self, rows: &[(u64, ModelRun)], mode: WriteMode) -> Result<(), HistoryError> {
        let bad = |message: String| HistoryError::Row {
            url: self.url.clone(),
            message,
        };
        let json: Vec<String> = rows
            .iter()
            .map(|(_, r)| serde_json::to_string(r).expect("a run serialises"))
            .collect();
        let batch = RecordBatch::try_new(
            schema(),
            vec![
                Arc::new(Int64Array::from_iter_values(
                    rows.iter().map(|(id, _)| *id as i64),
                )),
                Arc::new(StringArray::from_iter_values(
                    rows.iter().map(|(_, r)| r.model.as_str()),
                )),
                Arc::new(
                    TimestampMicrosecondArray::from_iter_values(
                        rows.iter().map(|(_, r)| r.started.timestamp_micros()),
                    )
                    .with_timezone("UTC"),
                ),
                Arc::new(StringArray::from_iter_values(
                    json.iter().map(String::as_str),
                )),
            ],
        )
        .map_err(|e| bad(e.to_string()))?;
        let state = self.session_state()?;
        let ctx = SessionContext::new_with_state(state.clone());
        let plan = ctx
            .read_batch(batch)
            .map_err(|e| bad(e.to_string()))?
            .logical_plan()
            .clone();
        let exists = delta::exists(&self.zone, &self.url)
            .await
            .map_err(|e| self.lake(e))?;
        let mode = match (mode, exists) {
            (WriteMode::Append, false) => WriteMode::Create,
            (mode, _) => mode,
        };
        delta::write(
            &self.zone,
            &self.url,
            Arc::new(state),
            plan,
            mode,
            Some("Aloe's model run history (aloe.runs, aloe.test_results)"),
        )
        .await
        .map_err(|e| self.lake(e))?;
        Ok(())
    }
}
