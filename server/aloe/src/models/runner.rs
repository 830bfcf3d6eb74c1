//! Builds models in dependency order, independent ones in parallel. Each model is one
//! `CREATE OR REPLACE TABLE ... AS` (one Delta commit: readers see the old table or the new
//! one) or `CREATE OR REPLACE VIEW`. A model that fails keeps its previous version and the
//! models that read it are skipped.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use tokio::task::JoinSet;

use super::data_tests::Severity;
use super::header::Materialized;
use super::incremental;
use super::project::{Model, Project};
use super::staging::{Staging, Subject};
use super::test_run::{TestResult, run_tests};
use aloe_engine::{Engine, Outcome, Session};

/// How a model's run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    /// Built and published.
    Success,
    /// Failed; the previous version stays.
    Failed,
    /// Not built because a model it reads did not build.
    Skipped,
}

impl RunStatus {
    /// The word shown in reports and system tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failed => "failed",
            Self::Skipped => "skipped",
        }
    }
}

/// One model's run.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ModelRun {
    /// The model id (`zone.name`).
    pub model: String,
    /// How it ended.
    pub status: RunStatus,
    /// Rows written (tables).
    pub rows: Option<u64>,
    /// When it started.
    pub started: DateTime<Utc>,
    /// How long it took.
    pub duration: Duration,
    /// Why it failed or was skipped.
    pub message: Option<String>,
    /// Its data tests, in the order the header lists them.
    pub tests: Vec<TestResult>,
}

/// Runs the `selected` models of `project`, at most `parallel` at once; `progress` hears of
/// each model as it finishes. Returns the runs in the order they finished.
pub async fn run(
    engine: &Arc<Engine>,
    staging: &Arc<Staging>,
    project: &Project,
    selected: &BTreeSet<String>,
    parallel: usize,
    mut progress: impl FnMut(&ModelRun),
) -> Vec<ModelRun> {
    let order: Vec<String> = project
        .order()
        .unwrap_or_default()
        .into_iter()
        .filter(|id| selected.contains(id))
        .collect();
    let mut status: BTreeMap<String, RunStatus> = BTreeMap::new();
    let mut waiting: Vec<String> = order;
    let mut running: JoinSet<ModelRun> = JoinSet::new();
    let mut tasks: BTreeMap<tokio::task::Id, String> = BTreeMap::new();
    let mut finished = Vec::new();
    loop {
        // Skip what can no longer build, start what is ready, keep the rest waiting.
        let mut still = Vec::new();
        for id in waiting {
            let model = &project.models[&id];
            let deps: Vec<&String> = model
                .depends_on
                .iter()
                .filter(|d| selected.contains(*d))
                .collect();
            if let Some(bad) = deps.iter().find(|d| {
                matches!(
                    status.get(**d),
                    Some(RunStatus::Failed | RunStatus::Skipped)
                )
            }) {
                let run = skipped(&id, format!("{bad} did not build"));
                status.insert(id, RunStatus::Skipped);
                progress(&run);
                finished.push(run);
            } else if deps
                .iter()
                .all(|d| status.get(*d) == Some(&RunStatus::Success))
                && running.len() < parallel.max(1)
            {
                let (engine, staging, model) = (engine.clone(), staging.clone(), model.clone());
                let handle = running.spawn(build(engine, staging, model));
                tasks.insert(handle.id(), id);
            } else {
                still.push(id);
            }
        }
        waiting = still;
        let Some(done) = running.join_next_with_id().await else {
            break;
        };
        let run = match done {
            Ok((_, run)) => run,
            Err(e) => {
                let id = tasks.get(&e.id()).cloned().unwrap_or_default();
                ModelRun {
                    status: RunStatus::Failed,
                    message: Some(format!("the build stopped: {e}")),
                    ..skipped(&id, String::new())
                }
            }
        };
        status.insert(run.model.clone(), run.status);
        progress(&run);
        finished.push(run);
    }
    // Topological order guarantees progress; anything left was never reachable.
    for id in waiting {
        let run = skipped(&id, "its dependencies never finished".into());
        progress(&run);
        finished.push(run);
    }
    finished
}

