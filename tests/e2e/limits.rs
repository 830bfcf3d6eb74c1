//! Limits (`[limits]`): the per-query memory cap (spill, or 53200 for that query alone), the
//! message-size cap (08P01), the login, statement and idle timeouts.

use std::time::{Duration, Instant};

use crate::harness::{Server, explain_analyze, one_i64, plan_count, sqlstate};
use crate::raw::{Raw, column, cstr};

fn capped_memory() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_in(
        dir.path(),
        &[],
        &[
            ("ALOE_LIMITS__MEMORY", "256MiB"),
            ("ALOE_LIMITS__QUERY_MEMORY", "64MiB"),
        ],
    );
    std::mem::forget(dir);
    server
}

#[tokio::test]
async fn a_query_over_its_memory_cap_fails_alone_while_small_queries_go_on() {
    let server = capped_memory();
    let greedy = server.connect().await;
    let mut small = Vec::new();
    for _ in 0..4 {
        small.push(server.connect().await);
    }
    // array_agg keeps every value and cannot spill: 20 M values need ~160 MB.
    let over = async {
        greedy
            .query_one(
                "SELECT cardinality(array_agg(x)) FROM generate_series(1, 20000000) t(x)",
                &[],
            )
            .await
    };
    let beside = async {
        let mut answered = 0;
        for round in 0..25i64 {
            for c in &small {
                let n = one_i64(
                    c,
                    &format!("SELECT count(*) FROM generate_series(1, {round} + 1000)"),
                )
                .await;
                assert_eq!(n, round + 1000);
                answered += 1;
            }
        }
        answered
    };
    let (over, answered) = tokio::join!(over, beside);
    let err = over.unwrap_err();
    assert_eq!(sqlstate(&err), "53200", "{err}");
    let message = err.as_db_error().unwrap().message();
    assert!(message.contains("limits.query_memory"), "{message}");
    assert_eq!(answered, 100);
    // The failed query gave its memory back, and its session goes on.
    assert_eq!(one_i64(&greedy, "SELECT 41::bigint + 1").await, 42);
    let (_, metrics) = server.http_get("/metrics");
    let held = metrics
        .lines()
        .find(|l| l.starts_with("aloe_memory_pool_reserved_bytes "))
        .expect("the memory gauge")
        .to_owned();
    assert_eq!(
        held, "aloe_memory_pool_reserved_bytes 0",
        "memory still held after the failure"
    );
}

#[tokio::test]
async fn a_sort_over_the_cap_spills_to_disk_and_finishes() {
    let server = capped_memory();
    let c = server.connect().await;
    let sql = "SELECT max(rn)::bigint FROM (SELECT row_number() OVER (ORDER BY x DESC) AS rn \
               FROM generate_series(1, 20000000) t(x)) s";
    let spills = sort_spills(&c, sql).await;
    assert!(spills > 0, "the sort did not spill");
    assert_eq!(one_i64(&c, sql).await, 20_000_000);
}

/// The spill count of the first `SortExec` in an `EXPLAIN ANALYZE` of `sql`.
async fn sort_spills(c: &tokio_postgres::Client, sql: &str) -> u64 {
    let plan = explain_analyze(c, sql).await;
    let sort = plan
        .lines()
        .find(|l| l.trim_start().starts_with("SortExec"))
        .unwrap_or_else(|| panic!("a sort in the plan:\n{plan}"));
    plan_count(sort, "spill_count")
}

#[tokio::test]
async fn a_sort_after_a_join_holds_the_rows_it_sorts_not_the_whole_build_side() {
    let server = capped_memory();
    let c = server.connect().await;
    // 400,000 visitors with 48-byte names: about 20 MB of strings on the join's build side.
    c.batch_execute(
        "CREATE TABLE silver.visitors AS SELECT x, 'visitor-' || lpad(CAST(x AS TEXT), 40, '0') \
         AS name FROM generate_series(1, 400000) t(x)",
    )
    .await
    .unwrap();
    // Statistics that mislead the planner put the big side on the build side, as a
    // filtered or aggregated input can; one partition makes the memory use the same on any
    // machine.
    c.batch_execute(
        "SET datafusion.optimizer.join_reordering = false; \
         SET datafusion.execution.target_partitions = 1",
    )
    .await
    .unwrap();
    let sql = "SELECT max(rn)::bigint, min(name) FROM (SELECT name, \
               row_number() OVER (ORDER BY v.name DESC) AS rn FROM silver.visitors v \
               JOIN (SELECT x * 80 AS x FROM generate_series(1, 5000) t(x)) p ON p.x = v.x) s";
    // Each joined batch refers to the build side's string buffers; were they counted as held,
    // every batch of a few thousand short rows would ask the 64 MiB cap for about 40 MB.
    assert_eq!(
        sort_spills(&c, sql).await,
        0,
        "5,000 short rows fit without spilling"
    );
    let row = c.query_one(sql, &[]).await.unwrap();
    assert_eq!(row.get::<_, i64>(0), 5000);
    assert_eq!(row.get::<_, String>(1), format!("visitor-{:040}", 80));
}

