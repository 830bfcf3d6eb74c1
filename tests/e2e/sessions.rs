//! Settings belong to one connection; startup reports what clients need; transactions show
//! in ReadyForQuery.

use crate::harness::{Server, sqlstate};
use crate::raw::{Raw, column};

async fn show(c: &tokio_postgres::Client, name: &str) -> String {
    let rows = c.simple_query(&format!("SHOW {name}")).await.unwrap();
    rows.iter()
        .find_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_owned),
            _ => None,
        })
        .unwrap()
}

#[tokio::test]
async fn set_changes_only_its_own_session() {
    let server = Server::start();
    let a = server.connect().await;
    let b = server.connect().await;
    a.batch_execute(
        "SET TimeZone = 'Europe/Berlin'; SET search_path TO gen; SET extra_float_digits = 3",
    )
    .await
    .unwrap();
    assert_eq!(show(&a, "timezone").await, "Europe/Berlin");
    assert_eq!(show(&b, "TimeZone").await, "UTC");
    assert_eq!(show(&a, "extra_float_digits").await, "3");
    assert_eq!(show(&b, "extra_float_digits").await, "1");
    let n: i64 = a
        .query_one("SELECT count(*) FROM products", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 120);
    let err = b
        .query_one("SELECT count(*) FROM products", &[])
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&err), "42P01");
    a.batch_execute("SET datafusion.execution.batch_size = 1024")
        .await
        .unwrap();
    assert_eq!(show(&a, "datafusion.execution.batch_size").await, "1024");
    assert_eq!(show(&b, "datafusion.execution.batch_size").await, "8192");
    a.batch_execute("RESET TimeZone; RESET ALL").await.unwrap();
    assert_eq!(show(&a, "TimeZone").await, "UTC");
    assert_eq!(show(&a, "search_path").await, "public");
}

#[tokio::test]
async fn client_session_statements_are_accepted() {
    let server = Server::start();
    let c = server.connect().await;
    c.batch_execute(
        "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL READ UNCOMMITTED; \
         SET application_name = 'metabase'; SET DateStyle = 'ISO'; SET client_encoding = 'UTF8'; \
         SET SESSION TIMEZONE TO 'America/New_York'",
    )
    .await
    .unwrap();
    assert_eq!(
        show(&c, "TRANSACTION ISOLATION LEVEL").await,
        "read committed"
    );
    assert_eq!(
        show(&c, "default_transaction_isolation").await,
        "read uncommitted"
    );
    assert_eq!(show(&c, "application_name").await, "metabase");
    assert_eq!(show(&c, "DateStyle").await, "ISO, MDY");
    assert_eq!(show(&c, "TimeZone").await, "America/New_York");
    let err = c
        .batch_execute("SET TimeZone = 'Mars/Olympus'")
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&err), "22023");
    let err = c
        .batch_execute("SET client_encoding = 'LATIN1'")
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&err), "0A000");
    let all = c.simple_query("SHOW ALL").await.unwrap();
    let names: Vec<String> = all
        .iter()
        .filter_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_owned),
            _ => None,
        })
        .collect();
    for expected in [
        "TimeZone",
        "search_path",
        "server_version",
        "datafusion.execution.batch_size",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "SHOW ALL lacks {expected}"
        );
    }
}

#[test]
fn startup_reports_parameters_and_backend_key() {
    let server = Server::start();
    let (_raw, messages) = Raw::startup_with(
        server.addr,
        &[("application_name", "probe"), ("TimeZone", "Europe/Paris")],
    );
    let params: std::collections::HashMap<String, String> = messages
        .iter()
        .filter(|m| m.kind == b'S')
        .map(|m| {
            let parts: Vec<&[u8]> = m.body.split(|b| *b == 0).collect();
            (
                String::from_utf8_lossy(parts[0]).into_owned(),
                String::from_utf8_lossy(parts[1]).into_owned(),
            )
        })
        .collect();
    assert!(params["server_version"].starts_with("15."));
    assert_eq!(params["client_encoding"], "UTF8");
    assert!(params["DateStyle"].starts_with("ISO"));
    assert_eq!(params["standard_conforming_strings"], "on");
    assert_eq!(params["integer_datetimes"], "on");
    assert_eq!(params["TimeZone"], "Europe/Paris");
    assert_eq!(params["application_name"], "probe");
    assert_eq!(params["session_authorization"], "aloe");
    for p in ["is_superuser", "IntervalStyle", "server_encoding"] {
        assert!(params.contains_key(p), "no ParameterStatus {p}");
    }
    assert!(messages.iter().any(|m| m.kind == b'K'), "no BackendKeyData");
    assert_eq!(messages.last().unwrap().body, b"I");
}

