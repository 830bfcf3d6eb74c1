//! SCRAM-SHA-256 logins under attack, over a raw socket: a real client's exchange
//! (postgres-protocol's SCRAM client, the one tokio-postgres uses) with its messages changed on
//! the way as a machine in the middle or a hostile client would. Each forgery is refused with
//! PostgreSQL's SQLSTATE (08P01 for a broken exchange, 0A000 for what SCRAM allows and Aloe
//! does not do, 28P01 for a wrong password), and the server goes on logging honest clients in.

use postgres_protocol::authentication::sasl::{ChannelBinding, ScramSha256};

use crate::harness::{Server, write};
use crate::raw::{Message, Raw, cstr, frame, startup_packet};

const PASSWORD: &str = "pencil sharpener";

/// What a forger does to the exchange.
struct Forgery {
    /// The mechanism named in SASLInitialResponse.
    mechanism: &'static str,
    /// The GS2 flag of the real client: `y` when it could bind but sees no -PLUS offer.
    binding: fn() -> ChannelBinding,
    /// Rewrites the client-first-message.
    first: fn(String) -> String,
    /// Rewrites the client-final-message.
    last: fn(String) -> String,
}

impl Forgery {
    fn honest() -> Self {
        Forgery {
            mechanism: "SCRAM-SHA-256",
            binding: ChannelBinding::unsupported,
            first: |m| m,
            last: |m| m,
        }
    }
}

fn server() -> (Server, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let entry = crate::auth::verifier_entry(dir.path(), "analyst", PASSWORD);
    write(dir.path(), "aloe.toml", &entry);
    let server = Server::start_in(dir.path(), &[], &[]);
    (server, dir)
}

/// Runs one login with `forgery` applied and `password` as the client's: the server's last
/// answer (AuthenticationOk's ReadyForQuery, or the ErrorResponse).
fn login(server: &Server, password: &str, forgery: &Forgery) -> Message {
    let mut raw = Raw::connect(server.addr);
    raw.send(&startup_packet(&[
        ("user", "analyst"),
        ("database", "aloe"),
    ]));
    let offer = raw.read().expect("an authentication request");
    assert_eq!(offer.kind, b'R');
    assert_eq!(&offer.body[..4], &10i32.to_be_bytes(), "AuthenticationSASL");
    assert!(
        !String::from_utf8_lossy(&offer.body).contains("PLUS"),
        "channel binding is not offered"
    );

    let mut scram = ScramSha256::new(password.as_bytes(), (forgery.binding)());
    let first = (forgery.first)(String::from_utf8(scram.message().to_vec()).unwrap());
    let mut initial = cstr(forgery.mechanism);
    initial.extend((first.len() as i32).to_be_bytes());
    initial.extend(first.as_bytes());
    raw.send(&frame(b'p', &initial));
    let challenge = raw.read().expect("an answer to the first message");
    if challenge.kind == b'E' {
        return challenge;
    }
    assert_eq!(&challenge.body[..4], &11i32.to_be_bytes(), "SASLContinue");
    // The real client's nonce check passes: the forger rewrote only its own side.
    let server_first = challenge.body[4..].to_vec();
    scram
        .update(&server_first)
        .expect("the client accepts the server-first-message");
    let last = (forgery.last)(String::from_utf8(scram.message().to_vec()).unwrap());
    raw.send(&frame(b'p', last.as_bytes()));
    loop {
        let m = raw.read().expect("an answer to the proof");
        if m.kind == b'E' || m.kind == b'Z' {
            return m;
        }
    }
}

fn refused(server: &Server, forgery: Forgery) -> (String, String) {
    let m = login(server, PASSWORD, &forgery);
    assert_eq!(m.kind, b'E', "the forgery logged in");
    (m.sqlstate().unwrap(), m.field(b'M').unwrap())
}

#[test]
fn honest_scram_clients_log_in_with_either_gs2_flag() {
    let (server, _dir) = server();
    assert_eq!(login(&server, PASSWORD, &Forgery::honest()).kind, b'Z');
    let could_bind = Forgery {
        binding: ChannelBinding::unrequested,
        ..Forgery::honest()
    };
    assert_eq!(login(&server, PASSWORD, &could_bind).kind, b'Z');
    let wrong = login(&server, "pencil", &Forgery::honest());
    assert_eq!(wrong.sqlstate().as_deref(), Some("28P01"));
}

