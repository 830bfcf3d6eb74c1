//! Incremental models: which partitions a run must rebuild, and the model's query narrowed to
//! the source partitions that changed.
//!
//! After each build Aloe keeps, beside the model's table (`_aloe/models/<name>.json` in its
//! zone), what every source held: a fingerprint per partition folder for raw-file tables, a
//! version for Delta tables. The next run compares: when only partition folders changed, it
//! reads just those folders and replaces just those partitions of the model, in one Delta
//! commit. The source folders' values (`dt=2025-09-01`) must be the model's `partition_by`
//! values, as the landed bronze is laid out. Anything else that changed (a Delta source, a
//! source Aloe cannot fingerprint, the partition column, a missing table) means a full build.

use std::collections::BTreeMap;
use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{TableFactor, VisitMut, VisitorMut};
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::parser::Parser;
use serde::{Deserialize, Serialize};

use super::project::Model;
use aloe_engine::Engine;
use aloe_engine::lake::partitions::SourceState;

/// What one build saw of its sources.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BuildState {
    /// The model's partition column at that build.
    pub partition_by: String,
    /// Each source (`zone.table`) as it was.
    pub sources: BTreeMap<String, SourceState>,
}

/// What a run must do.
#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    /// Build the whole table (first build, or a change Aloe cannot narrow down), and why.
    Full(String),
    /// Rebuild these partition values, reading only these folders of these sources.
    Partitions {
        /// The partition values.
        values: Vec<String>,
        /// Per partitioned source: its folder key.
        sources: BTreeMap<String, String>,
    },
    /// Nothing changed.
    UpToDate,
}

fn state_name(model: &Model) -> String {
    format!("models/{}.json", model.name)
}

/// What `model`'s sources hold now, and what this run must rebuild.
pub async fn plan(engine: &Engine, model: &Model) -> Result<(Plan, BuildState), String> {
    let column = model
        .header
        .partition_by
        .clone()
        .ok_or("an incremental model needs partition_by")?;
    let mut sources = BTreeMap::new();
    for table in model.sources.iter().chain(&model.depends_on) {
        let (zone, name) = table.split_once('.').unwrap_or(("public", table));
        let state = engine
            .source_state(zone, name)
            .await
            .map_err(|e| e.message)?;
        sources.insert(table.clone(), state);
    }
    let now = BuildState {
        partition_by: column,
        sources,
    };
    let previous = engine
        .read_state(&model.zone, &state_name(model))
        .await
        .map_err(|e| e.message)?
        .and_then(|bytes| serde_json::from_slice::<BuildState>(&bytes).ok());
    Ok((
        decide(
            previous.as_ref(),
            &now,
            engine.has_table(&model.zone, &model.name),
        ),
        now,
    ))
}

/// Compares the sources now with those of the last build.
fn decide(previous: Option<&BuildState>, now: &BuildState, table_exists: bool) -> Plan {
    let Some(previous) = previous.filter(|_| table_exists) else {
        return Plan::Full("first build".into());
    };
    if previous.partition_by != now.partition_by {
        return Plan::Full("partition_by changed".into());
    }
    let mut values = std::collections::BTreeSet::new();
    let mut partitioned = BTreeMap::new();
    for (table, state) in &now.sources {
        match (previous.sources.get(table), state) {
            (_, SourceState::Unknown) => {
                return Plan::Full(format!("{table} cannot be compared"));
            }
            (
                Some(SourceState::Partitions {
                    key: old_key,
                    fingerprints: old,
                }),
                SourceState::Partitions { key, fingerprints },
            ) if old_key == key => {
                partitioned.insert(table.clone(), key.clone());
                for (value, print) in fingerprints {
                    if old.get(value) != Some(print) {
                        values.insert(value.clone());
                    }
                }
                values.extend(
                    old.keys()
                        .filter(|v| !fingerprints.contains_key(*v))
                        .cloned(),
                );
            }
            (Some(old), new) if old == new => {}
            _ => return Plan::Full(format!("{table} changed")),
        }
    }
    if previous
        .sources
        .keys()
        .any(|t| !now.sources.contains_key(t))
    {
        return Plan::Full("the model reads other tables".into());
    }
    if values.is_empty() {
        Plan::UpToDate
    } else {
        Plan::Partitions {
            values: values.into_iter().collect(),
            sources: partitioned,
        }
    }
}

/// Records what this build saw.
pub async fn save(engine: &Engine, model: &Model, state: &BuildState) -> Result<(), String> {
    let bytes = serde_json::to_vec_pretty(state).map_err(|e| e.to_string())?;
    engine
        .write_state(&model.zone, &state_name(model), bytes)
        .await
        .map_err(|e| e.message)
}

