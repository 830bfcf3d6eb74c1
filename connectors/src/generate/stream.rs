//! Live web events to Kafka: the generated shop's events, day after day, sent at a steady rate
//! and stamped with the time they are sent, as a web site's tracker would.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use datafusion::arrow::json::LineDelimitedWriter;
use rdkafka::ClientConfig;
use rdkafka::error::{KafkaError as RdError, RDKafkaErrorCode};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};

use super::business::Business;

/// Where and how fast to send.
#[derive(Debug, Clone)]
pub struct StreamOptions {
    /// `host:port[,...]`.
    pub brokers: String,
    /// The topic.
    pub topic: String,
    /// Events per minute to hold.
    pub events_per_minute: u64,
    /// Stop after this long.
    pub duration: Duration,
}

/// Why streaming failed.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    /// The producer could not be made or could not deliver.
    #[error("kafka: {0}")]
    Kafka(#[from] RdError),
    /// Rows could not be generated or serialised.
    #[error(transparent)]
    Data(#[from] datafusion::error::DataFusionError),
    /// The options are unusable.
    #[error("{0}")]
    Options(String),
}

/// Sends events until `options.duration` passes or `stop` turns true; calls `progress` with
/// the count sent so far now and then. Returns how many the brokers acknowledged. Blocking.
pub fn stream_web_events(
    business: &Arc<Business>,
    options: &StreamOptions,
    stop: &AtomicBool,
    mut progress: impl FnMut(u64),
) -> Result<u64, StreamError> {
    if options.events_per_minute == 0 {
        return Err(StreamError::Options(
            "--events-per-minute must be above 0".into(),
        ));
    }
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", &options.brokers)
        .set("linger.ms", "20")
        .create()?;
    let per_second = options.events_per_minute as f64 / 60.0;
    let started = Instant::now();
    let mut sent = 0u64;
    let days: Vec<_> = business.config.dates().collect();
    'days: for day in days.iter().cycle() {
        let batch = business.web_events_on(*day)?;
        let mut json = Vec::new();
        let mut writer = LineDelimitedWriter::new(&mut json);
        writer
            .write(&batch)
            .map_err(datafusion::error::DataFusionError::from)?;
        writer
            .finish()
            .map_err(datafusion::error::DataFusionError::from)?;
        drop(writer);
        for line in json.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
            // Hold the rate: never ahead of what the elapsed time allows.
            loop {
                if stop.load(Ordering::Relaxed) || started.elapsed() >= options.duration {
                    break 'days;
                }
                if (sent as f64) < per_second * started.elapsed().as_secs_f64() {
                    break;
                }
                producer.poll(Duration::from_millis(5));
            }
            let event = live(line)?;
            let key = event
                .get("anonymous_id")
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned();
            let payload = event.to_string();
            let mut record = BaseRecord::to(&options.topic).key(&key).payload(&payload);
            loop {
                match producer.send(record) {
                    Ok(()) => break,
                    Err((RdError::MessageProduction(RDKafkaErrorCode::QueueFull), r)) => {
                        producer.poll(Duration::from_millis(10));
                        record = r;
                    }
                    Err((e, _)) => return Err(e.into()),
                }
            }
            sent += 1;
            if sent.is_multiple_of(1000) {
                progress(sent);
            }
        }
    }
    producer.flush(Duration::from_secs(30))?;
    progress(sent);
    Ok(sent)
}

/// The event with its time set to now, as if it had just happened.
fn live(line: &[u8]) -> Result<serde_json::Value, StreamError> {
    let mut event: serde_json::Value = serde_json::from_slice(line)
        .map_err(|e| StreamError::Options(format!("generated event is not JSON: {e}")))?;
    let now = chrono::Utc::now();
    if let Some(map) = event.as_object_mut() {
        map.insert(
            "event_time".into(),
            now.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
                .into(),
        );
        map.insert("event_date".into(), now.date_naive().to_string().into());
    }
    Ok(event)
}
