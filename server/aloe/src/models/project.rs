//! The models of a project folder: `sql/silver/*.sql` and `sql/gold/*.sql`, one table each,
//! and the dependencies between them, found from the tables each query reads.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use datafusion::common::TableReference;
use datafusion::execution::session_state::SessionState;

use super::header::{Header, read};
use aloe_engine::sql::parse::parse;

/// The zones models are built in, in build order.
pub const MODEL_ZONES: [&str; 2] = ["silver", "gold"];

/// Why folder `dir` holds no models, naming the paths looked at; `None` if it holds one.
/// A server started away from its project (the binary run from another folder) would
/// otherwise land bronze and build nothing, without a word.
pub fn missing_models(dir: &Path) -> Option<String> {
    let shown = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    if !dir.is_dir() {
        return Some(format!(
            "no models: the models folder {} does not exist (set models_dir or --models-dir)",
            shown.display()
        ));
    }
    let has_model = MODEL_ZONES.iter().any(|zone| {
        std::fs::read_dir(dir.join(zone)).is_ok_and(|entries| {
            entries
                .filter_map(Result::ok)
                .any(|e| e.path().extension().is_some_and(|x| x == "sql"))
        })
    });
    (!has_model).then(|| {
        format!(
            "no models: the models folder {} has no .sql file in {}",
            shown.display(),
            MODEL_ZONES
                .iter()
                .map(|z| format!("{z}/"))
                .collect::<Vec<_>>()
                .join(" or ")
        )
    })
}

/// One model.
#[derive(Debug, Clone)]
pub struct Model {
    /// `zone.name`, the table it builds.
    pub id: String,
    /// The zone.
    pub zone: String,
    /// The table name.
    pub name: String,
    /// The header.
    pub header: Header,
    /// The SELECT.
    pub query: String,
    /// Ids of the models it reads.
    pub depends_on: BTreeSet<String>,
    /// Other tables it reads (sources: bronze, gen, kafka).
    pub sources: BTreeSet<String>,
}

/// All models of a folder.
#[derive(Debug, Clone, Default)]
pub struct Project {
    /// By id.
    pub models: BTreeMap<String, Model>,
}

/// Why a project cannot be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    /// A file could not be read or parsed.
    #[error("{0}")]
    File(String),
    /// Models read each other in a circle.
    #[error("models depend on each other in a cycle: {0}")]
    Cycle(String),
    /// A selection names no model.
    #[error("no model named \"{0}\" (models are zone.name or name, e.g. gold.campaign_daily)")]
    Unknown(String),
}

