//! The schedule: models whose header has `schedule = "<cron>"`, and the selections of
//! aloe.toml's `[[schedule]]` tables, are rebuilt by the server when their time comes round. Cron has five fields (minute hour day month weekday) or six with seconds
//! first; times are UTC. The folder is read again before each wait, so new or changed
//! schedules apply without a restart.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use croner::Cron;
use tokio::sync::watch;

use super::Models;

/// A schedule in aloe.toml: a selection of models (as `aloe run --select` takes them) and when.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleDecl {
    /// Cron, five fields or six with seconds first, UTC.
    pub cron: String,
    /// Models: `zone.name`, `name`, `model+` (and downstream), `+model` (and upstream).
    pub select: Vec<String>,
}

impl ScheduleDecl {
    /// Whether the cron parses and something is selected.
    pub fn validate(&self) -> Result<(), String> {
        if self.select.is_empty() {
            return Err(format!("schedule \"{}\": select names no model", self.cron));
        }
        parse(&self.cron).map(|_| ())
    }
}

/// The parsed schedule, or why it is not one.
pub fn parse(expr: &str) -> Result<Cron, String> {
    Cron::new(expr)
        .with_seconds_optional()
        .parse()
        .map_err(|e| format!("schedule \"{expr}\": {e}"))
}

/// Rebuilds scheduled models until `shutdown` turns true.
pub async fn run(models: Arc<Models>, mut shutdown: watch::Receiver<bool>) {
    loop {
        let now = Utc::now();
        let due = match next_due(&models, now) {
            Ok(due) => due,
            Err(e) => {
                tracing::warn!(error = %e, "model schedules not read; trying again in a minute");
                None
            }
        };
        let (at, ids) = match due {
            Some(d) => d,
            None => (now + chrono::Duration::seconds(60), vec![]),
        };
        let wait = (at - Utc::now()).to_std().unwrap_or(Duration::ZERO);
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = shutdown.changed() => return,
        }
        if ids.is_empty() {
            continue;
        }
        tracing::info!(models = ?ids, "scheduled run");
        match models.run(&ids, |_| {}).await {
            Ok(runs) => {
                for r in runs
                    .iter()
                    .filter(|r| r.status != super::RunStatus::Success)
                {
                    tracing::warn!(model = %r.model, status = r.status.as_str(), message = ?r.message, "scheduled model did not build");
                }
            }
            Err(e) => tracing::warn!(error = %e, "scheduled run failed"),
        }
    }
}

/// A moment and the models due at it.
type Due = (DateTime<Utc>, Vec<String>);

/// The next time any scheduled model is due after `now`, and the models due then.
fn next_due(models: &Models, now: DateTime<Utc>) -> Result<Option<Due>, String> {
    let project = models.project().map_err(|e| e.to_string())?;
    let mut by_time: BTreeMap<DateTime<Utc>, Vec<String>> = BTreeMap::new();
    for m in project.models.values() {
        let Some(expr) = &m.header.schedule else {
            continue;
        };
        let cron = parse(expr).map_err(|e| format!("{}: {e}", m.id))?;
        if let Ok(at) = cron.find_next_occurrence(&now, false) {
            by_time.entry(at).or_default().push(m.id.clone());
        }
    }
    for decl in models.schedules() {
        let cron = parse(&decl.cron)?;
        let selected = project.select(&decl.select).map_err(|e| e.to_string())?;
        if let Ok(at) = cron.find_next_occurrence(&now, false) {
            by_time.entry(at).or_default().extend(selected);
        }
    }
    Ok(by_time.into_iter().next().map(|(at, mut ids)| {
        ids.sort();
        ids.dedup();
        (at, ids)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_and_six_field_schedules() {
        let now = DateTime::parse_from_rfc3339("2025-11-28T10:15:30Z")
            .unwrap()
            .with_timezone(&Utc);
        let hourly = parse("0 * * * *").unwrap();
        assert_eq!(
            hourly
                .find_next_occurrence(&now, false)
                .unwrap()
                .to_rfc3339(),
            "2025-11-28T11:00:00+00:00"
        );
        let every_ten_seconds = parse("*/10 * * * * *").unwrap();
        assert_eq!(
            every_ten_seconds
                .find_next_occurrence(&now, false)
                .unwrap()
                .to_rfc3339(),
            "2025-11-28T10:15:40+00:00"
        );
        assert!(parse("every day").unwrap_err().contains("every day"));
    }
}
