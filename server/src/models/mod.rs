//! The SQL models in `sql/silver` and `sql/gold`: loading them, their dependency order, and
//! building them from the command line (`aloe run`), from SQL (`CALL aloe.run(...)`) and, in
//! the server, at start when their tables are missing.

pub mod data_tests;
pub mod header;
pub mod history;
pub mod incremental;
pub mod project;
pub mod query;
pub mod runner;
pub mod schedule;
pub mod staging;
pub mod test_run;

use std::path::PathBuf;
use std::sync::{Arc, OnceLock, Weak};

pub use header::{Header, Materialized};
pub use project::{Model, Project, ProjectError};
pub use runner::{ModelRun, RunStatus};

use crate::engine::Engine;

/// The models of one server: where they live, what ran, and the engine to run them on.
#[derive(Debug)]
pub struct Models {
    /// The project folder (`sql/`).
    dir: PathBuf,
    /// Most models built at once.
    parallel: usize,
    /// Runs so far, for `aloe.models` and `aloe.runs`.
    history: history::History,
    /// The engine, once it exists (models and engine refer to each other).
    engine: OnceLock<Weak<Engine>>,
    /// One run at a time: two runs of one model would race to commit.
    running: tokio::sync::Mutex<()>,
    /// Schema `aloe_staging`: rows waiting for their data tests.
    staging: staging::Staging,
    /// Schedules of aloe.toml (`[[schedule]]`).
    schedules: Vec<schedule::ScheduleDecl>,
}

impl Models {
    /// Models of folder `dir`, built `parallel` at a time, also on `schedules`.
    pub fn new(dir: PathBuf, parallel: usize, schedules: Vec<schedule::ScheduleDecl>) -> Self {
        Self {
            dir,
            parallel,
            history: history::History::default(),
            engine: OnceLock::new(),
            running: tokio::sync::Mutex::new(()),
            staging: staging::Staging::default(),
            schedules,
        }
    }

    /// Lets the models run on `engine`.
    pub fn attach(&self, engine: &Arc<Engine>) {
        let _ = self.engine.set(Arc::downgrade(engine));
    }

    /// The Delta version of a model's table, if it is a table that exists.
    pub async fn table_version(&self, zone: &str, name: &str) -> Option<i64> {
        self.engine().ok()?.table_version(zone, name).await
    }

    /// The schedules of aloe.toml.
    pub fn schedules(&self) -> &[schedule::ScheduleDecl] {
        &self.schedules
    }

    /// Where rows wait for their data tests.
    pub fn staging(&self) -> &staging::Staging {
        &self.staging
    }

    /// What ran so far.
    pub fn history(&self) -> &history::History {
        &self.history
    }

    /// The project as the folder holds it now.
    pub fn project(&self) -> Result<Project, ProjectError> {
        let engine = self.engine()?;
        let session = engine
            .session("aloe", &Default::default())
            .map_err(|e| ProjectError::File(e.to_string()))?;
        Project::load(&self.dir, &session.state())
    }

    fn engine(&self) -> Result<Arc<Engine>, ProjectError> {
        self.engine
            .get()
            .and_then(Weak::upgrade)
            .ok_or_else(|| ProjectError::File("the engine is not running".into()))
    }

    /// Builds the models `selection` names (all when empty), reporting each as it finishes.
    pub async fn run(
        &self,
        selection: &[String],
        progress: impl FnMut(&ModelRun),
    ) -> Result<Vec<ModelRun>, ProjectError> {
        let _one_at_a_time = self.running.lock().await;
        let engine = self.engine()?;
        let project = self.project()?;
        let selected = project.select(selection)?;
        let runs = runner::run(&engine, &project, &selected, self.parallel, progress).await;
        self.history.record(&project, &runs);
        Ok(runs)
    }
}
