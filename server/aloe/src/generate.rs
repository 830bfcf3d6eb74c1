//! `aloe generate`: writes the synthetic business into the lake's bronze zone, a day at a
//! time, with a progress bar and a summary of what was written.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use aloe_connectors::generate::business::Business;
use aloe_connectors::generate::export::{Exporter, Part, Written};
use aloe_connectors::generate::stream::{StreamOptions, stream_web_events};
use aloe_connectors::lake::Lake;
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::GeneratePart;
use crate::config::Config;

/// Why generating failed.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// The settings do not describe a period.
    #[error("{0}")]
    Settings(String),
    /// Kafka refused the events.
    #[error(transparent)]
    Stream(#[from] aloe_connectors::generate::stream::StreamError),
    /// The lake cannot be opened or written.
    #[error(transparent)]
    Lake(#[from] aloe_connectors::lake::LakeError),
}

/// Sends live web events to Kafka at `options`' rate until its duration passes or Ctrl-C;
/// returns how many were sent (all acknowledged by the brokers).
pub async fn stream(config: &Config, options: StreamOptions) -> Result<u64, GenerateError> {
    config
        .generate
        .validate()
        .map_err(GenerateError::Settings)?;
    let business = Business::new(config.generate.clone());
    let stop = Arc::new(AtomicBool::new(false));
    let on_signal = stop.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_signal.store(true, Ordering::Relaxed);
        }
    });
    let started = Instant::now();
    let target = format!("{} on {}", options.topic, options.brokers);
    let bar = ProgressBar::new(options.duration.as_secs()).with_style(
        ProgressStyle::with_template("{msg:>12} [{bar:30}] {pos}/{len} s")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    bar.set_message("streaming");
    let ticker = bar.clone();
    let sent = tokio::task::spawn_blocking(move || {
        stream_web_events(&business, &options, &stop, |_| {
            ticker.set_position(started.elapsed().as_secs());
        })
    })
    .await
    .map_err(|e| GenerateError::Settings(e.to_string()))??;
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "sent {sent} events to {target} in {seconds:.1} s ({:.0} events/min)",
        sent as f64 * 60.0 / seconds.max(1e-9)
    );
    Ok(sent)
}

/// The parts `part` names.
fn parts(part: GeneratePart) -> &'static [Part] {
    match part {
        GeneratePart::Crm => &[Part::Crm],
        GeneratePart::Advertising => &[Part::Advertising],
        GeneratePart::Web => &[Part::Web],
        GeneratePart::All => &[Part::Crm, Part::Advertising, Part::Web],
    }
}

/// Writes `part` of the business `config.generate` describes into the bronze zone of `lake`;
/// `progress` hears (days done, days) after each day. Returns what was written and where.
pub async fn land(
    config: &Config,
    lake: &Lake,
    part: GeneratePart,
    mut progress: impl FnMut(usize, usize),
) -> Result<(Written, String), GenerateError> {
    config
        .generate
        .validate()
        .map_err(GenerateError::Settings)?;
    let zone = lake.zone("bronze");
    let target = zone.url.to_string();
    let business = Business::new(config.generate.clone());
    let exporter = Exporter::new(&business, zone)?;
    let mut written = Written::default();
    for p in parts(part) {
        written += exporter.write_fixed(*p).await?;
    }
    let days: Vec<_> = config.generate.dates().collect();
    for (done, day) in days.iter().enumerate() {
        for p in parts(part) {
            written += exporter.write_day(*p, *day).await?;
        }
        progress(done + 1, days.len());
    }
    Ok((written, target))
}

/// Writes `part` of the business `config.generate` describes into the bronze zone, with a
/// progress bar and a summary line.
pub async fn run(config: &Config, part: GeneratePart) -> Result<Written, GenerateError> {
    let lake = Lake::open(&config.zones, &config.data_dir, &config.s3, vec![])?;
    let started = Instant::now();
    let bar = ProgressBar::new(config.generate.dates().count() as u64).with_style(
        ProgressStyle::with_template("{msg:>12} [{bar:30}] {pos}/{len} days, {per_sec}, eta {eta}")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    bar.set_message("generating");
    let (written, target) =
        land(config, &lake, part, |done, _| bar.set_position(done as u64)).await?;
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "wrote {} files, {} rows, {:.1} MiB to {target} in {seconds:.1} s ({:.0} rows/s)",
        written.files,
        written.rows,
        written.bytes as f64 / (1024.0 * 1024.0),
        written.rows as f64 / seconds.max(1e-9),
    );
    Ok(written)
}
