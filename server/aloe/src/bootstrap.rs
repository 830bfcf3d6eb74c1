//! What `aloe serve` does in the background as it starts, so that a newcomer can query gold
//! within a minute of the first start: on the embedded default, land the generated business in
//! bronze when bronze holds none of it (or only an interrupted landing of it); then build the models whose tables are missing. The
//! server answers queries meanwhile, with what exists.

use std::sync::Arc;
use std::time::Instant;

use aloe_connectors::generate::export::Part;
use aloe_connectors::generate::landing::{self, Marker, State};
use aloe_connectors::lake::zone::Zone;

use crate::cli::GeneratePart;
use crate::config::Config;
use aloe_engine::Engine;

use crate::models::Models;
use crate::models::RunStatus;

/// Whether bronze holds any table the generator writes.
fn bronze_has_business(engine: &Engine) -> bool {
    Part::ALL
        .iter()
        .flat_map(|p| p.bronze_tables())
        .any(|t| engine.has_table("bronze", t))
}

/// Lands the generated business in bronze if `config` asks for it and bronze has none of it
/// (or holds a landing that was stopped half-way), then builds the missing models if
/// `config` asks for that.
pub async fn run(engine: Arc<Engine>, models: Arc<Models>, config: Config) {
    if config.seed_bronze.unwrap_or(false) && !land_if_needed(&engine, &config).await {
        return;
    }
    if config.build_missing_models {
        build_missing(&engine, &models).await;
    }
}

/// Why bronze is landed at this start, or `None` when it is not.
async fn landing_reason(engine: &Engine, zone: &Zone) -> Result<Option<&'static str>, String> {
    match landing::read(zone).await.map_err(|e| e.to_string())? {
        Some(m) if m.state == State::Complete => Ok(None),
        Some(_) => Ok(Some(
            "an earlier landing of the generated business was stopped before it finished: \
             removing what it wrote and landing again",
        )),
        // Bronze landed before markers existed, or by `aloe generate`, or the user's own.
        None if bronze_has_business(engine) => Ok(None),
        None => Ok(Some(
            "bronze is empty: landing the generated business (seed_bronze; --no-seed to skip)",
        )),
    }
}

/// Lands the generated business when bronze needs it; false when that failed, so that
/// nothing is built on a partial bronze.
async fn land_if_needed(engine: &Engine, config: &Config) -> bool {
    let lake = engine.lake_handle();
    let zone = lake.zone("bronze");
    let reason = match landing_reason(engine, &zone).await {
        Ok(Some(reason)) => reason,
        Ok(None) => return true,
        Err(e) => {
            tracing::error!(error = %e, "bronze not landed");
            return false;
        }
    };
    let g = &config.generate;
    tracing::info!(from = %g.start_date, to = %g.end_date, "{reason}");
    let started = Instant::now();
    let mut marker = Marker {
        state: State::Started,
        from: g.start_date,
        to: g.end_date,
        files: None,
        rows: None,
    };
    let cleared = async {
        landing::write(&zone, &marker).await?;
        landing::clear(&zone).await
    }
    .await;
    match cleared {
        Ok(0) => {}
        Ok(removed) => tracing::info!(files = removed, "removed the unfinished landing's files"),
        Err(e) => {
            tracing::error!(error = %e, "could not prepare bronze for the landing");
            return false;
        }
    }
    let mut last_logged = 0;
    let landed = crate::generate::land(config, &lake, GeneratePart::All, |done, days| {
        // A line every tenth of the way: progress without flooding the log.
        if done * 10 / days.max(1) > last_logged {
            last_logged = done * 10 / days.max(1);
            tracing::info!("landing: {done}/{days} days");
        }
    })
    .await;
    let (w, target) = match landed {
        Ok(landed) => landed,
        Err(e) => {
            tracing::error!(
                error = %e,
                "could not land the generated business in bronze; the next start lands it again"
            );
            return false;
        }
    };
    marker.state = State::Complete;
    marker.files = Some(w.files);
    marker.rows = Some(w.rows);
    if let Err(e) = landing::write(&zone, &marker).await {
        tracing::error!(error = %e, "could not mark the landing complete; the next start lands it again");
        return false;
    }
    tracing::info!(
        files = w.files,
        rows = w.rows,
        seconds = format!("{:.1}", started.elapsed().as_secs_f64()),
        "landed the generated business in {target}"
    );
    if let Err(e) = engine.refresh_zone("bronze").await {
        tracing::error!(error = %e.message, "could not list bronze after landing");
        return false;
    }
    true
}

/// Builds every model whose table or view does not exist yet.
async fn build_missing(engine: &Engine, models: &Models) {
    let project = match models.project() {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(error = %e, "models not built at start");
            return;
        }
    };
    let missing: Vec<String> = project
        .models
        .values()
        .filter(|m| !engine.has_table(&m.zone, &m.name))
        .map(|m| m.id.clone())
        .collect();
    if missing.is_empty() {
        return;
    }
    tracing::info!(
        models = missing.len(),
        "building the models whose tables are missing"
    );
    let started = Instant::now();
    let runs = models
        .run(&missing, |r| match r.status {
            RunStatus::Success => tracing::info!(
                model = %r.model, rows = r.rows.unwrap_or(0),
                seconds = format!("{:.1}", r.duration.as_secs_f64()), "built"
            ),
            _ => tracing::warn!(
                model = %r.model, status = r.status.as_str(),
                reason = r.message.as_deref().unwrap_or(""), "not built"
            ),
        })
        .await;
    match runs {
        Ok(runs) => {
            let built = runs
                .iter()
                .filter(|r| r.status == RunStatus::Success)
                .count();
            tracing::info!(
                built,
                of = runs.len(),
                seconds = format!("{:.1}", started.elapsed().as_secs_f64()),
                "models ready"
            );
        }
        Err(e) => tracing::warn!(error = %e, "models not built at start"),
    }
}
