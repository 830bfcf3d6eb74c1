//! Kafka to bronze: events per second landed by the ingester, beside librdkafka's raw consume
//! rate of the same messages on the same machine (the ceiling).
//!
//! Run with `cargo bench -p aloe-connectors --bench kafka_ingest [-- EVENTS]`; the broker is
//! librdkafka's mock cluster in this process. Results are recorded in BENCHMARKS.md.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use aloe_connectors::generate::GenerateConfig;
use aloe_connectors::generate::business::Business;
use aloe_connectors::kafka::{Bronze, Ingester, KafkaTable, KafkaTableDecl};
use aloe_connectors::lake::{S3Options, Zone};
use chrono::NaiveDate;
use datafusion::arrow::json::LineDelimitedWriter;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};

/// Most bytes per partition: librdkafka's mock broker stops serving fetches of a partition
/// that holds more than a few MiB, so bigger runs spread over more partitions.
const BYTES_PER_PARTITION: usize = 2 << 20;

/// CPU seconds this process has used (user + system), from /proc.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks: f64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i)?.parse::<f64>().ok())
        .sum();
    ticks / 100.0
}

/// The shop's web events as JSON lines, enough of them for `n`.
fn events(n: usize) -> Vec<Vec<u8>> {
    let start = NaiveDate::from_ymd_opt(2025, 10, 1).expect("date");
    let business = Business::new(GenerateConfig {
        start_date: start,
        end_date: start + chrono::Days::new(60),
        events_per_day: 50_000,
        ..Default::default()
    });
    let mut out = Vec::with_capacity(n);
    for day in business.config.dates() {
        let batch = business.web_events_on(day).expect("events");
        let mut json = Vec::new();
        let mut w = LineDelimitedWriter::new(&mut json);
        w.write(&batch).expect("json");
        w.finish().expect("json");
        drop(w);
        out.extend(
            json.split(|b| *b == b'\n')
                .filter(|l| !l.is_empty())
                .map(<[u8]>::to_vec),
        );
        if out.len() >= n {
            break;
        }
    }
    out.truncate(n);
    out
}

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .and_then(|a| a.parse().ok())
        .unwrap_or(300_000);
    let payloads = events(n);
    let bytes: usize = payloads.iter().map(Vec::len).sum();
    let partitions = i32::try_from(bytes.div_ceil(BYTES_PER_PARTITION).max(4)).expect("partitions");
    let cluster = MockCluster::new(1).expect("mock cluster");
    cluster.create_topic("web", partitions, 1).expect("topic");
    let brokers = cluster.bootstrap_servers();
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", &brokers)
        .set("queue.buffering.max.messages", "2000000")
        .set("queue.buffering.max.kbytes", "2000000")
        .set("linger.ms", "20")
        .create()
        .expect("producer");
    for (i, p) in payloads.iter().enumerate() {
        let partition = (i % partitions as usize) as i32;
        while producer
            .send(
                BaseRecord::<(), _>::to("web")
                    .partition(partition)
                    .payload(p),
            )
            .is_err()
        {
            producer.poll(Duration::from_millis(5));
        }
    }
    producer.flush(Duration::from_secs(120)).expect("flush");
    let stored: i64 = (0..partitions)
        .map(|p| {
            producer
                .client()
                .fetch_watermarks("web", p, Duration::from_secs(10))
                .expect("watermarks")
                .1
        })
        .sum();
    assert_eq!(stored, n as i64, "the broker holds every message");
    println!(
        "{n} web events ({:.1} MiB of JSON) in {partitions} partitions of the mock cluster",
        bytes as f64 / 1048576.0
    );

    // The ceiling: librdkafka handing over every message, nothing done with it.
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &brokers)
        .set("group.id", "bench")
        .set("enable.auto.commit", "false")
        .create()
        .expect("consumer");
    let mut tpl = TopicPartitionList::new();
    for p in 0..partitions {
        tpl.add_partition_offset("web", p, Offset::Beginning)
            .expect("tpl");
    }
    consumer.assign(&tpl).expect("assign");
    let (wall, cpu) = (Instant::now(), cpu_seconds());
    let mut seen = 0usize;
    while seen < n {
        if let Some(Ok(_)) = consumer.poll(Duration::from_millis(100)) {
            seen += 1;
        }
    }
    report(
        "raw consume (librdkafka)",
        n,
        wall.elapsed(),
        cpu_seconds() - cpu,
    );
    drop(consumer);

    // Aloe: decode, write Parquet, commit to Delta with the offsets.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("scratch");
    let zone = Zone::open(
        "bronze",
        dir.path().to_str().expect("utf-8"),
        &S3Options::default(),
    )
    .expect("zone");
    let columns = [
        ("event_id", "bigint"),
        ("event_time", "timestamptz"),
        ("event_type", "text"),
        ("session_id", "bigint"),
        ("anonymous_id", "text"),
        ("customer_id", "bigint"),
        ("device", "text"),
        ("browser", "text"),
        ("referrer", "text"),
        ("utm_source", "text"),
        ("utm_medium", "text"),
        ("utm_campaign", "text"),
        ("page", "text"),
        ("product_id", "bigint"),
        ("order_id", "bigint"),
    ];
    let mut decl = format!(
        "name = 'web'\nbrokers = '{brokers}'\n[ingest]\nbatch_size = 50000\ninterval_ms = 1000\n"
    );
    for (name, ty) in columns {
        decl.push_str(&format!("[[columns]]\nname = '{name}'\ntype = '{ty}'\n"));
    }
    let decl: KafkaTableDecl = toml::from_str(&decl).expect("declaration");
    let bronze = |name: &str| Bronze {
        zone: zone.clone(),
        url: zone.table_url(name),
        name: name.to_owned(),
    };
    let (wall, cpu, rows) = runtime.block_on(async {
        let table = Arc::new(
            KafkaTable::open(decl, Some(bronze("web")))
                .await
                .expect("table"),
        );
        let ingester = Ingester::new(
            table,
            bronze("web_quarantine"),
            Arc::new(|| Box::pin(async {})),
        )
        .expect("ingester");
        let status = ingester.status();
        let (stop, shutdown) = tokio::sync::watch::channel(false);
        let (wall, cpu) = (Instant::now(), cpu_seconds());
        let task = tokio::spawn(ingester.run(shutdown));
        while status.rows.load(Ordering::Relaxed) + status.quarantined.load(Ordering::Relaxed)
            < n as u64
        {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let (wall, cpu) = (wall.elapsed(), cpu_seconds() - cpu);
        stop.send(true).expect("stop");
        task.await.expect("ingester");
        (wall, cpu, status.rows.load(Ordering::Relaxed))
    });
    report("ingest to bronze (Aloe)", rows as usize, wall, cpu);
}

fn report(what: &str, n: usize, wall: Duration, cpu: f64) {
    println!(
        "{what:<28} {n:>9} events {:>7.2} s {:>10.0} events/s {:>10.0} events/cpu-s",
        wall.as_secs_f64(),
        n as f64 / wall.as_secs_f64(),
        n as f64 / cpu.max(1e-9),
    );
}