fn skipped(id: &str, why: String) -> ModelRun {
    ModelRun {
        model: id.to_owned(),
        status: RunStatus::Skipped,
        rows: None,
        started: Utc::now(),
        duration: Duration::ZERO,
        message: Some(why),
        tests: Vec::new(),
    }
}

/// Builds one model in a session of its own. The future is boxed with its Send bound spelled
/// out: a model's SQL could itself CALL aloe.run, and the compiler cannot prove Send across
/// that cycle of opaque futures otherwise.
fn build(engine: Arc<Engine>, staging: Arc<Staging>, model: Model) -> BoxFuture<'static, ModelRun> {
    Box::pin(async move {
        let started = Utc::now();
        let clock = Instant::now();
        let mut tests = Vec::new();
        let result = build_inner(&engine, &staging, &model, &mut tests).await;
        let (status, rows, message) = match result {
            Ok((rows, note)) => (RunStatus::Success, rows, note),
            Err(e) => (RunStatus::Failed, None, Some(e)),
        };
        ModelRun {
            model: model.id.clone(),
            status,
            rows,
            started,
            duration: clock.elapsed(),
            message,
            tests,
        }
    })
}

async fn build_inner(
    engine: &Arc<Engine>,
    staging: &Staging,
    model: &Model,
    tests: &mut Vec<TestResult>,
) -> Result<(Option<u64>, Option<String>), String> {
    let session = engine
        .session("aloe", &BTreeMap::new())
        .map_err(|e| e.to_string())?;
    if model.header.materialized == Materialized::Incremental {
        return incremental_build(engine, staging, &session, model, tests).await;
    }
    let target = format!("\"{}\".\"{}\"", model.zone, model.name);
    let blocking = model
        .header
        .tests
        .iter()
        .any(|t| t.severity == Severity::Error);
    let rows = match (model.header.materialized, blocking) {
        (Materialized::View, _) => {
            // A view's rows are its query's: test the query, then publish the view.
            let this = Subject::Query(&model.query);
            run_tests(&session, model, &this, tests).await;
            refuse_on_blocking(tests)?;
            execute(
                &session,
                &format!("CREATE OR REPLACE VIEW {target} AS {}", model.query),
            )
            .await?
        }
        (Materialized::Table, false) => {
            let rows = execute(
                &session,
                &format!("CREATE OR REPLACE TABLE {target} AS {}", model.query),
            )
            .await?;
            run_tests(&session, model, &Subject::Table(&target), tests).await;
            rows
        }
        (Materialized::Table, true) => {
            // Built into a staging table first: readers keep the previous version until
            // the tests pass, and the published table is exactly what was tested.
            let staged = staging.stage(&session, model).await?;
            run_tests(&session, model, &Subject::Table(staged.reference()), tests).await;
            refuse_on_blocking(tests)?;
            execute(
                &session,
                &format!(
                    "CREATE OR REPLACE TABLE {target} AS SELECT * FROM {}",
                    staged.reference()
                ),
            )
            .await?
        }
        (Materialized::Incremental, _) => unreachable!("built above"),
    };
    describe(engine, &session, model, &target).await?;
    Ok((rows, None))
}

/// Sets the table's comment and its columns' from the header.
async fn describe(
    engine: &Engine,
    session: &Session,
    model: &Model,
    target: &str,
) -> Result<(), String> {
    engine
        .set_column_comments(&model.zone, &model.name, &model.header.columns)
        .await
        .map_err(|e| e.message)?;
    if model.header.materialized != Materialized::View
        && let Some(d) = &model.header.description
    {
        execute(
            session,
            &format!("COMMENT ON TABLE {target} IS '{}'", d.replace('\'', "''")),
        )
        .await?;
    }
    Ok(())
}

