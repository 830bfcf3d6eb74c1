//! What `aloe serve` does in the background as it starts, so that a newcomer can query gold
//! within a minute of the first start: on the embedded default, land the generated business in
//! bronze when bronze holds none of it; then build the models whose tables are missing. The
//! server answers queries meanwhile, with what exists.

use std::sync::Arc;
use std::time::Instant;

use aloe_connectors::generate::export::Part;

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

/// Lands the generated business in bronze if `config` asks for it and bronze has none of it,
/// then builds the missing models if `config` asks for that.
pub async fn run(engine: Arc<Engine>, models: Arc<Models>, config: Config) {
    if config.seed_bronze.unwrap_or(false) && !bronze_has_business(&engine) {
        let g = &config.generate;
        tracing::info!(
            from = %g.start_date, to = %g.end_date,
            "bronze is empty: landing the generated business (seed_bronze; --no-seed to skip)"
        );
        let started = Instant::now();
        let lake = engine.lake_handle();
        let mut last_logged = 0;
        let landed = crate::generate::land(&config, &lake, GeneratePart::All, |done, days| {
            // A line every tenth of the way: progress without flooding the log.
            if done * 10 / days.max(1) > last_logged {
                last_logged = done * 10 / days.max(1);
                tracing::info!("landing: {done}/{days} days");
            }
        })
        .await;
        match landed {
            Ok((w, target)) => tracing::info!(
                files = w.files,
                rows = w.rows,
                seconds = format!("{:.1}", started.elapsed().as_secs_f64()),
                "landed the generated business in {target}"
            ),
            Err(e) => {
                tracing::error!(error = %e, "could not land the generated business in bronze");
                return;
            }
        }
        if let Err(e) = engine.refresh_zone("bronze").await {
            tracing::error!(error = %e.message, "could not list bronze after landing");
            return;
        }
    }
    if config.build_missing_models {
        build_missing(&engine, &models).await;
    }
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
