//! The simple query protocol, through tokio-postgres, psql and a raw socket.

use tokio_postgres::SimpleQueryMessage;

use crate::harness::Server;
use crate::raw::{Raw, column, tags};

#[tokio::test]
async fn each_statement_of_a_string_answers_in_order() {
    let server = Server::start();
    let client = server.connect().await;
    let messages = client
        .simple_query(
            "SELECT 1 AS a; SELECT b FROM (VALUES ('x'), ('y')) AS t(b) ORDER BY b; SET application_name = 'e2e'",
        )
        .await
        .unwrap();
    let mut seen = Vec::new();
    for m in &messages {
        match m {
            SimpleQueryMessage::Row(r) => seen.push(format!("row {}", r.get(0).unwrap())),
            SimpleQueryMessage::CommandComplete(n) => seen.push(format!("done {n}")),
            _ => {}
        }
    }
    assert_eq!(
        seen,
        ["row 1", "done 1", "row x", "row y", "done 2", "done 0"]
    );
}

#[test]
fn command_tags_are_postgres_tags() {
    let server = Server::start();
    let mut raw = Raw::startup(server.addr);
    let answer = raw.query(
        "SELECT 1; CREATE TABLE t (a INT); INSERT INTO t VALUES (1), (2); SHOW TimeZone; SET TimeZone = 'UTC'; \
         BEGIN; COMMIT; DROP TABLE t",
    );
    assert_eq!(
        tags(&answer),
        [
            "SELECT 1",
            "CREATE TABLE",
            "INSERT 0 2",
            "SHOW",
            "SET",
            "BEGIN",
            "COMMIT",
            "DROP TABLE"
        ]
    );
}

#[test]
fn empty_and_comment_only_queries_answer_empty_query_response() {
    let server = Server::start();
    let mut raw = Raw::startup(server.addr);
    for q in ["", ";", "-- ping", "  ;  ; "] {
        let answer = raw.query(q);
        let kinds: Vec<u8> = answer.iter().map(|m| m.kind).collect();
        assert_eq!(kinds, b"IZ", "query {q:?}");
    }
    let answer = raw.query("SELECT 41 + 1");
    let row = answer.iter().find(|m| m.kind == b'D').unwrap();
    assert_eq!(column(row, 0).as_deref(), Some("42"));
}

#[test]
fn the_first_error_ends_the_string() {
    let server = Server::start();
    let mut raw = Raw::startup(server.addr);
    let answer = raw.query("SELECT 1; SELECT * FROM nowhere; SELECT 3");
    let kinds: Vec<u8> = answer.iter().map(|m| m.kind).collect();
    assert_eq!(kinds, b"TDCEZ");
    assert_eq!(answer[3].sqlstate().as_deref(), Some("42P01"));
}

#[test]
fn psql_reads_the_generated_quarter_at_once() {
    let server = Server::start();
    let out = server.psql(&[
        "-A",
        "-t",
        "-c",
        "SELECT count(*) = max(order_id), count(*) > 1000, min(order_date), max(order_date) \
         FROM gen.orders; SELECT count(*) FROM gen.products",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Ids are contiguous, the default period is the documented quarter, the catalogue has 120
    // products.
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "t|t|2025-09-01|2025-12-01\n120\n"
    );
}

#[test]
fn psql_reports_errors_with_their_sqlstate() {
    let server = Server::start();
    let out = server.psql(&[
        "-c",
        "\\set VERBOSITY verbose",
        "-c",
        "SELECT nope FROM gen.products",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("42703"), "{err}");
    assert!(err.contains("nope"), "{err}");
}

#[test]
fn text_results_of_each_core_type() {
    let server = Server::start();
    let mut raw = Raw::startup(server.addr);
    let answer = raw.query(
        "SELECT true, 1::int2, 2::int4, 3::int8, 1.5::float4, 2.25::float8, 1.10::numeric(10,2), \
         'x'::varchar, DATE '2025-01-02', TIMESTAMP '2025-01-02 03:04:05', \
         TIMESTAMPTZ '2025-01-02 03:04:05+02', INTERVAL '1 day 2 hours', make_array(1, 2, 3), \
         make_array('a', 'b c'), CAST(NULL AS int)",
    );
    let row = answer.iter().find(|m| m.kind == b'D').expect("a row");
    let texts: Vec<Option<String>> = (0..15).map(|i| column(row, i)).collect();
    let expected = [
        Some("t"),
        Some("1"),
        Some("2"),
        Some("3"),
        Some("1.5"),
        Some("2.25"),
        Some("1.10"),
        Some("x"),
        Some("2025-01-02"),
        Some("2025-01-02 03:04:05"),
        Some("2025-01-02 01:04:05"),
        Some("1 day 02:00:00"),
        Some("{1,2,3}"),
        Some("{a,\"b c\"}"),
        None,
    ];
    // Time stamps print six fractional digits where PostgreSQL trims trailing zeros; both
    // parse the same in every client.
    assert!(texts[10].as_deref().unwrap().ends_with("+00"));
    for (i, (got, want)) in texts.iter().zip(expected).enumerate() {
        match (got.as_deref(), want) {
            (Some(g), Some(w)) => assert!(
                g.starts_with(w),
                "column {i}: {g:?} should start with {w:?}"
            ),
            (g, w) => assert_eq!(g, w, "column {i}"),
        }
    }
}
