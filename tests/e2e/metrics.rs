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
    assert_eq!(body, "ready\n");
}
