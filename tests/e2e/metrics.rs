//! The metrics port: `/metrics` passes `promtool check metrics` after real traffic, its values
//! move with the traffic (connections, statements by kind and outcome, latency, rows and bytes
//! sent, per-table rows and age), and `/ready` answers once the lake does.

use crate::harness::Server;

/// The value of the sample `name` (with its labels, as printed), or 0 when absent.
fn sample(metrics: &str, name: &str) -> f64 {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test]
async fn metrics_follow_traffic_and_pass_promtool() {
    let server = Server::start_with(&["--max-connections", "2"]);
    let (_, before) = server.http_get("/metrics");
    let c = server.connect().await;
    c.batch_execute("CREATE TABLE bronze.ten AS SELECT * FROM gen.products WHERE product_id <= 10")
        .await
        .unwrap();
    let rows = c.query("SELECT * FROM bronze.ten", &[]).await.unwrap();
    assert_eq!(rows.len(), 10);
    assert!(
        c.query("SELECT no_such_column FROM bronze.ten", &[])
            .await
            .is_err()
    );
    // A third connection is one too many.
    let _second = server.connect().await;
    let refused = tokio_postgres::connect(&server.conninfo(), tokio_postgres::NoTls).await;
    assert!(refused.is_err());

    let (status, after) = server.http_get("/metrics");
    assert!(status.contains("200"), "{status}");
    let moved = |name: &str| sample(&after, name) - sample(&before, name);
    assert!(moved("aloe_statements_total{kind=\"select\",outcome=\"ok\"}") >= 1.0);
    assert!(moved("aloe_statements_total{kind=\"select\",outcome=\"error\"}") >= 1.0);
    assert!(moved("aloe_statements_total{kind=\"create\",outcome=\"ok\"}") >= 1.0);
    assert!(moved("aloe_statement_duration_seconds_count{kind=\"select\"}") >= 2.0);
    assert!(moved("aloe_rows_sent_total") >= 10.0);
    assert!(moved("aloe_row_bytes_sent_total") > 100.0);
    assert_eq!(sample(&after, "aloe_connections_open"), 2.0);
    assert!(moved("aloe_connections_total") >= 2.0);
    assert_eq!(moved("aloe_connections_refused_total"), 1.0);
    assert_eq!(sample(&after, "aloe_statements_running"), 0.0);
    assert_eq!(
        sample(&after, "aloe_table_rows{schema=\"bronze\",table=\"ten\"}"),
        10.0
    );
    let age = sample(
        &after,
        "aloe_table_age_seconds{schema=\"bronze\",table=\"ten\"}",
    );
    assert!((0.0..600.0).contains(&age), "{age}");
    assert!(after.contains("aloe_memory_pool_reserved_bytes "));

    crate::harness::promtool_check(&after);

    let (ready, body) = server.http_get("/ready");
    assert!(ready.contains("200"), "{ready} {body}");
    // The server runs in a scratch folder without sql/: ready, with the reason it builds
    // nothing (no_models_folder_is_said_at_start_and_in_ready).
    assert!(body.starts_with("ready\n"), "{body}");
}

/// A server started where no models folder is says so in its log at start and in `/ready`,
/// naming the path it looked at; a folder without .sql models is said as well; a folder
/// with one says nothing.
#[test]
fn no_models_folder_is_said_at_start_and_in_ready() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let looked_at = std::fs::canonicalize(dir.path()).unwrap().join("sql");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_aloe"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--metrics-listen",
            "127.0.0.1:0",
        ])
        .args(["--no-seed", "--no-build-missing"])
        .current_dir(dir.path())
        .env_remove("ALOE_MODELS_DIR")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let line = stderr
        .lines()
        .map_while(Result::ok)
        .find(|l| l.contains("no models"))
        .expect("a log line about the models folder");
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        line.contains("WARN")
            && line.contains(&format!(
                "the models folder {} does not exist",
                looked_at.display()
            )),
        "{line}"
    );

    let server = crate::harness::Server::start_in(dir.path(), &[], &[]);
    let (status, body) = server.http_get("/ready");
    assert!(status.contains("200"), "{status}");
    assert!(
        body.contains(&format!(
            "warning: no models: the models folder {} does not exist",
            looked_at.display()
        )),
        "{body}"
    );
    drop(server);

    std::fs::create_dir_all(dir.path().join("sql/silver")).unwrap();
    let server = crate::harness::Server::start_in(dir.path(), &[], &[]);
    let (_, body) = server.http_get("/ready");
    assert!(
        body.contains("has no .sql file in silver/ or gold/"),
        "{body}"
    );
    drop(server);

    crate::harness::write(dir.path(), "sql/silver/one.sql", "SELECT 1 AS one\n");
    let server = crate::harness::Server::start_in(dir.path(), &[], &[]);
    let (_, body) = server.http_get("/ready");
    assert_eq!(body, "ready\n");
}
