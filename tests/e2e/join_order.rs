//! Join order: a hash join builds on the side that is really smaller, also when that side is
//! an aggregate over a big table (plan/statistics.rs).

use crate::harness::{Server, aloe, explain_analyze, one_i64, plan_count};

/// The `build_input_rows` of the hash join on `key` in an `EXPLAIN ANALYZE` of `sql`.
async fn build_rows(c: &tokio_postgres::Client, sql: &str, key: &str) -> u64 {
    let plan = explain_analyze(c, sql).await;
    let join = plan
        .lines()
        .find(|l| l.contains("HashJoinExec") && l.contains(&format!("on=[({key}@")))
        .unwrap_or_else(|| panic!("a hash join on {key}:\n{plan}"));
    plan_count(join, "build_input_rows")
}

/// The SQL of a model in `sql/`, without its header.
fn model_sql(path: &str) -> String {
    let text =
        std::fs::read_to_string(crate::harness::repo().join("sql").join(path)).expect("the model");
    let body = match text.trim_start().strip_prefix("/*") {
        Some(rest) => &rest[rest.find("*/").expect("the header's end") + 2..],
        None => &text,
    };
    body.trim().trim_end_matches(';').to_owned()
}

#[tokio::test]
async fn order_attribution_builds_its_session_join_on_the_orders_not_the_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let models = crate::harness::repo().join("sql").canonicalize().unwrap();
    std::fs::write(
        dir.path().join("aloe.toml"),
        format!(
            "models_dir = \"{}\"\n[generate]\nstart_date = 2025-01-01\nend_date = 2025-01-14\n\
             events_per_day = 5000\n[auth]\ntrust = true\n",
            models.display()
        ),
    )
    .unwrap();
    for step in [&["generate", "all"][..], &["run"][..]] {
        let out = aloe(dir.path(), step);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let server = Server::start_in(dir.path(), &[], &[]);
    let c = server.connect().await;
    let orders = one_i64(&c, "SELECT count(*) FROM silver.orders").await;
    let sessions = one_i64(
        &c,
        "SELECT count(*) FROM silver.sessions WHERE NOT is_direct",
    )
    .await;
    assert!(
        sessions > 20 * orders,
        "{sessions} sessions, {orders} orders"
    );
    // The purchases side is an aggregate over every web event, which DataFusion alone takes
    // for as many rows as there are events; its groups are bounded by the range of order_id.
    let sql = model_sql("gold/order_attribution.sql");
    let built = build_rows(&c, &sql, "anonymous_id").await;
    assert!(
        built <= orders as u64,
        "built on {built} rows, {orders} orders"
    );
    c.batch_execute("SET datafusion.optimizer.use_statistics_registry = false")
        .await
        .unwrap();
    let built = build_rows(&c, &sql, "anonymous_id").await;
    assert!(
        built > orders as u64,
        "DataFusion alone builds on the sessions: {built}"
    );
}
