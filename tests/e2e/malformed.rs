//! Malformed, truncated and out-of-order messages: the offending connection gets an error
//! or is closed, the server stays up, and other sessions are not disturbed.

use std::time::Duration;

use crate::harness::Server;
use crate::raw::{Raw, column, cstr, frame};

fn still_answers(raw: &mut Raw) {
    let answer = raw.query("SELECT 6 * 7");
    let row = answer.iter().find(|m| m.kind == b'D').expect("a row");
    assert_eq!(column(row, 0).as_deref(), Some("42"));
}

#[test]
fn bad_bytes_never_disturb_other_sessions() {
    let mut server = Server::start();
    let mut bystander = Raw::startup(server.addr);

    // Garbage instead of a startup packet.
    let mut garbage = Raw::connect(server.addr);
    garbage.send(&[0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0, 1, 2, 3]);
    drop(garbage);

    // A startup packet claiming an absurd length.
    let mut huge = Raw::connect(server.addr);
    huge.send(&i32::MAX.to_be_bytes());
    drop(huge);

    // A message whose length is below the minimum of 4: refused, or read as an empty query.
    let mut short = Raw::startup(server.addr);
    short.send(&[b'Q', 0, 0, 0, 2]);
    if let Some(m) = short.read() {
        assert!(
            m.kind == b'I' || m.sqlstate().as_deref() == Some("08P01"),
            "unexpected answer {m:?}"
        );
    }

    // A truncated message, then the client vanishes.
    let mut truncated = Raw::startup(server.addr);
    truncated.send(&[b'Q', 0, 0, 3, 232, b'S', b'E', b'L']);
    drop(truncated);

    // An unknown message type.
    let mut unknown = Raw::startup(server.addr);
    unknown.send(&frame(b'@', b"hello"));
    if let Some(m) = unknown.read() {
        assert_eq!(m.kind, b'E');
    }

    // A Query whose text is not NUL-terminated inside its length.
    let mut unterminated = Raw::startup(server.addr);
    unterminated.send(&frame(b'Q', b"SELECT 1"));
    std::thread::sleep(Duration::from_millis(100));
    drop(unterminated);

    std::thread::sleep(Duration::from_millis(200));
    assert!(server.is_running(), "the server survived every bad message");
    still_answers(&mut bystander);
    still_answers(&mut Raw::startup(server.addr));
}

#[test]
fn after_an_extended_protocol_error_messages_are_skipped_until_sync() {
    let server = Server::start();
    let mut raw = Raw::startup(server.addr);
    // Bind to a statement that does not exist, then Execute: only one error, then Sync.
    let mut bind = cstr("");
    bind.extend(cstr("no_such_statement"));
    bind.extend([0, 0, 0, 0, 0, 0]);
    let mut execute = cstr("");
    execute.extend(0i32.to_be_bytes());
    let mut parse = cstr("s1");
    parse.extend(cstr("SELECT 1"));
    parse.extend(0i16.to_be_bytes());
    let mut batch = frame(b'B', &bind);
    batch.extend(frame(b'E', &execute));
    batch.extend(frame(b'P', &parse)); // skipped: comes before Sync
    batch.extend(frame(b'S', &[]));
    raw.send(&batch);
    let answer = raw.until_ready();
    let kinds: Vec<u8> = answer.iter().map(|m| m.kind).collect();
    assert_eq!(kinds, b"EZ", "{answer:?}");
    assert_eq!(answer[0].sqlstate().as_deref(), Some("26000"));

    // s1 was skipped, so binding it fails too; after Sync, all is normal again.
    let mut bind = cstr("");
    bind.extend(cstr("s1"));
    bind.extend([0, 0, 0, 0, 0, 0]);
    let mut again = frame(b'B', &bind);
    again.extend(frame(b'S', &[]));
    raw.send(&again);
    let answer = raw.until_ready();
    assert_eq!(answer[0].sqlstate().as_deref(), Some("26000"));
    still_answers(&mut raw);
}

#[test]
fn a_parse_error_in_a_pipeline_skips_to_sync() {
    let server = Server::start();
    let mut raw = Raw::startup(server.addr);
    let mut parse = cstr("");
    parse.extend(cstr("SELEC broken"));
    parse.extend(0i16.to_be_bytes());
    let mut batch = frame(b'P', &parse);
    batch.extend(frame(b'B', &[0, 0, 0, 0, 0, 0, 0, 0]));
    batch.extend(frame(b'S', &[]));
    raw.send(&batch);
    let answer = raw.until_ready();
    let kinds: Vec<u8> = answer.iter().map(|m| m.kind).collect();
    assert_eq!(kinds, b"EZ");
    assert_eq!(answer[0].sqlstate().as_deref(), Some("42601"));
    assert_eq!(answer[1].body, b"I");
    still_answers(&mut raw);
}
