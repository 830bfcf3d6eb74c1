//! Data tests declared in model headers: they run after each build, their results land in
//! `aloe.test_results` and the metrics, and a failing test of severity error keeps the model's
//! previous version published (tables and views alike).

use std::path::Path;

use crate::harness::{Server, one_i64, sqlstate, write};

const ORDERS_TESTS: &str = r#"/*
[[test]]
type = "not_null"
columns = ["order_id", "customer_id"]
[[test]]
type = "unique"
columns = ["order_id"]
[[test]]
type = "accepted_values"
column = "status"
values = ["completed", "returned", "cancelled"]
[[test]]
type = "relationships"
column = "customer_id"
to = "silver.customers"
[[test]]
type = "row_count"
min = 1
[[test]]
type = "sql"
name = "first_three"
severity = "warn"
query = "SELECT * FROM {this} WHERE order_id <= 3"
*/
"#;

fn project(dir: &Path, orders_query: &str) {
    write(
        dir,
        "sql/silver/customers.sql",
        "SELECT customer_id FROM gen.customers",
    );
    write(
        dir,
        "sql/silver/orders.sql",
        &format!("{ORDERS_TESTS}{orders_query}"),
    );
}

async fn results(c: &tokio_postgres::Client, run: i64) -> Vec<(String, String, String, i64, bool)> {
    c.query(
        "SELECT test, severity, status, failing_rows, blocked FROM aloe.test_results \
         WHERE model = 'silver.orders' AND run_id = $1 ORDER BY test",
        &[&run],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
    .collect()
}

fn row(
    test: &str,
    severity: &str,
    status: &str,
    failing: i64,
    blocked: bool,
) -> (String, String, String, i64, bool) {
    (
        test.into(),
        severity.into(),
        status.into(),
        failing,
        blocked,
    )
}

#[tokio::test]
async fn tests_run_after_each_build_and_an_error_keeps_the_previous_version() {
    let dir = tempfile::tempdir().unwrap();
    project(
        dir.path(),
        "SELECT order_id, customer_id, status, revenue FROM gen.orders",
    );
    let server = Server::start_in(dir.path(), &[], &[]);
    let c = server.connect().await;
    c.batch_execute("CALL aloe.run()").await.unwrap();
    let orders = one_i64(&c, "SELECT count(*) FROM gen.orders").await;
    let built = one_i64(&c, "SELECT count(*) FROM silver.orders").await;
    assert_eq!(built, orders);
    // Only the warn test fails, and it does not stop the model.
    assert_eq!(
        results(&c, 1).await,
        [
            row("accepted_values(status)", "error", "pass", 0, false),
            row("first_three", "warn", "fail", 3, false),
            row("not_null(order_id, customer_id)", "error", "pass", 0, false),
            row("relationships(customer_id)", "error", "pass", 0, false),
            row("row_count", "error", "pass", 0, false),
            row("unique(order_id)", "error", "pass", 0, false),
        ]
    );

    let published = orders_version(&c).await;
    assert!(published.is_some());

    // Ten orders twice and an unknown status: two error tests fail, the model is not
    // published and the previous version stays for readers.
    project(
        dir.path(),
        "SELECT order_id, customer_id, status, revenue FROM gen.orders \
         UNION ALL SELECT order_id, customer_id, 'lost' AS status, revenue FROM gen.orders \
         WHERE order_id <= 10",
    );
    let err = c
        .batch_execute("CALL aloe.run('silver.orders')")
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&err), "P0001");
    let message = err.as_db_error().unwrap().message().to_owned();
    assert!(message.contains("unique(order_id)"), "{message}");
    assert!(message.contains("accepted_values(status)"), "{message}");
    let still = one_i64(&c, "SELECT count(*) FROM silver.orders").await;
    assert_eq!(still, orders, "the previous version stays");
    assert_eq!(orders_version(&c).await, published, "no commit was made");
    let run2 = results(&c, 2).await;
    assert!(
        run2.contains(&row("unique(order_id)", "error", "fail", 10, true)),
        "{run2:?}"
    );
    assert!(
        run2.contains(&row("accepted_values(status)", "error", "fail", 10, true)),
        "{run2:?}"
    );
    // Orders 1 to 3 are there twice in the rows that were tested.
    assert!(
        run2.contains(&row("first_three", "warn", "fail", 6, false)),
        "{run2:?}"
    );
    let status: String = c
        .query_one("SELECT status FROM aloe.models WHERE name = 'orders'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(status, "failed");
    let staged = one_i64(
        &c,
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'aloe_staging'",
    )
    .await;
    assert_eq!(staged, 0, "staged rows are gone after the run");
    let (_, metrics) = server.http_get("/metrics");
    assert!(
        metrics.contains(
            "aloe_model_tests_total{model=\"silver.orders\",severity=\"error\",status=\"fail\",test=\"unique(order_id)\"} 1"
        ),
        "{metrics}"
    );
    assert!(
        metrics.contains("aloe_model_last_success{model=\"silver.orders\"} 0"),
        "{metrics}"
    );
    assert!(
        metrics.contains(
            "aloe_model_run_duration_seconds_count{model=\"silver.orders\",status=\"failed\"} 1"
        ),
        "{metrics}"
    );
    crate::harness::promtool_check(&metrics);
}

