//! The SQL models in `sql/silver` and `sql/gold`: loading them, their dependency order, and
//! building them from the command line (`aloe run`), from SQL (`CALL aloe.run(...)`) and, in
//! the server, at start when their tables are missing.

pub mod data_tests;
pub mod header;
pub mod history;
pub mod history_table;
pub mod incremental;
pub mod procedure;
pub mod project;
pub mod query;
pub mod runner;
pub mod schedule;
pub mod staging;
pub mod test_run;

use std::path::PathBuf;
use std::sync::Arc;

pub use header::{Header, Materialized};
pub use project::{Model, Project, ProjectError};
pub use runner::{ModelRun, RunStatus};

use aloe_engine::Engine;

/// The models of one server: where they live, what ran, and the engine to run them on.
#[derive(Debug)]
pub struct Models {
    /// The project folder (`sql/`).
    dir: PathBuf,
    /// Most models built at once.
    parallel: usize,
    /// Runs so far, for `aloe.models` and `aloe.runs`.
    history: history::History,
    /// Where the runs are kept across restarts.
    history_table: history_table::HistoryTable,
    /// Days a run is kept.
    history_days: u32,
    /// The engine the models build on.
    engine: Arc<Engine>,
    /// One run at a time: two runs of one model would race to commit.
    running: tokio::sync::Mutex<()>,
    /// Schema `aloe_staging`: rows waiting for their data tests.
    staging: Arc<staging::Staging>,
    /// Schedules of aloe.toml (`[[schedule]]`).
    schedules: Vec<schedule::ScheduleDecl>,
}

impl Models {
    /// Models of folder `dir` on `engine`, built `parallel` at a time, also on `schedules`;
    /// their runs are kept `history_days` days.
    pub fn new(
        engine: Arc<Engine>,
        dir: PathBuf,
        parallel: usize,
        schedules: Vec<schedule::ScheduleDecl>,
        history_days: u32,
    ) -> Self {
        Self {
            dir,
            parallel,
            history: history::History::default(),
            history_table: history_table::HistoryTable::new(engine.clone()),
            history_days,
            engine,
            running: tokio::sync::Mutex::new(()),
            staging: Arc::default(),
            schedules,
        }
    }

    /// Why the models folder holds no models, if it holds none (`project::missing_models`).
    pub fn missing(&self) -> Option<String> {
        project::missing_models(&self.dir)
    }

    /// The engine the models build on.
    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    /// The Delta version of a model's table, if it is a table that exists.
    pub async fn table_version(&self, zone: &str, name: &str) -> Option<i64> {
        self.engine.table_version(zone, name).await
    }

    /// The schedules of aloe.toml.
    pub fn schedules(&self) -> &[schedule::ScheduleDecl] {
        &self.schedules
    }

    /// Where rows wait for their data tests.
    pub fn staging(&self) -> &staging::Staging {
        &self.staging
    }

    /// Reads back the runs kept in the lake, dropping those older than the retention. A
    /// history that cannot be read is logged and left alone; the server serves without it.
    pub async fn restore_history(&self) {
        let cutoff = chrono::Utc::now() - chrono::Duration::days(i64::from(self.history_days));
        let restored = async {
            let runs = self.history_table.load().await?;
            let before = runs.len();
            let kept = self.history_table.expire(runs, cutoff).await?;
            Ok::<_, history_table::HistoryError>((before, kept))
        }
        .await;
        match restored {
            Ok((before, kept)) => {
                if before > 0 {
                    tracing::info!(
                        runs = kept.len(),
                        expired = before - kept.len(),
                        days = self.history_days,
                        "model run history read back"
                    );
                }
                self.history.restore(kept);
            }
            Err(e) => tracing::warn!(error = %e, "model run history not read back"),
        }
    }

    /// What ran so far.
    pub fn history(&self) -> &history::History {
        &self.history
    }

    /// The project as the folder holds it now.
    pub fn project(&self) -> Result<Project, ProjectError> {
        let session = self
            .engine
            .session("aloe", &Default::default())
            .map_err(|e| ProjectError::File(e.to_string()))?;
        Project::load(&self.dir, &session.state())
    }

    /// Builds the models `selection` names (all when empty), reporting each as it finishes.
    pub async fn run(
        &self,
        selection: &[String],
        progress: impl FnMut(&ModelRun),
    ) -> Result<Vec<ModelRun>, ProjectError> {
        let _one_at_a_time = self.running.lock().await;
        let project = self.project()?;
        let selected = project.select(selection)?;
        let runs = runner::run(
            &self.engine,
            &self.staging,
            &project,
            &selected,
            self.parallel,
            progress,
        )
        .await;
        let id = self.history.record(&project, &runs);
        if !runs.is_empty()
            && let Err(e) = self.history_table.append(id, &runs).await
        {
            tracing::warn!(error = %e, "model runs not kept in the lake");
        }
        Ok(runs)
    }
}
