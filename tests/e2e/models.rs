//! SQL models: `aloe run` and `CALL aloe.run()` build sql/silver and sql/gold in dependency
//! order; a failing model keeps its previous version and its dependents are skipped; readers
//! see a model's old table or its new one, never a half-written one.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Output;

use crate::harness::{Server, one_i64, sqlstate, write};

fn aloe_run(dir: &Path, args: &[&str]) -> Output {
    crate::harness::aloe(dir, &[&["run"], args].concat())
}

fn project(dir: &Path) {
    write(
        dir,
        "sql/silver/orders.sql",
        "/*\ndescription = \"Orders that were not cancelled\"\n*/\n\
         SELECT order_id, customer_id, order_date, payment_method, revenue\n\
         FROM gen.orders WHERE status <> 'cancelled';\n",
    );
    write(
        dir,
        "sql/gold/daily_revenue.sql",
        "SELECT order_date AS day, count(*) AS orders, sum(revenue) AS revenue\n\
         FROM silver.orders GROUP BY order_date",
    );
    write(
        dir,
        "sql/gold/by_payment.sql",
        "/* materialized = \"view\" */\n\
         SELECT payment_method, count(*) AS orders FROM silver.orders GROUP BY 1",
    );
    write(
        dir,
        "sql/gold/broken.sql",
        "SELECT no_such_column FROM silver.orders",
    );
    write(
        dir,
        "sql/gold/after_broken.sql",
        "SELECT * FROM gold.broken",
    );
}

#[tokio::test]
async fn models_build_in_order_and_a_failure_is_isolated() {
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    let out = aloe_run(dir.path(), &[]);
    let report = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{report}");
    let lines: Vec<&str> = report.lines().collect();
    let position = |model: &str| {
        lines
            .iter()
            .position(|l| l.contains(model))
            .unwrap_or_else(|| panic!("{model} not in {report}"))
    };
    assert!(
        position("silver.orders") < position("gold.daily_revenue"),
        "{report}"
    );
    assert!(
        lines[position("gold.broken")].starts_with("failed"),
        "{report}"
    );
    assert!(lines[position("gold.broken")].contains("42703"), "{report}");
    assert!(
        lines[position("gold.after_broken")].starts_with("skipped"),
        "{report}"
    );
    assert!(
        lines[position("gold.by_payment")].starts_with("success"),
        "{report}"
    );
    assert!(report.contains("2 of 5 models did not build"), "{report}");

    // Only what was asked, and what depends on it.
    let out = aloe_run(dir.path(), &["daily_revenue"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = aloe_run(dir.path(), &["--select", "nope+"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no model named \"nope\""));

    let server = Server::start_in(dir.path(), &[], &[]);
    let c = server.connect().await;
    let row = c
        .query_one(
            "SELECT (SELECT sum(orders) FROM gold.daily_revenue), \
                    (SELECT count(*) FROM gen.orders WHERE status <> 'cancelled'), \
                    (SELECT sum(orders) FROM gold.by_payment)",
            &[],
        )
        .await
        .unwrap();
    let (daily, direct, by_payment): (i64, i64, i64) = (row.get(0), row.get(1), row.get(2));
    assert_eq!(daily, direct);
    assert_eq!(by_payment, direct);
    let description: Option<String> = c
        .query_one(
            "SELECT obj_description('silver.orders'::regclass, 'pg_class')",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        description.as_deref(),
        Some("Orders that were not cancelled")
    );
    let e = c
        .query_one("SELECT * FROM gold.broken", &[])
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&e), "42P01");

    // From SQL: the report comes back as rows, and aloe.models/aloe.runs keep the story.
    let rows = c
        .query("CALL aloe.run('silver.orders+', '-nothing')", &[])
        .await;
    assert_eq!(sqlstate(&rows.unwrap_err()), "42704");
    let e = c
        .query("CALL aloe.run('silver.orders+')", &[])
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&e), "P0001");
    let message = e
        .as_db_error()
        .map(|d| d.message().to_owned())
        .unwrap_or_default();
    assert!(message.contains("gold.broken"), "{message}");
    let built = c
        .query("CALL aloe.run('gold.daily_revenue', 'by_payment')", &[])
        .await
        .unwrap();
    let models: BTreeSet<String> = built.iter().map(|r| r.get("model")).collect();
    assert_eq!(
        models,
        BTreeSet::from(["gold.by_payment".into(), "gold.daily_revenue".into()])
    );
    assert!(
        built
            .iter()
            .all(|r| r.get::<_, &str>("status") == "success")
    );
    let state: Vec<(String, String, Option<String>)> = c
        .query(
            "SELECT zone || '.' || name, materialized, status FROM aloe.models ORDER BY 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(
        state,
        [
            (
                "gold.after_broken".into(),
                "table".into(),
                Some("skipped".into())
            ),
            ("gold.broken".into(), "table".into(), Some("failed".into())),
            (
                "gold.by_payment".into(),
                "view".into(),
                Some("success".into())
            ),
            (
                "gold.daily_revenue".into(),
                "table".into(),
                Some("success".into())
            ),
            (
                "silver.orders".into(),
                "table".into(),
                Some("success".into())
            ),
        ]
    );
    let deps: String = c
        .query_one(
            "SELECT depends_on FROM aloe.models WHERE name = 'daily_revenue'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(deps, "silver.orders");
    // The two CALLs, and the two `aloe run` invocations before the server started: the
    // history is kept in the lake.
    let runs = one_i64(&c, "SELECT count(DISTINCT run_id) FROM aloe.runs").await;
    assert_eq!(runs, 4);

    // A model broken later keeps its last good table.
    write(
        dir.path(),
        "sql/gold/daily_revenue.sql",
        "SELECT nothing FROM silver.orders",
    );
    let e = c
        .query("CALL aloe.run('daily_revenue')", &[])
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&e), "P0001");
    let still = one_i64(&c, "SELECT sum(orders) FROM gold.daily_revenue").await;
    assert_eq!(still, direct);

    // Models that read each other in a circle are refused before anything runs.
    write(dir.path(), "sql/silver/a.sql", "SELECT * FROM silver.b");
    write(dir.path(), "sql/silver/b.sql", "SELECT * FROM silver.a");
    let out = aloe_run(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cycle"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn readers_see_the_old_table_or_the_new_one_never_half() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "sql/silver/items.sql",
        "SELECT i.* FROM gen.order_items i WHERE i.order_id <= (SELECT max(n) FROM public.knob)",
    );
    let server = Server::start_in(dir.path(), &[], &[]);
    let writer = server.connect().await;
    let reader = server.connect().await;
    writer
        .batch_execute("CREATE TABLE knob AS SELECT 100 AS n")
        .await
        .unwrap();
    let mut allowed = BTreeSet::new();
    let expected = |n: i64| format!("SELECT count(*) FROM gen.order_items WHERE order_id <= {n}");
    writer
        .query("CALL aloe.run('silver.items')", &[])
        .await
        .unwrap();
    allowed.insert(
        writer
            .query_one(&expected(100), &[])
            .await
            .unwrap()
            .get::<_, i64>(0),
    );
    let reads = tokio::spawn(async move {
        let mut seen = Vec::new();
        for _ in 0..200 {
            let n: i64 = reader
                .query_one("SELECT count(*) FROM silver.items", &[])
                .await
                .unwrap()
                .get(0);
            seen.push(n);
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        seen
    });
    for n in [700, 1500, 3000, 4000] {
        writer
            .batch_execute(&format!("INSERT INTO knob VALUES ({n})"))
            .await
            .unwrap();
        allowed.insert(
            writer
                .query_one(&expected(n), &[])
                .await
                .unwrap()
                .get::<_, i64>(0),
        );
        writer
            .query("CALL aloe.run('silver.items')", &[])
            .await
            .unwrap();
    }
    let seen = reads.await.unwrap();
    for n in &seen {
        assert!(
            allowed.contains(n),
            "a reader saw {n} rows; versions had {allowed:?}"
        );
    }
    let distinct: BTreeSet<_> = seen.iter().collect();
    assert!(
        distinct.len() >= 2,
        "the reader overlapped the rebuilds: {distinct:?}"
    );
}