impl Project {
    /// Loads every model under `dir`; `state` resolves the tables each query reads. A missing
    /// folder is an empty project.
    pub fn load(dir: &Path, state: &SessionState) -> Result<Self, ProjectError> {
        let mut models = BTreeMap::new();
        for zone in MODEL_ZONES {
            let folder = dir.join(zone);
            let Ok(entries) = std::fs::read_dir(&folder) else {
                continue;
            };
            let mut files: Vec<_> = entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "sql"))
                .collect();
            files.sort();
            for path in files {
                let shown = path.display().to_string();
                let name = path
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .ok_or_else(|| ProjectError::File(format!("{shown}: not a UTF-8 name")))?
                    .to_owned();
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| ProjectError::File(format!("{shown}: {e}")))?;
                let m = read(&text, &shown).map_err(ProjectError::File)?;
                if let Some(expr) = &m.header.schedule {
                    super::schedule::parse(expr)
                        .map_err(|e| ProjectError::File(format!("{shown}: {e}")))?;
                }
                let mut reads = tables_read(&m.query, state)
                    .map_err(|e| ProjectError::File(format!("{shown}: {e}")))?;
                let id = format!("{zone}.{name}");
                // A relationships test reads its target after the build: build that first.
                reads.extend(
                    m.header
                        .tests
                        .iter()
                        .filter_map(|t| t.reads())
                        .filter(|t| *t != id)
                        .map(str::to_owned),
                );
                models.insert(
                    id.clone(),
                    Model {
                        id,
                        zone: zone.to_owned(),
                        name,
                        header: m.header,
                        query: m.query,
                        depends_on: BTreeSet::new(),
                        sources: reads,
                    },
                );
            }
        }
        let ids: BTreeSet<String> = models.keys().cloned().collect();
        for m in models.values_mut() {
            let (deps, sources): (BTreeSet<String>, BTreeSet<String>) =
                std::mem::take(&mut m.sources)
                    .into_iter()
                    .partition(|t| ids.contains(t));
            m.depends_on = deps;
            m.sources = sources;
        }
        let project = Self { models };
        project.order()?;
        Ok(project)
    }

    /// Every model, dependencies before dependents (ties by id).
    pub fn order(&self) -> Result<Vec<String>, ProjectError> {
        let mut done: Vec<String> = Vec::new();
        let mut placed = BTreeSet::new();
        while done.len() < self.models.len() {
            let ready: Vec<&String> = self
                .models
                .values()
                .filter(|m| {
                    !placed.contains(&m.id) && m.depends_on.iter().all(|d| placed.contains(d))
                })
                .map(|m| &m.id)
                .collect();
            if ready.is_empty() {
                let stuck: Vec<&str> = self
                    .models
                    .keys()
                    .filter(|id| !placed.contains(*id))
                    .map(String::as_str)
                    .collect();
                return Err(ProjectError::Cycle(stuck.join(", ")));
            }
            for id in ready {
                placed.insert(id.clone());
                done.push(id.clone());
            }
        }
        Ok(done)
    }

    /// The id of model `name` (`zone.name`, or a bare name that only one zone has).
    pub fn resolve(&self, name: &str) -> Result<String, ProjectError> {
        if self.models.contains_key(name) {
            return Ok(name.to_owned());
        }
        let found: Vec<&String> = self
            .models
            .values()
            .filter(|m| m.name == name)
            .map(|m| &m.id)
            .collect();
        match found.as_slice() {
            [one] => Ok((*one).clone()),
            _ => Err(ProjectError::Unknown(name.to_owned())),
        }
    }

    /// The models a selection names: `name`, `name+` (and everything downstream of it),
    /// `+name` (and everything it reads); no selection means all.
    pub fn select(&self, selection: &[String]) -> Result<BTreeSet<String>, ProjectError> {
        if selection.is_empty() {
            return Ok(self.models.keys().cloned().collect());
        }
        let mut chosen = BTreeSet::new();
        for s in selection {
            let (up, rest) = s
                .strip_prefix('+')
                .map_or((false, s.as_str()), |r| (true, r));
            let (down, name) = rest.strip_suffix('+').map_or((false, rest), |r| (true, r));
            let id = self.resolve(name)?;
            chosen.insert(id.clone());
            if down {
                self.closure(&id, &mut chosen, |m, id| m.depends_on.contains(id));
            }
            if up {
                self.closure(&id, &mut chosen, |m, id| {
                    self.models[id].depends_on.contains(&m.id)
                });
            }
        }
        Ok(chosen)
    }

    /// Adds to `into` every model linked to `start` by `linked(model, id)`, transitively.
    fn closure(
        &self,
        start: &str,
        into: &mut BTreeSet<String>,
        linked: impl Fn(&Model, &str) -> bool,
    ) {
        let mut frontier = vec![start.to_owned()];
        while let Some(id) = frontier.pop() {
            for m in self.models.values() {
                if linked(m, &id) && into.insert(m.id.clone()) {
                    frontier.push(m.id.clone());
                }
            }
        }
    }
}

/// The tables `query` reads, as `schema.table` (unqualified names are in `public`).
fn tables_read(query: &str, state: &SessionState) -> Result<BTreeSet<String>, String> {
    let mut parsed = parse(query).map_err(|e| e.to_string())?;
    if parsed.len() != 1 {
        return Err("a model is one SELECT".into());
    }
    let statement = parsed.pop().expect("one").statement;
    let refs = state
        .resolve_table_references(&statement)
        .map_err(|e| e.to_string())?;
    Ok(refs
        .into_iter()
        .map(|r| match r {
            TableReference::Bare { table } => format!("public.{table}"),
            TableReference::Partial { schema, table }
            | TableReference::Full { schema, table, .. } => {
                format!("{schema}.{table}")
            }
        })
        .collect())
}
