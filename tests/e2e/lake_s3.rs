//! The lake on S3: every zone in a bucket of a real S3 HTTP endpoint on loopback (moto's
//! server, installed by ./scripts/test-all), reached with credentials from the AWS_* variables.
//! Files landed by another tool are found, writes (Delta commits, views, a 20 MiB multipart
//! file) persist across a restart, and paths outside the zones are refused.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::{Server, one_i64, python, sqlstate};

/// moto's S3 server on a free loopback port; killed when dropped.
struct S3Endpoint {
    child: Child,
    url: String,
}

impl S3Endpoint {
    fn start() -> S3Endpoint {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let python = python();
        let child = Command::new(&python)
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot run {python} -m moto.server: {e}; ./scripts/test-all installs moto")
            });
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(addr).is_err() {
            assert!(
                Instant::now() < deadline,
                "moto's S3 server did not listen within 60 s (is moto[server] installed in {python}?)"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        S3Endpoint {
            child,
            url: format!("http://{addr}"),
        }
    }

    fn tool(&self, args: &[&str]) -> String {
        let script = crate::harness::repo().join("tests/clients/s3_tool.py");
        let out = Command::new(python())
            .arg(script)
            .arg(&self.url)
            .args(args)
            .output()
            .expect("run s3_tool.py");
        assert!(
            out.status.success(),
            "s3_tool {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Size and key of each object under `prefix`.
    fn list(&self, prefix: &str) -> Vec<(u64, String)> {
        self.tool(&["ls", "lake", prefix])
            .lines()
            .map(|l| {
                let (size, key) = l.split_once(' ').expect("size key");
                (size.parse().unwrap(), key.to_owned())
            })
            .collect()
    }
}

impl Drop for S3Endpoint {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn config(endpoint: &str) -> String {
    format!(
        r#"gen_schema = true

[zones]
bronze = "s3://lake/bronze"
silver = "s3://lake/silver"
gold = "s3://lake/gold"
public = "s3://lake/public"

[s3]
endpoint = "{endpoint}"
region = "us-east-1"
allow_http = true

[auth]
trust = true

[[tables]]
name = "web_events"
zone = "bronze"
uri = "events/"
format = "json"
partition_columns = ["dt"]
description = "Web events as landed from Kafka"
"#
    )
}

const AWS_ENV: [(&str, &str); 2] = [
    ("AWS_ACCESS_KEY_ID", "aloe-test"),
    ("AWS_SECRET_ACCESS_KEY", "aloe-test-secret"),
];

#[tokio::test]
async fn the_lake_on_s3_finds_writes_and_keeps_tables() {
    let s3 = S3Endpoint::start();
    s3.tool(&["mkbucket", "lake"]);
    let dir = tempfile::tempdir().unwrap();
    let landed = dir.path().join("landed.jsonl");
    std::fs::write(
        &landed,
        "{\"user\":\"a\",\"page\":\"/\"}\n{\"user\":\"b\",\"page\":\"/shop\"}\n",
    )
    .unwrap();
    s3.tool(&[
        "put",
        "lake",
        "bronze/events/dt=2025-01-01/part-0.jsonl",
        landed.to_str().unwrap(),
    ]);
    let config_path = dir.path().join("aloe.toml");
    std::fs::write(&config_path, config(&s3.url)).unwrap();
    let config_arg = config_path.to_str().unwrap();

    {
        let server = Server::start_in(dir.path(), &["--config", config_arg], &AWS_ENV);
        let client = server.connect().await;
        // Found by listing, and declared in aloe.toml with a description.
        let n: i64 = client
            .query_one(
                "SELECT count(*) FROM bronze.events WHERE dt = '2025-01-01'",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(n, 2);
        let description: Option<String> = client
            .query_one(
                "SELECT obj_description(c.oid, 'pg_class') FROM pg_class c \
                 JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE n.nspname = 'bronze' AND c.relname = 'web_events'",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(
            description.as_deref(),
            Some("Web events as landed from Kafka")
        );
        client
            .batch_execute(
                "CREATE TABLE silver.orders AS SELECT * FROM gen.orders WHERE order_id <= 500;
                 INSERT INTO silver.orders SELECT * FROM gen.orders WHERE order_id BETWEEN 1001 AND 1500;
                 CREATE TABLE visits (id BIGINT, page VARCHAR);
                 INSERT INTO visits VALUES (1, '/'), (2, '/shop');
                 CREATE VIEW gold.revenue AS SELECT payment_method, sum(revenue) AS eur FROM silver.orders GROUP BY payment_method;
                 CREATE SCHEMA analytics_marts;
                 CREATE TABLE analytics_marts.customers AS SELECT * FROM gen.customers WHERE customer_id <= 30;
                 CREATE SCHEMA scratch;
                 COPY (SELECT value AS id,
                              md5(CAST(value AS VARCHAR)) || md5(CAST(value * 7919 AS VARCHAR)) AS h
                       FROM generate_series(1, 700000))
                   TO 'bronze/big/data.parquet' (FORMAT parquet);",
            )
            .await
            .unwrap();
        let e = client
            .batch_execute("COPY (SELECT 1) TO 's3://another-bucket/x.csv'")
            .await
            .unwrap_err();
        assert_eq!(sqlstate(&e), "42501");
        // A table declared in aloe.toml is dropped there, not with SQL.
        let e = client
            .batch_execute("DROP TABLE bronze.web_events")
            .await
            .unwrap_err();
        assert_eq!(sqlstate(&e), "0A000");
    }

    // The Delta log and data files are in the bucket, and the big file went up in parts.
    let delta_log = s3.list("silver/orders/_delta_log/");
    assert_eq!(delta_log.len(), 2, "two commits: {delta_log:?}");
    let big = s3.list("bronze/big/");
    assert_eq!(big.len(), 1, "{big:?}");
    assert!(
        big[0].0 >= 20 * 1024 * 1024,
        "the file is {} bytes",
        big[0].0
    );
    assert!(
        s3.list("gold/_views/")
            .iter()
            .any(|(_, k)| k.ends_with("revenue.sql"))
    );

    let server = Server::start_in(dir.path(), &["--config", config_arg], &AWS_ENV);
    let client = server.connect().await;
    let orders: i64 = client
        .query_one("SELECT count(*) FROM silver.orders", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(orders, 1000);
    let visits: i64 = client
        .query_one("SELECT count(*) FROM visits", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(visits, 2);
    let channels: i64 = client
        .query_one("SELECT count(*) FROM gold.revenue", &[])
        .await
        .unwrap()
        .get(0);
    assert!(channels > 0);
    let big = client
        .query_one("SELECT count(*), count(DISTINCT h) FROM bronze.big", &[])
        .await
        .unwrap();
    assert_eq!(big.get::<_, i64>(0), 700_000);
    assert_eq!(big.get::<_, i64>(1), 700_000);
    // Schemas made by CREATE SCHEMA are kept in the bucket, the empty one too, and dropped
    // from it.
    assert_eq!(
        one_i64(&client, "SELECT count(*) FROM analytics_marts.customers").await,
        30
    );
    assert_eq!(
        one_i64(
            &client,
            "SELECT count(*) FROM pg_namespace WHERE nspname IN ('analytics_marts', 'scratch')"
        )
        .await,
        2
    );
    assert!(
        !s3.list("public/_schemas/analytics_marts/customers/_delta_log/")
            .is_empty()
    );
    client
        .batch_execute("DROP SCHEMA analytics_marts CASCADE; DROP SCHEMA scratch")
        .await
        .unwrap();
    assert!(
        s3.list("public/_schemas/").is_empty(),
        "{:?}",
        s3.list("public/_schemas/")
    );
}
