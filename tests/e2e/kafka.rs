//! Kafka topics as tables and their ingestion into bronze, against librdkafka's mock cluster (a
//! real Kafka protocol endpoint on loopback, living in this test process): scans and their
//! pruning, tables made with SQL, exactly-once ingestion across a crash, a broker going down
//! and coming back, bad messages quarantined, and the live view's no-gap, no-overlap promise.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use tokio_postgres::Client;

use crate::harness::{Server, sqlstate};

fn producer(brokers: &str) -> BaseProducer {
    ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("queue.buffering.max.messages", "1000000")
        .set("linger.ms", "5")
        .create()
        .expect("producer")
}

/// Sends `(partition, payload)` messages and waits until the broker has them all.
fn produce(brokers: &str, topic: &str, messages: impl IntoIterator<Item = (i32, String)>) {
    let p = producer(brokers);
    for (i, (partition, payload)) in messages.into_iter().enumerate() {
        let key = format!("k{i}");
        let mut record = BaseRecord::to(topic)
            .partition(partition)
            .key(&key)
            .payload(&payload);
        loop {
            match p.send(record) {
                Ok(()) => break,
                Err((_, r)) => {
                    p.poll(Duration::from_millis(10));
                    record = r;
                }
            }
        }
    }
    p.flush(Duration::from_secs(60)).expect("flush");
}

/// Creates `topic` with `partitions` partitions on a real broker.
async fn create_topic(brokers: &str, topic: &str, partitions: i32) {
    use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
    let admin: AdminClient<_> = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .create()
        .expect("admin client");
    let made = admin
        .create_topics(
            &[NewTopic::new(topic, partitions, TopicReplication::Fixed(1))],
            &AdminOptions::new().operation_timeout(Some(Duration::from_secs(30))),
        )
        .await
        .expect("CreateTopics answered");
    for result in made {
        result.unwrap_or_else(|(t, e)| panic!("topic {t} not created: {e}"));
    }
}

fn config(dir: &std::path::Path, text: &str) -> String {
    let path = dir.join("aloe.toml");
    // A configuration file turns loopback trust on only when it says so.
    std::fs::write(&path, format!("{text}\n[auth]\ntrust = true\n")).unwrap();
    path.to_string_lossy().into_owned()
}

async fn ints(c: &Client, sql: &str) -> Vec<i64> {
    let row = c
        .query_one(sql, &[])
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e:?}"));
    (0..row.len()).map(|i| row.get::<_, i64>(i)).collect()
}