#[test]
fn a_message_over_the_size_cap_ends_only_its_connection_with_08p01() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start_in(
        dir.path(),
        &[],
        &[("ALOE_LIMITS__MAX_MESSAGE_SIZE", "1MiB")],
    );
    let mut bystander = Raw::startup(server.addr);

    // Under the cap: a 900 kB query text runs.
    let mut near = Raw::startup(server.addr);
    let literal = "x".repeat(900_000);
    let answer = near.query(&format!("SELECT length('{literal}')"));
    let row = answer.iter().find(|m| m.kind == b'D').expect("a row");
    assert_eq!(column(row, 0).as_deref(), Some("900000"));

    // Over it: the header alone announces 2 MB; the server answers before the body comes.
    let mut over = Raw::startup(server.addr);
    let mut header = vec![b'Q'];
    header.extend(2_000_000i32.to_be_bytes());
    header.extend(cstr("SELECT 1"));
    over.send(&header);
    let m = over.read().expect("an error before the close");
    assert_eq!(m.kind, b'E');
    assert_eq!(m.sqlstate().as_deref(), Some("08P01"));
    let text = m.field(b'M').unwrap();
    assert!(text.contains("max_message_size"), "{text}");
    assert!(over.read().is_none(), "the connection is closed");

    assert!(server.is_running());
    let answer = bystander.query("SELECT 6 * 7");
    let row = answer.iter().find(|m| m.kind == b'D').expect("a row");
    assert_eq!(column(row, 0).as_deref(), Some("42"));
}

#[test]
fn idle_sessions_are_closed_with_57p05_and_idle_transactions_with_25p03() {
    let server = Server::start();
    let mut idle = Raw::startup(server.addr);
    idle.query("SET idle_session_timeout = '300ms'");
    let started = Instant::now();
    let m = idle.read().expect("a FATAL before the close");
    assert_eq!(m.sqlstate().as_deref(), Some("57P05"), "{m:?}");
    assert!(started.elapsed() >= Duration::from_millis(250));
    assert!(idle.read().is_none());

    let mut in_tx = Raw::startup(server.addr);
    in_tx.query("SET idle_in_transaction_session_timeout = '300ms'");
    // Outside a transaction that timeout does not apply.
    std::thread::sleep(Duration::from_millis(600));
    in_tx.query("BEGIN");
    let m = in_tx.read().expect("a FATAL before the close");
    assert_eq!(m.sqlstate().as_deref(), Some("25P03"), "{m:?}");

    // A busy session is not idle: a statement longer than the timeout runs to its end.
    let mut busy = Raw::startup(server.addr);
    busy.query("SET idle_session_timeout = '200ms'");
    let answer = busy.query(
        "SELECT count(*) FROM (SELECT x FROM generate_series(1, 3000000) t(x) ORDER BY x DESC) s",
    );
    assert!(answer.iter().any(|m| m.kind == b'D'), "{answer:?}");
}

#[tokio::test]
async fn server_defaults_for_timeouts_come_from_limits() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_in(
        dir.path(),
        &[],
        &[
            ("ALOE_LIMITS__STATEMENT_TIMEOUT", "300ms"),
            ("ALOE_LIMITS__STARTUP_TIMEOUT", "1s"),
        ],
    );
    let c = server.connect().await;
    let shown: String = c
        .query_one("SHOW statement_timeout", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(shown, "300");
    let err = c
        .query_one("SELECT count(*) FROM generate_series(1, 100000000000)", &[])
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&err), "57014");
    c.batch_execute("SET statement_timeout = 0").await.unwrap();
    c.batch_execute("RESET statement_timeout").await.unwrap();
    let shown: String = c
        .query_one("SHOW statement_timeout", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(shown, "300", "RESET returns to the server's default");

    // A client that connects and says nothing is let go after the startup timeout.
    let mut silent = Raw::connect(server.addr);
    let started = Instant::now();
    while silent.read().is_some() {}
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(20),
        "{waited:?}"
    );
}