/// Builds an incremental model: only the partitions whose source folders changed, or all of
/// it when that cannot be narrowed down; returns the rows written and what was rebuilt.
async fn incremental_build(
    engine: &Arc<Engine>,
    staging: &Staging,
    session: &Session,
    model: &Model,
    tests: &mut Vec<TestResult>,
) -> Result<(Option<u64>, Option<String>), String> {
    let column = model
        .header
        .partition_by
        .clone()
        .ok_or("an incremental model needs partition_by")?;
    let target = format!("\"{}\".\"{}\"", model.zone, model.name);
    let (plan, state) = incremental::plan(engine, model).await?;
    let (values, sql, note) = match plan {
        incremental::Plan::UpToDate => {
            return Ok((
                Some(0),
                Some("incremental: no source partition changed".into()),
            ));
        }
        incremental::Plan::Full(why) => (
            None,
            model.query.clone(),
            format!("incremental: full build ({why})"),
        ),
        incremental::Plan::Partitions { values, sources } => {
            let sql = incremental::narrow(&model.query, &sources, &values)?;
            let note = format!(
                "incremental: {} partition{} rebuilt ({})",
                values.len(),
                if values.len() == 1 { "" } else { "s" },
                values.join(", ")
            );
            (Some(values), sql, note)
        }
    };
    let blocking = model
        .header
        .tests
        .iter()
        .any(|t| t.severity == Severity::Error);
    let rows = if blocking {
        let key = format!("{}__{}", model.zone, model.name);
        let staged = staging.stage_query(session, &key, &sql).await?;
        // The table as it would be: its other partitions and the new rows.
        let whole = match (&values, engine.has_table(&model.zone, &model.name)) {
            (Some(values), true) => {
                let ctx = datafusion::prelude::SessionContext::new_with_state(session.state());
                let staged_table = ctx
                    .table(staged.reference())
                    .await
                    .map_err(|e| e.to_string())?;
                let columns = staged_table
                    .schema()
                    .fields()
                    .iter()
                    .map(|f| format!("\"{}\"", f.name().replace('"', "\"\"")))
                    .collect::<Vec<_>>()
                    .join(", ");
                let list = values
                    .iter()
                    .map(|v| format!("'{}'", v.replace('\'', "''")))
                    .collect::<Vec<_>>()
                    .join(", ");
                let union = format!(
                    "SELECT {columns} FROM {target} WHERE CAST(\"{column}\" AS VARCHAR) NOT IN ({list}) \
                     UNION ALL SELECT {columns} FROM {}",
                    staged.reference()
                );
                let view = ctx
                    .sql(&union)
                    .await
                    .map_err(|e| e.to_string())?
                    .into_view();
                Some(staging.put(&format!("{key}__whole"), view)?)
            }
            _ => None,
        };
        let this = whole.as_ref().unwrap_or(&staged).reference().to_owned();
        run_tests(session, model, &Subject::Table(&this), tests).await;
        refuse_on_blocking(tests)?;
        session
            .replace_partitions(
                &model.zone,
                &model.name,
                &format!("SELECT * FROM {}", staged.reference()),
                &column,
                values.as_deref(),
            )
            .await
            .map_err(|e| format!("{} ({})", e.message, e.code))?
    } else {
        let rows = session
            .replace_partitions(&model.zone, &model.name, &sql, &column, values.as_deref())
            .await
            .map_err(|e| format!("{} ({})", e.message, e.code))?;
        run_tests(session, model, &Subject::Table(&target), tests).await;
        rows
    };
    describe(engine, session, model, &target).await?;
    incremental::save(engine, model, &state).await?;
    Ok((Some(rows), Some(note)))
}

/// Runs `sql` (one or more statements); the row count of the last `SELECT n` tag.
async fn execute(session: &Session, sql: &str) -> Result<Option<u64>, String> {
    let mut rows = None;
    for parsed in session.parse(sql).map_err(|e| e.to_string())? {
        let outcome = session
            .execute(&parsed, None)
            .await
            .map_err(|e| format!("{} ({})", e.message, e.code))?;
        if let Outcome::Command { tag, .. } = outcome
            && let Some(n) = tag.strip_prefix("SELECT ")
        {
            rows = n.parse().ok();
        }
    }
    Ok(rows)
}

/// An error naming the failed tests of severity error, if any.
fn refuse_on_blocking(tests: &[TestResult]) -> Result<(), String> {
    let failed: Vec<String> = tests
        .iter()
        .filter(|t| t.blocks())
        .map(TestResult::summary)
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "not published, the previous version stays: {}",
            failed.join("; ")
        ))
    }
}
