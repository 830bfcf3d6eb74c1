//! `aloe generate`: the real binary writes the business into a lake folder; a server on that
//! folder reads the files back as bronze tables, whose parts agree with each other.

use std::path::Path;
use std::process::{Command, Output};

use crate::harness::Server;

fn generate(dir: &Path, args: &[&str]) -> Output {
    crate::harness::aloe(dir, &[&["generate"], args].concat())
}

const SMALL: [&str; 8] = [
    "--start-date",
    "2025-11-26",
    "--end-date",
    "2025-11-29",
    "--events-per-day",
    "3000",
    "--initial-customers",
    "200",
];

#[tokio::test]
async fn generated_bronze_files_are_tables_that_agree() {
    let dir = tempfile::tempdir().unwrap();
    let out = generate(dir.path(), &[&["all"], &SMALL[..]].concat());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("wrote ") && stderr.contains(" rows"),
        "{stderr}"
    );

    let server = Server::start_in(dir.path(), &[], &[]);
    let client = server.connect().await;
    let one = |sql: &'static str| {
        let client = &client;
        async move {
            client
                .query_one(sql, &[])
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"))
                .get::<_, i64>(0)
        }
    };
    assert_eq!(
        one("SELECT count(DISTINCT dt) FROM bronze.web_events").await,
        4
    );
    let orders = one("SELECT count(*) FROM bronze.crm_orders").await;
    assert!(orders > 0);
    assert_eq!(
        one("SELECT count(*) FROM bronze.web_events WHERE event_type = 'purchase'").await,
        orders,
        "one purchase event per CRM order"
    );
    assert_eq!(
        one(
            "SELECT count(*) FROM bronze.web_events w LEFT JOIN bronze.crm_orders o \
             ON o.order_id = w.order_id WHERE w.event_type = 'purchase' AND o.order_id IS NULL"
        )
        .await,
        0
    );
    assert_eq!(
        one(
            "SELECT count(*) FROM bronze.crm_orders o LEFT JOIN bronze.crm_customers c \
             USING (customer_id) WHERE c.customer_id IS NULL"
        )
        .await,
        0
    );
    assert!(one("SELECT count(*) FROM bronze.crm_customers").await >= 200);
    assert!(one("SELECT count(*) FROM bronze.ads_daily").await > 0);
    assert!(one("SELECT count(*) FROM bronze.crm_products").await > 0);
    // Black Friday (28 November) is far busier than the Wednesday before it.
    let friday = one("SELECT count(*) FROM bronze.web_events WHERE dt = '2025-11-28'").await;
    let wednesday = one("SELECT count(*) FROM bronze.web_events WHERE dt = '2025-11-26'").await;
    assert!(friday * 2 > wednesday * 3, "{friday} vs {wednesday}");
}

#[test]
fn the_same_seed_writes_the_same_files_and_another_seed_others() {
    let read = |dir: &Path| {
        std::fs::read(dir.join("data/bronze/web_events/dt=2025-11-27/web_events.jsonl")).unwrap()
    };
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let c = tempfile::tempdir().unwrap();
    for (dir, seed) in [(&a, "7"), (&b, "7"), (&c, "8")] {
        let out = generate(dir.path(), &[&["web", "--seed", seed], &SMALL[..]].concat());
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(read(a.path()), read(b.path()));
    assert_ne!(read(a.path()), read(c.path()));
}

#[test]
fn bad_periods_are_refused_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let out = generate(
        dir.path(),
        &[
            "crm",
            "--start-date",
            "2025-10-02",
            "--end-date",
            "2025-10-01",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("generate.end_date"), "{stderr}");
    let out = generate(dir.path(), &["crm", "--start-date", "2025-13-01"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "clap rejects a date that does not exist"
    );
    let out = generate(dir.path(), &["everything"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!dir.path().join("data/bronze/crm_orders").exists());
}

/// Messages in `topic`: the sum of its partitions' high watermarks.
fn topic_size(brokers: &str, topic: &str) -> i64 {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", "test")
        .create()
        .unwrap();
    (0..2)
        .map(|p| {
            consumer
                .fetch_watermarks(topic, p, std::time::Duration::from_secs(10))
                .unwrap()
                .1
        })
        .sum()
}

fn first_event(brokers: &str, topic: &str) -> serde_json::Value {
    use rdkafka::Message;
    use rdkafka::consumer::{BaseConsumer, Consumer};
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", "test")
        .create()
        .unwrap();
    let mut tpl = rdkafka::TopicPartitionList::new();
    for p in 0..2 {
        tpl.add_partition_offset(topic, p, rdkafka::Offset::Beginning)
            .unwrap();
    }
    consumer.assign(&tpl).unwrap();
    loop {
        if let Some(Ok(m)) = consumer.poll(std::time::Duration::from_secs(10)) {
            return serde_json::from_slice(m.payload().unwrap()).unwrap();
        }
    }
}

fn sent(out: &Output) -> i64 {
    let err = String::from_utf8_lossy(&out.stderr);
    err.lines()
        .find_map(|l| l.strip_prefix("sent ")?.split(' ').next()?.parse().ok())
        .unwrap_or_else(|| panic!("no summary line: {err}"))
}

#[test]
fn stream_mode_holds_its_rate_and_stops_on_time_or_on_ctrl_c() {
    let cluster = rdkafka::mocking::MockCluster::new(1).unwrap();
    cluster.create_topic("web", 2, 1).unwrap();
    let brokers = cluster.bootstrap_servers();
    let dir = tempfile::tempdir().unwrap();
    let args = |duration: &'static str| {
        vec![
            "web",
            "--mode",
            "stream",
            "--events-per-minute",
            "3000",
            "--duration",
            duration,
            "--kafka",
            &brokers,
            "--topic",
            "web",
        ]
        .into_iter()
        .map(str::to_owned)
        .collect::<Vec<String>>()
    };
    let timed = args("2");
    let timed: Vec<&str> = timed.iter().map(String::as_str).collect();
    let out = generate(dir.path(), &timed);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let n = sent(&out);
    // 50 a second for 2 s: never ahead of the rate, and every event sent is in the topic.
    assert!(n > 0 && n <= 101, "{n}");
    assert_eq!(topic_size(&brokers, "web"), n);
    let event = first_event(&brokers, "web");
    for key in [
        "event_id",
        "event_type",
        "session_id",
        "anonymous_id",
        "page",
        "device",
    ] {
        assert!(event.get(key).is_some(), "{key} in {event}");
    }
    let at = chrono::DateTime::parse_from_rfc3339(event["event_time"].as_str().unwrap()).unwrap();
    let age = chrono::Utc::now().signed_duration_since(at);
    assert!(age.num_minutes() < 10, "stamped when sent: {event}");

    // Ctrl-C stops a long run early; what was sent is all delivered.
    let long = args("600");
    let mut child = Command::new(env!("CARGO_BIN_EXE_aloe"))
        .arg("generate")
        .args(&long)
        .current_dir(dir.path())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let started = std::time::Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        assert!(
            started.elapsed().as_secs() < 60,
            "still running after Ctrl-C"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(topic_size(&brokers, "web"), n + sent(&out));

    // Misuse is refused before anything is sent.
    let out = generate(dir.path(), &["web", "--mode", "stream"]);
    assert_eq!(out.status.code(), Some(2), "clap names the missing --kafka");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--kafka"));
    let out = generate(
        dir.path(),
        &["crm", "--mode", "stream", "--kafka", &brokers],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("web events only"));
}