/// Polls `sql` (one bigint) until it reaches `want` or 90 s pass.
async fn wait_for(c: &Client, sql: &str, want: i64) {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let got = match c.query_one(sql, &[]).await {
            Ok(row) => row.get::<_, i64>(0),
            Err(_) => -1,
        };
        if got == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{sql}: {got}, waiting for {want}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn topics_are_tables_whose_filters_limit_the_read() {
    let cluster = MockCluster::new(1).unwrap();
    cluster.create_topic("clicks", 3, 1).unwrap();
    let brokers = cluster.bootstrap_servers();
    produce(
        &brokers,
        "clicks",
        (0..3000).map(|i| {
            (
                i % 3,
                format!(r#"{{"id": {i}, "page": "/p/{}", "ms": {}}}"#, i % 7, i * 10),
            )
        }),
    );
    produce(&brokers, "clicks", [(0, "{oops".to_owned())]);
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(
        dir.path(),
        &format!(
            "gen_schema = false\n[[kafka]]\nname = 'clicks'\nbrokers = '{brokers}'\n\
             [[kafka.columns]]\nname = 'id'\ntype = 'bigint'\n\
             [[kafka.columns]]\nname = 'page'\ntype = 'text'\n"
        ),
    );
    let server = Server::start_in(dir.path(), &["--config", &cfg], &[]);
    let c = server.connect().await;
    // The malformed message is left out of scans.
    assert_eq!(
        ints(&c, "SELECT count(*), count(DISTINCT id) FROM kafka.clicks").await,
        [3000, 3000]
    );
    assert_eq!(
        ints(&c, "SELECT count(*), min(_offset), max(_offset) FROM kafka.clicks WHERE _partition = 2 AND _offset BETWEEN 10 AND 19").await,
        [10, 10, 19]
    );
    assert_eq!(
        ints(
            &c,
            "SELECT count(*) FROM kafka.clicks WHERE _partition IN (0, 1) AND _offset >= 990"
        )
        .await,
        [10 + 10]
    );
    let columns: Vec<String> = c
        .query(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'kafka' \
             AND table_name = 'clicks' ORDER BY ordinal_position",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        columns,
        ["id", "page", "_partition", "_offset", "_timestamp", "_key"]
    );
    let key: String = c
        .query_one(
            "SELECT _key FROM kafka.clicks WHERE _partition = 1 AND _offset = 0",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(key.starts_with('k'), "{key}");

    // A table made with SQL, its columns inferred from the topic, is there after a restart.
    c.batch_execute(&format!(
        "CREATE EXTERNAL TABLE kafka.clicks_sql STORED AS KAFKA LOCATION 'clicks' \
         OPTIONS ('bootstrap.servers' '{brokers}', 'sample' '500')"
    ))
    .await
    .unwrap();
    assert_eq!(
        ints(&c, "SELECT count(*), sum(ms) / 10 FROM kafka.clicks_sql").await,
        [3000, (0..3000).sum::<i64>()]
    );
    for (sql, code) in [
        (
            format!(
                "CREATE EXTERNAL TABLE kafka.clicks_sql STORED AS KAFKA LOCATION 'clicks' OPTIONS ('bootstrap.servers' '{brokers}')"
            ),
            "42P07",
        ),
        (
            "CREATE EXTERNAL TABLE kafka.nobrokers STORED AS KAFKA LOCATION 'clicks'".to_owned(),
            "22023",
        ),
        (
            format!(
                "CREATE EXTERNAL TABLE kafka.nothere STORED AS KAFKA LOCATION 'no_such_topic' OPTIONS ('bootstrap.servers' '{brokers}')"
            ),
            "42P01",
        ),
        (
            format!(
                "CREATE EXTERNAL TABLE silver.k STORED AS KAFKA LOCATION 'clicks' OPTIONS ('bootstrap.servers' '{brokers}')"
            ),
            "3F000",
        ),
        (
            format!(
                "CREATE EXTERNAL TABLE kafka.k2 STORED AS KAFKA LOCATION 'clicks' OPTIONS ('bootstrap.servers' '{brokers}', 'group.id' 'mine')"
            ),
            "22023",
        ),
        (
            format!(
                "CREATE EXTERNAL TABLE kafka.k3 STORED AS KAFKA LOCATION 'clicks' OPTIONS ('bootstrap.servers' '{brokers}', 'sample' 'many')"
            ),
            "22023",
        ),
        (
            format!(
                "CREATE EXTERNAL TABLE kafka.k4 (tags INT[]) STORED AS KAFKA LOCATION 'clicks' OPTIONS ('bootstrap.servers' '{brokers}')"
            ),
            "0A000",
        ),
        ("DROP TABLE kafka.clicks".to_owned(), "0A000"),
        ("DROP TABLE kafka.never".to_owned(), "42P01"),
    ] {
        let e = c.batch_execute(&sql).await.unwrap_err();
        assert_eq!(sqlstate(&e), code, "{sql}: {e}");
    }
    drop(c);
    drop(server);
    let server = Server::start_in(dir.path(), &["--config", &cfg], &[]);
    let c = server.connect().await;
    assert_eq!(
        ints(&c, "SELECT count(*) FROM kafka.clicks_sql").await,
        [3000]
    );
    c.batch_execute("DROP TABLE kafka.clicks_sql; DROP TABLE IF EXISTS kafka.clicks_sql")
        .await
        .unwrap();
    let e = c
        .query_one("SELECT count(*) FROM kafka.clicks_sql", &[])
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&e), "42P01");
}

fn ingest_config(dir: &std::path::Path, brokers: &str) -> String {
    ingest_config_for(dir, brokers, "events")
}

/// The ingestion of `topic` into table `events`.
fn ingest_config_for(dir: &std::path::Path, brokers: &str, topic: &str) -> String {
    config(
        dir,
        &format!(
            "gen_schema = false\n[[kafka]]\nname = 'events'\ntopic = '{topic}'\nbrokers = '{brokers}'\n\
             [[kafka.columns]]\nname = 'seq'\ntype = 'bigint'\n\
             [[kafka.columns]]\nname = 'page'\ntype = 'text'\n\
             [kafka.ingest]\nbatch_size = 4000\ninterval_ms = 100\n"
        ),
    )
}

/// `n` events over `partitions` partitions, numbered from `from` per partition; every 500th is
/// malformed (bad JSON or a wrong type, alternately).
fn events(partitions: i32, from: i64, n: i64) -> impl Iterator<Item = (i32, String)> {
    (from..from + n).flat_map(move |seq| {
        (0..partitions).map(move |p| {
            let payload = match seq % 1000 {
                499 => format!(r#"{{"seq": {seq}, "page": "/x""#),
                999 => format!(r#"{{"seq": "s{seq}", "page": "/y"}}"#),
                _ => format!(r#"{{"seq": {seq}, "page": "/p/{}"}}"#, seq % 11),
            };
            (p, payload)
        })
    })
}

fn good_events(partitions: i32, from: i64, n: i64) -> impl Iterator<Item = (i32, String)> {
    (from..from + n).flat_map(move |seq| {
        (0..partitions).map(move |p| (p, format!(r#"{{"seq": {seq}, "page": "/"}}"#)))
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn ingestion_is_exactly_once_across_a_crash() {
    // librdkafka's mock cluster, or the real broker scripts/exactly-once-real-broker starts.
    let (_cluster, brokers, topic) = match std::env::var("ALOE_TEST_KAFKA_BROKERS") {
        Ok(brokers) => {
            let topic = format!(
                "events_{}_{}",
                std::process::id(),
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_millis()
            );
            create_topic(&brokers, &topic, 4).await;
            (None, brokers, topic)
        }
        Err(_) => {
            let cluster = MockCluster::new(1).unwrap();
            cluster.create_topic("events", 4, 1).unwrap();
            let brokers = cluster.bootstrap_servers();
            (Some(cluster), brokers, "events".to_owned())
        }
    };
    // 100,000 events: 25,000 per partition, 200 of them malformed.
    produce(&brokers, &topic, events(4, 0, 25_000));
    let dir = tempfile::tempdir().unwrap();
    let cfg = ingest_config_for(dir.path(), &brokers, &topic);
    let mut server = Server::start_in(dir.path(), &["--config", &cfg], &[]);
    let c = server.connect().await;
    // Killed in the middle of ingestion, as a crash would.
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let n = c
            .query_one("SELECT count(*) FROM bronze.events", &[])
            .await
            .map(|r| r.get::<_, i64>(0))
            .unwrap_or(0);
        if n > 0 {
            assert!(
                n < 99_800,
                "the crash should come mid-way, {n} rows landed already"
            );
            break;
        }
        assert!(Instant::now() < deadline, "nothing landed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.kill();
    drop(c);
    let server = Server::start_in(dir.path(), &["--config", &cfg], &[]);
    let c = server.connect().await;
    wait_for(&c, "SELECT count(*) FROM bronze.events", 99_800).await;
    wait_for(&c, "SELECT count(*) FROM bronze.events_quarantine", 200).await;
    // Each (partition, offset) exactly once, and each partition's offsets without a hole
    // except where the quarantine has the message.
    assert_eq!(
        ints(&c, "SELECT (SELECT count(*) FROM (SELECT DISTINCT _partition, _offset FROM bronze.events) o), \
                 (SELECT count(*) FROM (SELECT DISTINCT _partition, seq FROM bronze.events) s)").await,
        [99_800, 99_800]
    );
    let partitions_complete = c
        .query(
            "SELECT _partition FROM (SELECT _partition, _offset FROM bronze.events \
             UNION ALL SELECT _partition, _offset FROM bronze.events_quarantine) \
             GROUP BY _partition HAVING count(*) = 25000 AND count(DISTINCT _offset) = 25000 \
             AND max(_offset) = 24999",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(partitions_complete.len(), 4);
    let reasons: Vec<String> = c
        .query(
            "SELECT DISTINCT reason FROM bronze.events_quarantine ORDER BY 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(
        reasons.len() >= 2,
        "a JSON error and a type error: {reasons:?}"
    );
    let raw: Vec<u8> = c
        .query_one(
            "SELECT raw FROM bronze.events_quarantine WHERE _partition = 0 ORDER BY _offset LIMIT 1",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(raw, br#"{"seq": 499, "page": "/x""#);
    // aloe.ingest_status shows every partition caught up.
    wait_for(
        &c,
        "SELECT sum(lag) FROM aloe.ingest_status WHERE table_name = 'events'",
        0,
    )
    .await;
    assert_eq!(
        ints(
            &c,
            "SELECT count(*), min(ingested_offset), max(ingested_offset), min(high_watermark), \
                  CAST(max(rows) > 0 AS BIGINT) FROM aloe.ingest_status"
        )
        .await,
        [4, 25_000, 25_000, 25_000, 1]
    );
    // The same figures on the Prometheus port.
    let (status, body) = server.http_get("/metrics");
    assert!(status.contains("200"), "{status}");
    let samples: Vec<&str> = body
        .lines()
        .filter(|l| {
            l.starts_with("aloe_kafka_ingested_offset{") || l.starts_with("aloe_kafka_lag{")
        })
        .collect();
    assert_eq!(samples.len(), 8, "{body}");
    for s in &samples {
        let value = s.rsplit(' ').next().unwrap();
        let want = if s.starts_with("aloe_kafka_lag") {
            "0"
        } else {
            "25000"
        };
        assert_eq!(value, want, "{s}");
        assert!(
            s.contains("table=\"events\"") && s.contains(&format!("topic=\"{topic}\"")),
            "{s}"
        );
    }
    assert!(
        body.contains("# TYPE aloe_kafka_ingested_rows_total counter"),
        "{body}"
    );
    assert!(server.http_get("/health").0.contains("200"));
    assert!(server.http_get("/nothing").0.contains("404"));
    // Nothing is left in the tail; reading the whole topic explicitly still works.
    assert_eq!(ints(&c, "SELECT count(*) FROM kafka.events").await, [0]);
    assert_eq!(
        ints(&c, "SELECT count(*) FROM kafka.events WHERE _offset >= 0").await,
        [99_800]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_broker_down_and_back_delays_ingestion_without_losing_events() {
    let cluster = MockCluster::new(1).unwrap();
    cluster.create_topic("events", 2, 1).unwrap();
    let brokers = cluster.bootstrap_servers();
    produce(&brokers, "events", good_events(2, 0, 1000));
    let dir = tempfile::tempdir().unwrap();
    let cfg = ingest_config(dir.path(), &brokers);
    let server = Server::start_in(dir.path(), &["--config", &cfg], &[]);
    let c = server.connect().await;
    let first = 2 * 1000;
    wait_for(&c, "SELECT count(*) FROM bronze.events", first).await;
    cluster.broker_down(1).unwrap();
    // While the broker is away, bronze still answers and a scan of the topic fails cleanly.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        ints(&c, "SELECT count(*) FROM bronze.events").await,
        [first]
    );
    cluster.broker_up(1).unwrap();
    produce(&brokers, "events", good_events(2, 1000, 1000));
    wait_for(&c, "SELECT count(*) FROM bronze.events", first + 2 * 1000).await;
    assert_eq!(
        ints(
            &c,
            "SELECT count(*) FROM (SELECT DISTINCT _partition, _offset FROM bronze.events) o"
        )
        .await,
        [first + 2 * 1000]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_live_view_has_no_gap_and_no_overlap_while_events_arrive() {
    let cluster = MockCluster::new(1).unwrap();
    cluster.create_topic("events", 3, 1).unwrap();
    let brokers = cluster.bootstrap_servers();
    let dir = tempfile::tempdir().unwrap();
    let cfg = ingest_config(dir.path(), &brokers);
    produce(
        &brokers,
        "events",
        (0..3).map(|p| (p, r#"{"seq": 0, "page": "/"}"#.to_owned())),
    );
    let server = Server::start_in(dir.path(), &["--config", &cfg], &[]);
    let c = server.connect().await;
    // A producer keeps sending numbered events to each partition while the view is read.
    let done = Arc::new(AtomicBool::new(false));
    let stop = done.clone();
    let b = brokers.clone();
    let writer = std::thread::spawn(move || {
        let p = producer(&b);
        let mut seq = 1i64;
        while !stop.load(Ordering::Relaxed) {
            for partition in 0..3 {
                let payload = format!(r#"{{"seq": {seq}, "page": "/"}}"#);
                let _ = p.send(
                    BaseRecord::<(), _>::to("events")
                        .partition(partition)
                        .payload(&payload),
                );
            }
            seq += 1;
            // About 3,000 events a second: a busy shop, and a pace the mock broker keeps up with.
            p.poll(Duration::from_millis(1));
        }
        p.flush(Duration::from_secs(30)).unwrap();
        seq
    });
    let mut checks = 0;
    let mut saw_both_halves = false;
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline && (checks < 10 || !saw_both_halves) {
        let rows = c
            .query(
                "SELECT _partition::BIGINT, count(*), count(DISTINCT seq), max(seq) \
                 FROM live.events GROUP BY 1 ORDER BY 1",
                &[],
            )
            .await
            .unwrap();
        assert_eq!(rows.len(), 3);
        for r in &rows {
            let (n, distinct, max): (i64, i64, i64) = (r.get(1), r.get(2), r.get(3));
            assert_eq!(n, distinct, "an event counted twice");
            assert_eq!(n, max + 1, "an event missing");
        }
        let landed = c
            .query_one("SELECT count(*) FROM bronze.events", &[])
            .await
            .map(|r| r.get::<_, i64>(0))
            .unwrap_or(0);
        let tail = ints(&c, "SELECT count(*) FROM kafka.events").await[0];
        saw_both_halves |= landed > 0 && tail > 0;
        checks += 1;
    }
    done.store(true, Ordering::Relaxed);
    let last = writer.join().unwrap();
    assert!(checks >= 10, "{checks} checks");
    assert!(
        saw_both_halves,
        "the view was read while both bronze and the tail had events"
    );
    wait_for(&c, "SELECT count(*) FROM live.events", 3 * last).await;
    wait_for(&c, "SELECT count(*) FROM bronze.events", 3 * last).await;
}