/// `query` with each partitioned source (`zone.table` → folder key) read only in the
/// partitions `values`.
pub fn narrow(
    query: &str,
    sources: &BTreeMap<String, String>,
    values: &[String],
) -> Result<String, String> {
    let mut statements =
        Parser::parse_sql(&PostgreSqlDialect {}, query).map_err(|e| e.to_string())?;
    let list = values
        .iter()
        .map(|v| format!("'{}'", v.replace('\'', "''")))
        .collect::<Vec<_>>()
        .join(", ");
    struct Narrow<'a> {
        sources: &'a BTreeMap<String, String>,
        list: String,
        error: Option<String>,
    }
    impl VisitorMut for Narrow<'_> {
        type Break = ();
        fn post_visit_table_factor(&mut self, factor: &mut TableFactor) -> ControlFlow<()> {
            let TableFactor::Table { name, alias, .. } = factor else {
                return ControlFlow::Continue(());
            };
            let parts: Vec<String> = name
                .0
                .iter()
                .filter_map(|p| p.as_ident().map(|i| i.value.clone()))
                .collect();
            let key = parts.join(".");
            let Some(folder_key) = self.sources.get(&key) else {
                return ControlFlow::Continue(());
            };
            let sql = format!(
                "SELECT * FROM {name} WHERE CAST(\"{}\" AS VARCHAR) IN ({})",
                folder_key.replace('"', "\"\""),
                self.list
            );
            match Parser::parse_sql(&PostgreSqlDialect {}, &sql) {
                Ok(mut parsed) => {
                    let Some(datafusion::sql::sqlparser::ast::Statement::Query(subquery)) =
                        parsed.pop()
                    else {
                        return ControlFlow::Continue(());
                    };
                    let alias = alias.clone().or_else(|| {
                        Some(datafusion::sql::sqlparser::ast::TableAlias {
                            explicit: true,
                            name: datafusion::sql::sqlparser::ast::Ident::new(
                                parts.last().cloned().unwrap_or_default(),
                            ),
                            columns: vec![],
                            at: None,
                        })
                    });
                    *factor = TableFactor::Derived {
                        lateral: false,
                        subquery,
                        alias,
                        sample: None,
                    };
                }
                Err(e) => self.error = Some(e.to_string()),
            }
            ControlFlow::Continue(())
        }
    }
    let mut visitor = Narrow {
        sources,
        list,
        error: None,
    };
    let _ = statements.visit(&mut visitor);
    if let Some(e) = visitor.error {
        return Err(e);
    }
    Ok(statements
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(values: &[(&str, &str)]) -> SourceState {
        SourceState::Partitions {
            key: "dt".into(),
            fingerprints: values
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    fn state(sources: Vec<(&str, SourceState)>) -> BuildState {
        BuildState {
            partition_by: "day".into(),
            sources: sources
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        }
    }

    #[test]
    fn only_changed_added_and_removed_partitions_are_rebuilt() {
        let before = state(vec![
            ("bronze.e", parts(&[("d1", "a"), ("d2", "b"), ("d3", "c")])),
            ("gen.products", SourceState::Token("generated".into())),
        ]);
        let after = state(vec![
            ("bronze.e", parts(&[("d1", "a"), ("d2", "B"), ("d4", "d")])),
            ("gen.products", SourceState::Token("generated".into())),
        ]);
        match decide(Some(&before), &after, true) {
            Plan::Partitions { values, sources } => {
                assert_eq!(values, ["d2", "d3", "d4"]);
                assert_eq!(sources["bronze.e"], "dt");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(decide(Some(&before), &before, true), Plan::UpToDate);
        assert!(matches!(
            decide(Some(&before), &after, false),
            Plan::Full(_)
        ));
        assert!(matches!(decide(None, &after, true), Plan::Full(_)));
        let delta_changed = state(vec![
            ("bronze.e", parts(&[("d1", "a"), ("d2", "b"), ("d3", "c")])),
            ("gen.products", SourceState::Token("other".into())),
        ]);
        assert!(matches!(
            decide(Some(&before), &delta_changed, true),
            Plan::Full(why) if why.contains("gen.products")
        ));
        let unknown = state(vec![("bronze.e", SourceState::Unknown)]);
        assert!(matches!(
            decide(Some(&before), &unknown, true),
            Plan::Full(_)
        ));
    }

    #[test]
    fn narrowing_reads_only_the_changed_folders() {
        let sources = BTreeMap::from([("bronze.events".to_string(), "dt".to_string())]);
        let sql = narrow(
            "SELECT e.a, p.name FROM bronze.events e JOIN gen.products p ON p.id = e.p \
             WHERE e.a > 0",
            &sources,
            &["2025-09-02".into(), "it's".into()],
        )
        .unwrap();
        assert!(
            sql.contains(
                "(SELECT * FROM bronze.events WHERE CAST(\"dt\" AS VARCHAR) IN ('2025-09-02', 'it''s')) e JOIN"
            ),
            "{sql}"
        );
        assert!(sql.contains("gen.products p ON"), "{sql}");
        let bare = narrow(
            "SELECT count(*) FROM bronze.events",
            &sources,
            &["x".into()],
        )
        .unwrap();
        assert!(bare.contains(") AS events"), "{bare}");
    }
}
