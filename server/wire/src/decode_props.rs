//! Property tests of the frontend decoder as the server drives it (pgwire's codec behind the
//! panic guard, and the message-size scanner): arbitrary and mutated bytes in the startup and
//! query phases end in messages and an error or the end of the stream, never a panic or a
//! loop; real message streams decode to the same messages however the network cuts them. CI runs them with proptest's default 256
//! cases each; `PROPTEST_CASES=100000` makes a longer fuzzing run.

use bytes::{Bytes, BytesMut};
use pgwire::messages::extendedquery::{Bind, Close, Describe, Execute, Flush, Parse, Sync};
use pgwire::messages::simplequery::Query;
use pgwire::messages::{DecodeContext, PgWireFrontendMessage};
use proptest::prelude::*;

use pgwire::api::{ClientInfo, DefaultClient, PgWireConnectionState};
use pgwire::tokio::server::PgWireMessageServerCodec;
use tokio_util::codec::Framed;

use super::decode_guard::next_message;
use super::message_limit::Scanner;

/// Feeds `bytes` to the connection's own reading path (pgwire's codec behind
/// [`next_message`]) in connection state `state`, then ends the stream: how many messages
/// were read before the end, or the error that stopped reading.
fn read_all(bytes: &[u8], state: PgWireConnectionState) -> Result<usize, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(async {
        let (mut client, server) = tokio::io::duplex(bytes.len() + 1);
        tokio::io::AsyncWriteExt::write_all(&mut client, bytes)
            .await
            .unwrap();
        drop(client);
        let codec = PgWireMessageServerCodec::<()>::new(DefaultClient::new(
            "127.0.0.1:1".parse().unwrap(),
            false,
        ));
        let mut socket = Framed::new(server, codec);
        socket.set_state(state);
        let mut read = 0;
        // Every message takes at least 4 bytes, so more messages than that means a loop.
        while read <= bytes.len() {
            match next_message(&mut socket).await {
                None => return Ok(read),
                Some(Ok(_)) => read += 1,
                Some(Err(e)) => return Err(e.to_string()),
            }
        }
        Err(format!(
            "{read} messages out of {} bytes: the reader loops",
            bytes.len()
        ))
    })
}

fn text() -> impl Strategy<Value = String> {
    // The protocol's strings are NUL-terminated: a NUL inside cannot be sent.
    "[^\u{0}]{0,40}"
}

fn name() -> impl Strategy<Value = Option<String>> {
    proptest::option::of("[a-z_0-9]{1,12}")
}

fn message() -> impl Strategy<Value = PgWireFrontendMessage> {
    prop_oneof![
        text().prop_map(|q| PgWireFrontendMessage::Query(Query::new(q))),
        (
            name(),
            text(),
            proptest::collection::vec(any::<u32>(), 0..4)
        )
            .prop_map(|(n, q, oids)| PgWireFrontendMessage::Parse(Parse::new(n, q, oids))),
        (
            name(),
            name(),
            proptest::collection::vec(0i16..2, 0..3),
            proptest::collection::vec(
                proptest::option::of(proptest::collection::vec(any::<u8>(), 0..16)),
                0..4
            ),
            proptest::collection::vec(0i16..2, 0..3),
        )
            .prop_map(|(portal, statement, formats, params, results)| {
                PgWireFrontendMessage::Bind(Bind::new(
                    portal,
                    statement,
                    formats,
                    params.into_iter().map(|p| p.map(Bytes::from)).collect(),
                    results,
                ))
            }),
        (prop_oneof![Just(b'S'), Just(b'P')], name())
            .prop_map(|(t, n)| PgWireFrontendMessage::Describe(Describe::new(t, n))),
        (name(), 0i32..1000)
            .prop_map(|(n, rows)| PgWireFrontendMessage::Execute(Execute::new(n, rows))),
        (prop_oneof![Just(b'S'), Just(b'P')], name())
            .prop_map(|(t, n)| PgWireFrontendMessage::Close(Close::new(t, n))),
        Just(()).prop_map(|_| PgWireFrontendMessage::Sync(Sync::new())),
        Just(()).prop_map(|_| PgWireFrontendMessage::Flush(Flush::new())),
    ]
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic_the_decoder_in_any_phase(
        bytes in proptest::collection::vec(any::<u8>(), 0..4096),
        limit in 4usize..100_000,
    ) {
        for state in [PgWireConnectionState::AwaitingStartup, PgWireConnectionState::ReadyForQuery] {
            if let Err(e) = read_all(&bytes, state) {
                prop_assert!(!e.contains("loops"), "{}", e);
            }
        }
        // The size scanner takes any stream too, and a refusal names a length over the cap.
        if let Err(e) = Scanner::new(limit).feed(&bytes) {
            prop_assert!(e.length > limit);
        }
    }

    #[test]
    fn message_streams_decode_alike_however_they_are_cut(
        messages in proptest::collection::vec(message(), 1..12),
        cuts in proptest::collection::vec(1usize..48, 1..40),
    ) {
        let mut wire = BytesMut::new();
        for m in &messages {
            m.encode(&mut wire).unwrap();
        }
        let mut ready = DecodeContext::default();
        ready.awaiting_frontend_ssl = false;
        ready.awaiting_frontend_startup = false;
        let mut pending = BytesMut::new();
        let mut decoded = Vec::new();
        let mut rest = &wire[..];
        let mut cut = cuts.iter().cycle();
        while !rest.is_empty() {
            let n = (*cut.next().unwrap()).min(rest.len());
            pending.extend_from_slice(&rest[..n]);
            rest = &rest[n..];
            while let Some(m) = PgWireFrontendMessage::decode(&mut pending, &ready).unwrap() {
                decoded.push(m);
            }
        }
        prop_assert!(pending.is_empty());
        prop_assert_eq!(format!("{decoded:?}"), format!("{messages:?}"));
    }

    #[test]
    fn a_mutated_stream_fails_cleanly_or_decodes(
        messages in proptest::collection::vec(message(), 1..8),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        truncate in any::<prop::sample::Index>(),
    ) {
        let mut wire = BytesMut::new();
        for m in &messages {
            m.encode(&mut wire).unwrap();
        }
        for (at, byte) in &flips {
            let i = at.index(wire.len());
            wire[i] = *byte;
        }
        let keep = truncate.index(wire.len() + 1);
        wire.truncate(keep);
        // Through the connection's own reading path: every message is read or refused, the
        // stream ends, and nothing panics past the guard.
        if let Err(e) = read_all(&wire, PgWireConnectionState::ReadyForQuery) {
            prop_assert!(!e.contains("loops"), "{}", e);
        }
    }
}
