//! Server-side cursors: DECLARE, FETCH, MOVE, CLOSE, inside and (WITH HOLD) outside a
//! transaction block.

use crate::harness::Server;
use crate::raw::{Raw, column, tags};

fn values(messages: &[crate::raw::Message]) -> Vec<String> {
    messages
        .iter()
        .filter(|m| m.kind == b'D')
        .map(|m| column(m, 0).unwrap())
        .collect()
}

#[test]
fn cursor_reads_a_result_in_pieces() {
    let server = Server::start();
    let mut raw = Raw::startup(server.addr);
    raw.query("BEGIN");
    let declared = raw.query(
        "DECLARE c NO SCROLL CURSOR FOR SELECT value FROM generate_series(1, 100) AS t(value)",
    );
    assert_eq!(tags(&declared), ["DECLARE CURSOR"]);
    let first = raw.query("FETCH 10 FROM c");
    assert_eq!(
        values(&first),
        (1..=10).map(|i| i.to_string()).collect::<Vec<_>>()
    );
    assert_eq!(tags(&first), ["FETCH 10"]);
    assert_eq!(tags(&raw.query("MOVE 5 IN c")), ["MOVE 5"]);
    assert_eq!(values(&raw.query("FETCH NEXT FROM c")), ["16"]);
    assert_eq!(values(&raw.query("FETCH c")), ["17"]);
    let rest = raw.query("FETCH ALL FROM c");
    assert_eq!(tags(&rest), ["FETCH 83"]);
    assert_eq!(tags(&raw.query("FETCH 5 FROM c")), ["FETCH 0"]);
    assert_eq!(tags(&raw.query("CLOSE c")), ["CLOSE CURSOR"]);
    let gone = raw.query("FETCH 1 FROM c");
    assert_eq!(gone[0].sqlstate().as_deref(), Some("34000"));
    raw.query("ROLLBACK");
}

#[test]
fn cursors_follow_the_transaction() {
    let server = Server::start();
    let mut raw = Raw::startup(server.addr);
    let outside = raw.query("DECLARE c CURSOR FOR SELECT 1");
    assert_eq!(outside[0].sqlstate().as_deref(), Some("25P01"));

    raw.query("BEGIN");
    raw.query("DECLARE plain CURSOR FOR SELECT value FROM generate_series(1, 3) AS t(value)");
    raw.query("DECLARE held BINARY CURSOR WITH HOLD FOR SELECT 7::int4 AS seven");
    raw.query("COMMIT");
    let plain = raw.query("FETCH 1 FROM plain");
    assert_eq!(
        plain[0].sqlstate().as_deref(),
        Some("34000"),
        "a cursor without HOLD ends with COMMIT"
    );
    let held = raw.query("FETCH 1 FROM held");
    let row = held
        .iter()
        .find(|m| m.kind == b'D')
        .expect("held cursor survives COMMIT");
    // BINARY cursor: int4 as four big-endian bytes.
    assert_eq!(&row.body[2..], &[0, 0, 0, 4, 0, 0, 0, 7]);

    raw.query("DECLARE outside CURSOR WITH HOLD FOR SELECT 1");
    raw.query("BEGIN");
    raw.query("DECLARE inside CURSOR WITH HOLD FOR SELECT 2");
    raw.query("ROLLBACK");
    assert_eq!(
        raw.query("FETCH 1 FROM inside")[0].sqlstate().as_deref(),
        Some("34000")
    );
    assert_eq!(values(&raw.query("FETCH 1 FROM outside")), ["1"]);
    assert_eq!(tags(&raw.query("CLOSE ALL")), ["CLOSE CURSOR"]);
    assert_eq!(
        raw.query("FETCH 1 FROM outside")[0].sqlstate().as_deref(),
        Some("34000")
    );
    let backward = raw.query("DECLARE b CURSOR WITH HOLD FOR SELECT 1; FETCH BACKWARD 1 FROM b");
    assert_eq!(
        backward
            .iter()
            .find(|m| m.kind == b'E')
            .unwrap()
            .sqlstate()
            .as_deref(),
        Some("55000")
    );
}
