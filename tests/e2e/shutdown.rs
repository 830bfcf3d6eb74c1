//! Shutdown as PostgreSQL's fast shutdown, with a grace period: at SIGTERM a running statement
//! finishes within `limits.shutdown_grace` or is stopped with 57P01, idle connections are told
//! (FATAL 57P01) and closed, every connection is awaited, and no Delta commit is left
//! half-written, nor its uncommitted files served. (A CTAS into bronze writes raw Parquet
//! files, not Delta, which a stopped write can leave partly written: see docs/architecture.md.)

use std::time::Duration;

use crate::harness::{Server, one_i64, sqlstate};

/// Waits until the server reports a statement running, so that SIGTERM meets it mid-way.
async fn until_running(server: &Server) {
    for _ in 0..400 {
        let (_, metrics) = server.http_get("/metrics");
        if metrics
            .lines()
            .any(|l| l.starts_with("aloe_statements_running ") && !l.ends_with(" 0"))
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("the statement never started");
}

/// Rows the long write makes: about a second's work in a debug build.
const ROWS: i64 = 50_000_000;

#[tokio::test]
async fn a_statement_running_at_sigterm_finishes_and_its_commit_is_whole() {
    let dir = tempfile::tempdir().unwrap();
    let grace = [("ALOE_LIMITS__SHUTDOWN_GRACE", "120s")];
    let mut server = Server::start_in(dir.path(), &[], &grace);
    let busy = server.connect().await;
    let idle = server.connect().await;
    let running = tokio::spawn(async move {
        busy.execute(
            &format!(
                "CREATE TABLE silver.big AS SELECT x AS n FROM generate_series(1, {ROWS}) t(x)"
            ),
            &[],
        )
        .await
    });
    until_running(&server).await;
    let exited = tokio::task::spawn_blocking(move || {
        let status = server.terminate();
        (server, status)
    });
    // Within the grace period the statement finishes and answers (the extended protocol's
    // batch is answered up to its ReadyForQuery before the connection is closed).
    let written = running.await.unwrap().expect("the running CTAS finishes");
    assert_eq!(written as i64, ROWS);
    let (_server, status) = exited.await.unwrap();
    assert!(status.success(), "exit status {status:?}");
    // The idle connection was told and closed: it cannot run anything now.
    assert!(idle.simple_query("SELECT 1").await.is_err());

    // The table is there, whole, after a restart.
    let server = Server::start_in(dir.path(), &[], &[]);
    let c = server.connect().await;
    assert_eq!(one_i64(&c, "SELECT count(*) FROM silver.big").await, ROWS);
}

#[tokio::test]
async fn past_the_grace_period_a_running_statement_gets_57p01_and_nothing_is_committed() {
    let dir = tempfile::tempdir().unwrap();
    // Long enough for the write to have flushed data files on a loaded machine, so that the
    // check below of what a stopped write leaves behind has something to look at.
    let grace = [("ALOE_LIMITS__SHUTDOWN_GRACE", "5s")];
    let mut server = Server::start_in(dir.path(), &[], &grace);
    let busy = server.connect().await;
    // Ten billion rows: it cannot finish within the grace period.
    let running = tokio::spawn(async move {
        busy.execute(
            "CREATE TABLE silver.huge AS SELECT a.x * 100000 + b.x AS n \
             FROM generate_series(1, 100000) a(x), generate_series(1, 100000) b(x)",
            &[],
        )
        .await
    });
    until_running(&server).await;
    let exited = tokio::task::spawn_blocking(move || {
        let status = server.terminate();
        (server, status)
    });
    let e = running
        .await
        .unwrap()
        .expect_err("stopped at the end of the grace period");
    assert_eq!(sqlstate(&e), "57P01", "{e}");
    let (_server, status) = exited.await.unwrap();
    assert!(status.success(), "exit status {status:?}");

    // Nothing of the stopped write was committed: after a restart on the same lake the table
    // does not exist, although its uncommitted data files are still in its folder.
    let server = Server::start_in(dir.path(), &[], &[]);
    let c = server.connect().await;
    let e = c
        .query("SELECT count(*) FROM silver.huge", &[])
        .await
        .expect_err("no such table");
    assert_eq!(sqlstate(&e), "42P01", "{e}");
    let files = std::fs::read_dir(dir.path().join("data/silver/huge"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".parquet")
        })
        .count();
    assert!(
        files > 0,
        "the stopped write left no data files: nothing was tested"
    );
    let log = dir.path().join("data/silver/huge/_delta_log");
    let commits = std::fs::read_dir(&log)
        .map(|d| {
            d.filter(|e| {
                e.as_ref()
                    .unwrap()
                    .path()
                    .extension()
                    .is_some_and(|x| x == "json")
            })
            .count()
        })
        .unwrap_or(0);
    assert_eq!(
        commits,
        0,
        "a commit of the stopped write in {}",
        log.display()
    );
}
