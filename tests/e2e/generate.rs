//! `aloe generate`: the real binary writes the business into a lake folder; a server on that
//! folder reads the files back as bronze tables, whose parts agree with each other.

use std::path::Path;
use std::process::{Command, Output};

use crate::harness::Server;

fn generate(dir: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_aloe"));
    cmd.arg("generate").args(args).current_dir(dir);
    for (k, _) in std::env::vars() {
        if k.starts_with("ALOE_") {
            cmd.env_remove(k);
        }
    }
    cmd.output().expect("run aloe generate")
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