#[test]
fn ready_for_query_carries_the_transaction_status() {
    let server = Server::start();
    let mut raw = Raw::startup(server.addr);
    let status = |m: &Vec<crate::raw::Message>| m.last().unwrap().body[0];
    assert_eq!(status(&raw.query("SELECT 1")), b'I');
    assert_eq!(status(&raw.query("BEGIN READ ONLY")), b'T');
    assert_eq!(status(&raw.query("SELECT 1")), b'T');
    let failed = raw.query("CREATE TABLE w (a INT)");
    assert_eq!(
        failed
            .iter()
            .find(|m| m.kind == b'E')
            .unwrap()
            .sqlstate()
            .as_deref(),
        Some("25006")
    );
    assert_eq!(status(&failed), b'E');
    assert_eq!(status(&raw.query("SELECT 1")), b'E');
    let end = raw.query("COMMIT");
    assert_eq!(crate::raw::tags(&end), ["ROLLBACK"]);
    assert_eq!(status(&end), b'I');
    assert_eq!(status(&raw.query("START TRANSACTION")), b'T');
    assert_eq!(status(&raw.query("ROLLBACK")), b'I');
    let version = raw.query("SELECT 1 AS one");
    assert_eq!(
        column(version.iter().find(|m| m.kind == b'D').unwrap(), 0).as_deref(),
        Some("1")
    );
}

#[tokio::test]
async fn connections_beyond_the_limit_are_refused_with_53300() {
    let server = Server::start_with(&["--max-connections", "1"]);
    let first = server.connect().await;
    let refused = tokio_postgres::connect(&server.conninfo(), tokio_postgres::NoTls).await;
    let err = refused.err().expect("the second connection is refused");
    assert_eq!(sqlstate(&err), "53300");
    let one: i32 = first.query_one("SELECT 1::int4", &[]).await.unwrap().get(0);
    assert_eq!(one, 1);
    drop(first);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let again = server.connect().await;
    let one: i32 = again.query_one("SELECT 1::int4", &[]).await.unwrap().get(0);
    assert_eq!(one, 1, "a freed slot admits a new client");
}

#[test]
fn a_database_that_does_not_exist_is_refused_with_3d000() {
    let server = Server::start();
    let out = std::process::Command::new("psql")
        .arg(format!(
            "host=127.0.0.1 port={} user=aloe dbname=elsewhere",
            server.addr.port()
        ))
        .args(["-c", "SELECT 1"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("database \"elsewhere\" does not exist"),
        "{err}"
    );
}

#[test]
fn savepoints_recover_a_failed_block_but_never_pretend_to_undo_writes() {
    let server = Server::start();
    let mut raw = Raw::startup(server.addr);
    let status = |m: &Vec<crate::raw::Message>| m.last().unwrap().body[0];
    let outside = raw.query("SAVEPOINT a");
    assert_eq!(outside[0].sqlstate().as_deref(), Some("25P01"));
    raw.query("BEGIN");
    assert_eq!(crate::raw::tags(&raw.query("SAVEPOINT a")), ["SAVEPOINT"]);
    assert_eq!(status(&raw.query("SELECT * FROM missing")), b'E');
    let back = raw.query("ROLLBACK TO SAVEPOINT a");
    assert_eq!(crate::raw::tags(&back), ["ROLLBACK"]);
    assert_eq!(status(&back), b'T', "the block is usable again");
    assert_eq!(status(&raw.query("SELECT 1")), b'T');
    raw.query("CREATE TABLE kept (a INT)");
    let refused = raw.query("ROLLBACK TO SAVEPOINT a");
    let err = refused.iter().find(|m| m.kind == b'E').unwrap();
    assert_eq!(err.sqlstate().as_deref(), Some("0A000"));
    assert!(err.field(b'M').unwrap().contains("already committed"));
    raw.query("ROLLBACK");
    let table = raw.query("SELECT count(*) FROM kept");
    assert!(
        table.iter().any(|m| m.kind == b'D'),
        "the write stayed, as the refusal said"
    );
    assert_eq!(
        raw.query("RELEASE SAVEPOINT nope")[0].sqlstate().as_deref(),
        Some("25P01")
    );
}

#[test]
fn listening_beyond_loopback_without_users_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_aloe"));
    cmd.args(["serve", "--listen", "0.0.0.0:0"])
        .current_dir(dir.path());
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("ALOE_")) {
        cmd.env_remove(k);
    }
    let out = cmd.output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("refusing to listen on 0.0.0.0:0 without authentication"),
        "{err}"
    );
}

/// What a batch of messages answered, PostgreSQL's way of writing it: message kinds, with the
/// SQLSTATE after each error and the transaction status after ReadyForQuery; data rows left out.
fn answered(messages: &[crate::raw::Message]) -> Vec<String> {
    messages
        .iter()
        .filter(|m| m.kind != b'D')
        .map(|m| match m.kind {
            b'E' => format!("E{}", m.sqlstate().unwrap_or_default()),
            b'Z' => format!("Z{}", m.body[0] as char),
            k => (k as char).to_string(),
        })
        .collect()
}

