//! Random and mutated message streams sent to the live server over real sockets (seeded, so a
//! failure can be replayed): each bad connection gets an error or is closed, the server keeps
//! answering, its connection count comes back, and a session opened before is not disturbed.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::harness::Server;
use crate::raw::{Raw, column, cstr, frame};

/// A well-formed pipeline: simple query, then the extended protocol with a parameter.
fn valid_stream() -> Vec<u8> {
    let mut out = frame(b'Q', &cstr("SELECT 1 AS one; SELECT 'two'"));
    let mut parse = cstr("s1");
    parse.extend(cstr("SELECT $1::int8 + 1"));
    parse.extend(1i16.to_be_bytes());
    parse.extend(20u32.to_be_bytes());
    out.extend(frame(b'P', &parse));
    let mut bind = cstr("p1");
    bind.extend(cstr("s1"));
    bind.extend(0i16.to_be_bytes());
    bind.extend(1i16.to_be_bytes());
    bind.extend(2i32.to_be_bytes());
    bind.extend(b"41");
    bind.extend(0i16.to_be_bytes());
    out.extend(frame(b'B', &bind));
    let mut describe = vec![b'P'];
    describe.extend(cstr("p1"));
    out.extend(frame(b'D', &describe));
    let mut execute = cstr("p1");
    execute.extend(0i32.to_be_bytes());
    out.extend(frame(b'E', &execute));
    let mut close = vec![b'S'];
    close.extend(cstr("s1"));
    out.extend(frame(b'C', &close));
    out.extend(frame(b'S', &[]));
    out
}

/// The valid stream with some bytes changed, some cut out, some repeated, and maybe an end
/// cut off.
fn mutated(rng: &mut StdRng) -> Vec<u8> {
    let mut s = valid_stream();
    for _ in 0..rng.random_range(1..6) {
        let i = rng.random_range(0..s.len());
        match rng.random_range(0..4) {
            0 => s[i] = rng.random(),
            1 => {
                let end = (i + rng.random_range(1..8)).min(s.len());
                s.drain(i..end);
            }
            2 => {
                let end = (i + rng.random_range(1..16)).min(s.len());
                let copy = s[i..end].to_vec();
                s.splice(i..i, copy);
            }
            _ => s[i] ^= 0x80,
        }
        if s.is_empty() {
            s.push(b'Q');
        }
    }
    if rng.random_bool(0.3) {
        let keep = rng.random_range(0..=s.len());
        s.truncate(keep);
    }
    s
}

/// Bytes that are framed like messages (a known type byte, a length that may lie) or not at
/// all.
fn random(rng: &mut StdRng) -> Vec<u8> {
    let mut s = Vec::new();
    for _ in 0..rng.random_range(1..6) {
        if rng.random_bool(0.5) {
            let kind = *b"QPBDECSHFXdcfp@"
                .get(rng.random_range(0..15))
                .expect("a type");
            let body: Vec<u8> = (0..rng.random_range(0..64)).map(|_| rng.random()).collect();
            let len = if rng.random_bool(0.8) {
                body.len() as i32 + 4
            } else {
                rng.random_range(-8..200)
            };
            s.push(kind);
            s.extend(len.to_be_bytes());
            s.extend(body);
        } else {
            s.extend((0..rng.random_range(1..64)).map(|_| rng.random::<u8>()));
        }
    }
    s
}

/// Sends `bytes` on a connection (after a valid startup unless `raw_start`), then reads what
/// comes back until the server closes or is quiet for a moment.
fn throw(server: &Server, bytes: &[u8], raw_start: bool) {
    let mut conn = if raw_start {
        Raw::connect(server.addr)
    } else {
        Raw::startup(server.addr)
    };
    // A write may fail once the server has closed on an earlier bad byte: that is fine.
    let _ = conn.stream.write_all(bytes);
    conn.stream
        .set_read_timeout(Some(Duration::from_millis(150)))
        .unwrap();
    let mut sink = [0u8; 4096];
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        match conn.stream.read(&mut sink) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
    }
}

fn answers(raw: &mut Raw, sql: &str) -> Option<String> {
    let answer = raw.query(sql);
    let row = answer.iter().find(|m| m.kind == b'D')?;
    column(row, 0)
}

#[test]
fn random_and_mutated_streams_leave_the_server_and_other_sessions_unharmed() {
    let mut server = Server::start();
    let mut bystander = Raw::startup(server.addr);
    bystander.query("SET application_name = 'bystander'");
    bystander.query("BEGIN");

    std::thread::scope(|scope| {
        for worker in 0..4u64 {
            let server = &server;
            scope.spawn(move || {
                let mut rng = StdRng::seed_from_u64(0xa10e + worker);
                for case in 0..40 {
                    match case % 4 {
                        0 | 1 => throw(server, &mutated(&mut rng), false),
                        2 => throw(server, &random(&mut rng), false),
                        _ => throw(server, &random(&mut rng), true),
                    }
                }
            });
        }
    });

    assert!(
        server.is_running(),
        "the server survived 160 bad connections"
    );
    // The bystander's session is as it was: still in its transaction, its setting kept.
    assert_eq!(
        answers(&mut bystander, "SHOW application_name").as_deref(),
        Some("bystander")
    );
    let ready = bystander.query("SELECT 1");
    assert_eq!(
        ready.last().unwrap().body,
        b"T",
        "still inside its transaction"
    );
    bystander.query("COMMIT");
    let mut fresh = Raw::startup(server.addr);
    assert_eq!(answers(&mut fresh, "SELECT 6 * 7").as_deref(), Some("42"));
    drop(fresh);

    // Every bad connection was closed and counted out: only the bystander is left.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, metrics) = server.http_get("/metrics");
        let open = metrics
            .lines()
            .find(|l| l.starts_with("aloe_connections_open "))
            .expect("the connection gauge")
            .to_owned();
        if open == "aloe_connections_open 1" {
            break;
        }
        assert!(Instant::now() < deadline, "{open}");
        std::thread::sleep(Duration::from_millis(100));
    }
}