#[tokio::test]
async fn a_scheduled_model_is_rebuilt_when_its_time_comes() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "sql/gold/ticks.sql",
        "/* schedule = \"* * * * * *\" */\nSELECT count(*) AS products FROM gen.products",
    );
    let server = Server::start_in(dir.path(), &[], &[]);
    let c = server.connect().await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let runs = one_i64(
            &c,
            "SELECT count(*) FROM aloe.runs WHERE model = 'gold.ticks' AND status = 'success'",
        )
        .await;
        if runs >= 2 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the schedule did not fire twice"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let products = one_i64(&c, "SELECT products FROM gold.ticks").await;
    assert_eq!(products, 120);
    let schedule: String = c
        .query_one("SELECT schedule FROM aloe.models WHERE name = 'ticks'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(schedule, "* * * * * *");

    // A schedule that is not cron is refused with the file's name.
    write(
        dir.path(),
        "sql/gold/bad.sql",
        "/* schedule = \"every day\" */\nSELECT 1 AS x",
    );
    let out = aloe_run(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.sql") && err.contains("every day"),
        "{err}"
    );
}

#[tokio::test]
async fn a_schedule_in_aloe_toml_runs_its_selection_and_downstream() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "sql/silver/products.sql",
        "SELECT product_id, category FROM gen.products",
    );
    write(
        dir.path(),
        "sql/gold/categories.sql",
        "SELECT category, count(*) AS products FROM silver.products GROUP BY 1",
    );
    write(dir.path(), "sql/gold/unscheduled.sql", "SELECT 1 AS x");
    write(
        dir.path(),
        "aloe.toml",
        "[[schedule]]\ncron = \"*/2 * * * * *\"\nselect = [\"silver.products+\"]\n\
         [auth]\ntrust = true\n",
    );
    let server = Server::start_in(dir.path(), &[], &[]);
    let c = server.connect().await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let rows: Vec<(String, i64)> = c
            .query(
                "SELECT model, count(*) FROM aloe.runs WHERE status = 'success' GROUP BY 1 ORDER BY 1",
                &[],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        if rows.len() == 2 && rows.iter().all(|(_, n)| *n >= 1) {
            assert_eq!(rows[0].0, "gold.categories");
            assert_eq!(rows[1].0, "silver.products");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the aloe.toml schedule did not run: {rows:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let categories = one_i64(&c, "SELECT count(*) FROM gold.categories").await;
    assert!(categories > 1);
    drop(c);
    drop(server);
    // A schedule that is not cron stops the start, naming it.
    write(
        dir.path(),
        "aloe.toml",
        "[[schedule]]\ncron = \"hourly\"\nselect = [\"gold.categories\"]\n",
    );
    let out = crate::harness::aloe(dir.path(), &["serve", "--listen", "127.0.0.1:0"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("hourly") && stderr.contains("aloe.toml"),
        "{stderr}"
    );
}