#[test]
fn channel_binding_cannot_be_downgraded_or_faked() {
    let (server, _dir) = server();
    // A -PLUS mechanism the server never listed.
    let (code, message) = refused(
        &server,
        Forgery {
            mechanism: "SCRAM-SHA-256-PLUS",
            ..Forgery::honest()
        },
    );
    assert_eq!(code, "08P01", "{message}");
    // Binding data asked for under plain SCRAM-SHA-256.
    let (code, message) = refused(
        &server,
        Forgery {
            first: |m| m.replacen("n,,", "p=tls-server-end-point,,", 1),
            ..Forgery::honest()
        },
    );
    assert_eq!(code, "08P01", "{message}");
    assert!(message.contains("channel binding"), "{message}");
    // A "y" (the client could bind) turned into "n" on the way in: the client signed "y,,".
    let (code, message) = refused(
        &server,
        Forgery {
            binding: ChannelBinding::unrequested,
            first: |m| m.replacen("y,,", "n,,", 1),
            ..Forgery::honest()
        },
    );
    assert_eq!(code, "08P01", "{message}");
    assert!(
        message.contains("channel binding does not match"),
        "{message}"
    );
    // An authorization identity: SCRAM allows one, PostgreSQL and Aloe do not.
    let (code, _) = refused(
        &server,
        Forgery {
            first: |m| m.replacen("n,,", "n,a=admin,", 1),
            ..Forgery::honest()
        },
    );
    assert_eq!(code, "0A000");
    assert_eq!(login(&server, PASSWORD, &Forgery::honest()).kind, b'Z');
}

#[test]
fn malformed_or_overlong_nonces_and_proofs_are_protocol_violations() {
    let (server, _dir) = server();
    let forgeries = [
        Forgery {
            first: |m| format!("{m}{}", "x".repeat(5000)),
            ..Forgery::honest()
        },
        Forgery {
            first: |m| m.replacen(",r=", ",r=with space", 1),
            ..Forgery::honest()
        },
        Forgery {
            first: |m| m.replacen(",r=", ",n=twice,r=", 1),
            ..Forgery::honest()
        },
        Forgery {
            last: |m| m[..m.len() - 5].to_owned(),
            ..Forgery::honest()
        },
        Forgery {
            last: |m| format!("{m}{}", "QUFB".repeat(2500)),
            ..Forgery::honest()
        },
        Forgery {
            last: |m| format!("{}p=%%%%", &m[..m.find("p=").unwrap()]),
            ..Forgery::honest()
        },
        Forgery {
            last: |m| m[..m.find(",p=").unwrap()].to_owned(),
            ..Forgery::honest()
        },
    ];
    for (i, forgery) in forgeries.into_iter().enumerate() {
        let (code, message) = refused(&server, forgery);
        assert_eq!(code, "08P01", "forgery {i}: {message}");
    }
    assert_eq!(login(&server, PASSWORD, &Forgery::honest()).kind, b'Z');
}

#[test]
fn a_client_final_nonce_that_is_not_the_servers_is_refused() {
    let (server, _dir) = server();
    // The client's half only, and the server's nonce with one character changed.
    let forgeries = [
        Forgery {
            last: |m| {
                let start = m.find(",r=").unwrap() + 3;
                let end = m.find(",p=").unwrap();
                format!("{}{}{}", &m[..start], &m[start..start + 24], &m[end..])
            },
            ..Forgery::honest()
        },
        Forgery {
            last: |m| {
                let end = m.find(",p=").unwrap();
                let flipped = if &m[end - 1..end] == "A" { "B" } else { "A" };
                format!("{}{flipped}{}", &m[..end - 1], &m[end..])
            },
            ..Forgery::honest()
        },
    ];
    for forgery in forgeries {
        let (code, message) = refused(&server, forgery);
        assert_eq!(code, "08P01", "{message}");
        assert!(message.contains("nonce does not match"), "{message}");
    }
    assert_eq!(login(&server, PASSWORD, &Forgery::honest()).kind, b'Z');
}