/// However a message fails inside a block, the block fails until it ends. The expected
/// answers are PostgreSQL 15's to the same bytes (a throwaway cluster, 2026-12-01 and
/// 2026-12-07), except that PostgreSQL refuses a bad binary parameter at Bind and Aloe at
/// Execute, after BindComplete, so the messages before the error are not compared.
#[test]
fn every_kind_of_failure_fails_an_open_block() {
    use crate::raw::{cstr, frame};
    let server = Server::start();
    let mut raw = Raw::startup(server.addr);
    let failing = "SELECT 1 / (x - 5000) FROM generate_series(1, 10000) t(x)";
    let then_aborted = |raw: &mut Raw| {
        assert_eq!(answered(&raw.query("SELECT 1")), ["E25P02", "ZE"]);
        assert_eq!(answered(&raw.query("ROLLBACK")), ["C", "ZI"]);
    };

    // A statement whose rows fail while they stream, in the simple protocol...
    raw.query("BEGIN");
    let simple = answered(&raw.query(failing));
    assert_eq!(simple.last().map(String::as_str), Some("ZE"), "{simple:?}");
    assert!(simple.contains(&"E22012".to_owned()), "{simple:?}");
    then_aborted(&mut raw);

    // ...and in the extended protocol.
    raw.query("BEGIN");
    let mut parse = cstr("");
    parse.extend(cstr(failing));
    parse.extend(0i16.to_be_bytes());
    let mut bind = cstr("");
    bind.extend(cstr(""));
    bind.extend([0, 0, 0, 0, 0, 0]);
    let mut execute = cstr("");
    execute.extend(0i32.to_be_bytes());
    let mut batch = frame(b'P', &parse);
    batch.extend(frame(b'B', &bind));
    batch.extend(frame(b'E', &execute));
    batch.extend(frame(b'S', &[]));
    raw.send(&batch);
    assert_eq!(answered(&raw.until_ready()), ["1", "2", "E22012", "ZE"]);
    then_aborted(&mut raw);

    // A Bind whose binary int4 parameter has three bytes.
    raw.query("BEGIN");
    let mut parse = cstr("s");
    parse.extend(cstr("SELECT $1::int4"));
    parse.extend(1i16.to_be_bytes());
    parse.extend(23i32.to_be_bytes());
    // Bind of statement s with one binary parameter of these bytes.
    let binary_bind = |value: &[u8]| {
        let mut bind = cstr("");
        bind.extend(cstr("s"));
        bind.extend(1i16.to_be_bytes());
        bind.extend(1i16.to_be_bytes());
        bind.extend(1i16.to_be_bytes());
        bind.extend(i32::try_from(value.len()).unwrap().to_be_bytes());
        bind.extend(value);
        bind.extend(0i16.to_be_bytes());
        frame(b'B', &bind)
    };
    let mut batch = frame(b'P', &parse);
    batch.extend(binary_bind(&[1, 2, 3]));
    batch.extend(frame(b'E', &execute));
    batch.extend(frame(b'S', &[]));
    raw.send(&batch);
    let short = answered(&raw.until_ready());
    assert_eq!(short.first().map(String::as_str), Some("1"), "{short:?}");
    assert!(short.contains(&"E08P01".to_owned()), "{short:?}");
    assert_eq!(short.last().map(String::as_str), Some("ZE"), "{short:?}");
    then_aborted(&mut raw);

    // ...and one with five: a value that is no int4 (22P03), as PostgreSQL says it.
    raw.query("BEGIN");
    let mut batch = binary_bind(&[1, 2, 3, 4, 5]);
    batch.extend(frame(b'E', &execute));
    batch.extend(frame(b'S', &[]));
    raw.send(&batch);
    let long = answered(&raw.until_ready());
    assert!(long.contains(&"E22P03".to_owned()), "{long:?}");
    assert_eq!(long.last().map(String::as_str), Some("ZE"), "{long:?}");
    then_aborted(&mut raw);

    // A Bind to a statement that does not exist: pgwire answers it, the block still fails.
    raw.query("BEGIN");
    let mut bind = cstr("");
    bind.extend(cstr("no_such_statement"));
    bind.extend([0, 0, 0, 0, 0, 0]);
    let mut batch = frame(b'B', &bind);
    batch.extend(frame(b'E', &execute));
    batch.extend(frame(b'S', &[]));
    raw.send(&batch);
    assert_eq!(answered(&raw.until_ready()), ["E26000", "ZE"]);
    then_aborted(&mut raw);
}