#[tokio::test]
async fn a_test_that_cannot_run_blocks_and_a_view_keeps_its_previous_definition() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "sql/gold/payments.sql",
        "/*\nmaterialized = \"view\"\n[[test]]\ntype = \"not_null\"\ncolumns = [\"payment_method\"]\n*/\n\
         SELECT payment_method, count(*) AS orders FROM gen.orders GROUP BY 1",
    );
    let server = Server::start_in(dir.path(), &[], &[]);
    let c = server.connect().await;
    c.batch_execute("CALL aloe.run()").await.unwrap();
    let methods = one_i64(&c, "SELECT count(*) FROM gold.payments").await;
    assert!(methods > 1);
    // The view's new query yields a NULL method: not published, the old view answers.
    write(
        dir.path(),
        "sql/gold/payments.sql",
        "/*\nmaterialized = \"view\"\n[[test]]\ntype = \"not_null\"\ncolumns = [\"payment_method\"]\n*/\n\
         SELECT CAST(NULL AS VARCHAR) AS payment_method, count(*) AS orders FROM gen.orders",
    );
    let err = c.batch_execute("CALL aloe.run()").await.unwrap_err();
    assert_eq!(sqlstate(&err), "P0001");
    let after = one_i64(&c, "SELECT count(*) FROM gold.payments").await;
    assert_eq!(after, methods);
    // A test over a column the model does not have cannot run: status error, and it blocks.
    write(
        dir.path(),
        "sql/gold/payments.sql",
        "/*\nmaterialized = \"view\"\n[[test]]\ntype = \"unique\"\ncolumns = [\"no_such\"]\n*/\n\
         SELECT payment_method FROM gen.orders GROUP BY 1",
    );
    let err = c.batch_execute("CALL aloe.run()").await.unwrap_err();
    assert!(
        err.as_db_error()
            .unwrap()
            .message()
            .contains("unique(no_such) could not run"),
        "{err:?}"
    );
    let statuses: Vec<(String, bool)> = c
        .query(
            "SELECT status, blocked FROM aloe.test_results WHERE run_id = 3",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(statuses, [("error".to_string(), true)]);
    // A header whose test is incomplete is refused before anything runs, naming the file.
    write(
        dir.path(),
        "sql/gold/payments.sql",
        "/*\n[[test]]\ntype = \"accepted_values\"\ncolumn = \"payment_method\"\n*/\nSELECT 1 AS x",
    );
    let err = c.batch_execute("CALL aloe.run()").await.unwrap_err();
    let message = err.as_db_error().unwrap().message().to_owned();
    assert!(
        message.contains("payments.sql") && message.contains("values"),
        "{message}"
    );
}

async fn orders_version(c: &tokio_postgres::Client) -> Option<i64> {
    c.query_one("SELECT version FROM aloe.models WHERE name = 'orders'", &[])
        .await
        .unwrap()
        .get(0)
}

#[test]
fn freshness_fails_on_old_data_and_passes_within_its_age() {
    let dir = tempfile::tempdir().unwrap();
    let model = |age: &str| {
        format!(
            "/*\n[[test]]\ntype = \"freshness\"\ncolumn = \"order_time\"\nmax_age = \"{age}\"\n*/\n\
             SELECT order_id, order_time FROM gen.orders\n"
        )
    };
    // Generated orders end in 2025: their newest is older than two days.
    write(dir.path(), "sql/silver/recent_orders.sql", &model("2 days"));
    let out = crate::harness::aloe(dir.path(), &["run"]);
    let report = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert!(
        report.contains("test freshness(order_time) failed (1 failing row)"),
        "{report}"
    );
    write(
        dir.path(),
        "sql/silver/recent_orders.sql",
        &model("100000 days"),
    );
    let out = crate::harness::aloe(dir.path(), &["run"]);
    let report = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{report}");
    assert!(
        report.contains("test freshness(order_time) passed"),
        "{report}"
    );
}
