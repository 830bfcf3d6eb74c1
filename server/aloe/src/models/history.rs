//! What the runner did: each run (kept in the lake by `history_table` and read back at
//! start), and each model's latest state since the server started.

use std::collections::BTreeMap;
use std::sync::Mutex;

use super::project::Project;
use super::runner::ModelRun;

/// Runs so far; the newest last.
#[derive(Debug, Default)]
pub struct History {
    runs: Mutex<Vec<(u64, ModelRun)>>,
    models: Mutex<BTreeMap<String, ModelState>>,
}

/// A model as `aloe.models` shows it.
#[derive(Debug, Clone)]
pub struct ModelState {
    /// The model.
    pub model: crate::models::Model,
    /// Its last run, if any.
    pub last: Option<ModelRun>,
}

impl History {
    /// Puts back the runs an earlier server kept, before any new one.
    pub fn restore(&self, runs: Vec<(u64, ModelRun)>) {
        let mut all = self.runs.lock().expect("history lock");
        let newer = std::mem::take(&mut *all);
        *all = runs;
        all.extend(newer);
    }

    /// Records one invocation of the runner over `project`; returns its number.
    pub fn record(&self, project: &Project, runs: &[ModelRun]) -> u64 {
        let mut all = self.runs.lock().expect("history lock");
        let id = all.iter().map(|(id, _)| *id).max().map_or(1, |id| id + 1);
        all.extend(runs.iter().cloned().map(|r| (id, r)));
        let mut models = self.models.lock().expect("history lock");
        for m in project.models.values() {
            let last = runs
                .iter()
                .find(|r| r.model == m.id)
                .cloned()
                .or_else(|| models.get(&m.id).and_then(|s| s.last.clone()));
            models.insert(
                m.id.clone(),
                ModelState {
                    model: m.clone(),
                    last,
                },
            );
        }
        id
    }

    /// Every run with the number of the runner invocation it belonged to.
    pub fn runs(&self) -> Vec<(u64, ModelRun)> {
        self.runs.lock().expect("history lock").clone()
    }

    /// Every model seen, with its last run.
    pub fn models(&self) -> Vec<ModelState> {
        self.models
            .lock()
            .expect("history lock")
            .values()
            .cloned()
            .collect()
    }
}
