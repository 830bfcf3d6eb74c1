//! Ingestion metrics, per topic and partition: offsets landed, the broker's high watermark, the
//! lag, and each ingester's counters.

use std::sync::atomic::Ordering;

use prometheus::proto::MetricFamily;
use prometheus::{IntCounterVec, IntGaugeVec, Opts};

use aloe_engine::kafka::tables::KafkaTables;

/// The metric families of every ingester, as they stand now.
pub fn families(kafka: &KafkaTables) -> Vec<MetricFamily> {
    let gauge = |name: &str, help: &str, labels: &[&str]| {
        IntGaugeVec::new(Opts::new(name, help), labels).expect("valid metric")
    };
    let counter = |name: &str, help: &str| {
        IntCounterVec::new(Opts::new(name, help), &["table", "topic"]).expect("valid metric")
    };
    let partition = ["table", "topic", "partition"];
    let offset = gauge(
        "aloe_kafka_ingested_offset",
        "Next offset to land per partition: bronze holds every message before it.",
        &partition,
    );
    let high = gauge(
        "aloe_kafka_high_watermark",
        "Offset after the newest message on the broker, per partition.",
        &partition,
    );
    let lag = gauge(
        "aloe_kafka_lag",
        "Messages on the broker not yet in bronze, per partition.",
        &partition,
    );
    let connected = gauge(
        "aloe_kafka_connected",
        "1 when the ingester's brokers answer, 0 when they do not.",
        &["table", "topic"],
    );
    let rows = counter(
        "aloe_kafka_ingested_rows_total",
        "Rows landed in bronze since the server started.",
    );
    let quarantined = counter(
        "aloe_kafka_quarantined_total",
        "Messages put in quarantine since the server started.",
    );
    let errors = counter(
        "aloe_kafka_ingest_errors_total",
        "Failed polls and setups (each followed by a retry) since the server started.",
    );
    let commits = counter(
        "aloe_kafka_commits_total",
        "Delta commits made by the ingester since the server started.",
    );
    for (decl, status) in kafka.statuses() {
        let (table, topic) = (decl.name.as_str(), decl.topic());
        for (p, progress) in status.partitions() {
            let p = p.to_string();
            let labels = [table, topic, p.as_str()];
            if let Some(o) = progress.next_offset {
                offset.with_label_values(&labels).set(o);
            }
            if let Some(h) = progress.high_watermark {
                high.with_label_values(&labels).set(h);
                lag.with_label_values(&labels)
                    .set((h - progress.next_offset.unwrap_or(0)).max(0));
            }
        }
        connected
            .with_label_values(&[table, topic])
            .set(i64::from(status.connected.load(Ordering::Relaxed)));
        for (vec, value) in [
            (&rows, &status.rows),
            (&quarantined, &status.quarantined),
            (&errors, &status.errors),
            (&commits, &status.commits),
        ] {
            vec.with_label_values(&[table, topic])
                .inc_by(value.load(Ordering::Relaxed));
        }
    }
    [offset, high, lag, connected]
        .iter()
        .flat_map(prometheus::core::Collector::collect)
        .chain(
            [rows, quarantined, errors, commits]
                .iter()
                .flat_map(prometheus::core::Collector::collect),
        )
        .collect()
}
