//! SCRAM-SHA-256 (RFC 5802, RFC 7677) as PostgreSQL does it, server side, over verifiers in
//! PostgreSQL's own format: `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`.
//!
//! Written here rather than taken from pgwire: pgwire's SCRAM wants the salted password
//! itself from its credential store, which would make Aloe's configuration hold a
//! password-equivalent secret; a verifier only lets a server check a proof, not make one.
//! Channel binding (SCRAM-SHA-256-PLUS) is not offered. Messages are read as strictly as
//! PostgreSQL reads them: attributes in their fixed order, nonces of printable characters and
//! bounded length, proofs of exactly 32 bytes, the signed GS2 header and nonce those of this
//! exchange.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Iterations for new verifiers: PostgreSQL's default.
pub const ITERATIONS: u32 = 4096;

/// A stored SCRAM-SHA-256 verifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verifier {
    /// PBKDF2 iterations.
    pub iterations: u32,
    /// The salt.
    pub salt: Vec<u8>,
    /// H(ClientKey).
    pub stored_key: Vec<u8>,
    /// HMAC(SaltedPassword, "Server Key").
    pub server_key: Vec<u8>,
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes any key");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// Hi() of RFC 5802: PBKDF2 with HMAC-SHA-256 for one 32-byte block, written out because it is
/// six lines over the HMAC already here.
fn hi(password: &[u8], salt: &[u8], iterations: u32) -> Vec<u8> {
    let mut block = salt.to_vec();
    block.extend_from_slice(&1u32.to_be_bytes());
    let mut u = hmac(password, &block);
    let mut out = u.clone();
    for _ in 1..iterations {
        u = hmac(password, &u);
        out.iter_mut().zip(&u).for_each(|(o, x)| *o ^= x);
    }
    out
}

impl Verifier {
    /// The verifier of `password` with `salt`, as PostgreSQL computes it (SASLprep first).
    pub fn new(password: &str, salt: &[u8], iterations: u32) -> Self {
        let prepared = stringprep::saslprep(password)
            .map(|p| p.into_owned())
            .unwrap_or_else(|_| password.to_owned());
        let salted = hi(prepared.as_bytes(), salt, iterations);
        let client_key = hmac(&salted, b"Client Key");
        Self {
            iterations,
            salt: salt.to_vec(),
            stored_key: Sha256::digest(&client_key).to_vec(),
            server_key: hmac(&salted, b"Server Key"),
        }
    }

    /// A verifier for `password` with a fresh random salt.
    pub fn generate(password: &str) -> Self {
        Self::new(password, &rand::random::<[u8; 16]>(), ITERATIONS)
    }

    /// Reads PostgreSQL's text form.
    pub fn parse(text: &str) -> Result<Self, String> {
        let bad = || {
            "a password must be a SCRAM-SHA-256 verifier \
             (SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>); `aloe passwd` makes one"
                .to_owned()
        };
        let rest = text.strip_prefix("SCRAM-SHA-256$").ok_or_else(bad)?;
        let (params, keys) = rest.split_once('$').ok_or_else(bad)?;
        let (iterations, salt) = params.split_once(':').ok_or_else(bad)?;
        let (stored, server) = keys.split_once(':').ok_or_else(bad)?;
        let decode = |s: &str| STANDARD.decode(s).map_err(|_| bad());
        let v = Self {
            iterations: iterations.parse().map_err(|_| bad())?,
            salt: decode(salt)?,
            stored_key: decode(stored)?,
            server_key: decode(server)?,
        };
        if v.stored_key.len() != 32 || v.server_key.len() != 32 || v.iterations == 0 {
            return Err(bad());
        }
        Ok(v)
    }
}

impl std::fmt::Display for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SCRAM-SHA-256${}:{}${}:{}",
            self.iterations,
            STANDARD.encode(&self.salt),
            STANDARD.encode(&self.stored_key),
            STANDARD.encode(&self.server_key)
        )
    }
}

/// One exchange, between the client's first message and its proof.
#[derive(Debug, Clone)]
pub struct Exchange {
    client_first_bare: String,
    server_first: String,
    nonce: String,
    gs2_header: String,
}

/// Why an exchange failed: a malformed message (08P01), a SCRAM feature Aloe does not
/// implement (0A000) or a wrong proof (28P01).
#[derive(Debug, PartialEq, Eq)]
pub enum ScramError {
    /// The client broke the protocol.
    Protocol(String),
    /// The client asked for an authorization identity or a mandatory extension.
    Unsupported(String),
    /// The proof does not match: wrong password or unknown user.
    Rejected,
}

/// The longest client nonce taken. libpq, pgjdbc and psycopg send 24 characters; a nonce a
/// thousand times longer is an attempt to make the server copy and hash garbage.
const MAX_NONCE: usize = 1024;

/// The attributes of a SCRAM message, read in the order RFC 5802 §7 fixes, as PostgreSQL's
/// auth-scram.c reads them: a parser that searched for attributes anywhere would let a
/// client repeat or reorder them and sign something other than what it sent.
struct Attributes<'a> {
    rest: Option<&'a str>,
}

impl<'a> Attributes<'a> {
    fn new(text: &'a str) -> Self {
        Self { rest: Some(text) }
    }

    /// The next attribute, which must be `name`.
    fn expect(&mut self, name: char, what: &str) -> Result<&'a str, ScramError> {
        match self.next() {
            Some((n, value)) if n == name => Ok(value),
            _ => Err(malformed(format!("expected attribute \"{name}\" ({what})"))),
        }
    }

    /// The next `name=value`, if any.
    fn next(&mut self) -> Option<(char, &'a str)> {
        let text = self.rest?;
        let (attr, rest) = match text.split_once(',') {
            Some((attr, rest)) => (attr, Some(rest)),
            None => (text, None),
        };
        self.rest = rest;
        let mut chars = attr.chars();
        let name = chars.next()?;
        let value = chars.as_str().strip_prefix('=')?;
        Some((name, value))
    }

    /// What is left, unread.
    fn remaining(&self) -> Option<&'a str> {
        self.rest
    }
}

fn malformed(detail: impl Into<String>) -> ScramError {
    ScramError::Protocol(format!("malformed SCRAM message: {}", detail.into()))
}

/// A nonce of RFC 5802's `printable` characters (0x21..0x7E but ','), of sane length.
fn check_nonce(nonce: &str) -> Result<(), ScramError> {
    if nonce.is_empty() {
        return Err(malformed("the client nonce is empty"));
    }
    if nonce.len() > MAX_NONCE {
        return Err(malformed(format!(
            "the client nonce is longer than {MAX_NONCE} characters"
        )));
    }
    if !nonce
        .bytes()
        .all(|b| (0x21..=0x7e).contains(&b) && b != b',')
    {
        return Err(malformed(
            "the client nonce has characters outside printable ASCII",
        ));
    }
    Ok(())
}

/// Answers the client-first-message with the server-first-message, for `verifier`.
pub fn server_first(
    client_first: &[u8],
    verifier: &Verifier,
) -> Result<(Exchange, String), ScramError> {
    let text = std::str::from_utf8(client_first)
        .map_err(|_| ScramError::Protocol("SCRAM message is not UTF-8".into()))?;
    // gs2-header: a channel-binding flag, then an authorization identity, then the bare
    // message. Only SCRAM-SHA-256 is offered, never -PLUS, so "n" (client cannot bind) and
    // "y" (client could bind, sees the server cannot) are both honest; "p" asks for binding
    // the server never offered. "y" is not a downgrade here for that reason, and the header
    // the client signs in its final message (c=) must still be this one.
    let (flag, rest) = text
        .split_once(',')
        .ok_or_else(|| malformed("no GS2 header"))?;
    match flag {
        "n" | "y" => {}
        _ if flag.starts_with("p=") => {
            return Err(ScramError::Protocol(
                "malformed SCRAM message: the client selected SCRAM-SHA-256 without channel \
                 binding, but the message asks for channel binding"
                    .into(),
            ));
        }
        _ => {
            return Err(malformed(format!(
                "unexpected channel-binding flag \"{flag}\""
            )));
        }
    }
    let (authzid, bare) = rest
        .split_once(',')
        .ok_or_else(|| malformed("the GS2 header is not ended"))?;
    if authzid.starts_with("a=") {
        return Err(ScramError::Unsupported(
            "client uses authorization identity, but it is not supported".into(),
        ));
    }
    if !authzid.is_empty() {
        return Err(malformed("unexpected attribute in the GS2 header"));
    }
    let gs2_header = text[..flag.len() + authzid.len() + 2].to_owned();
    let mut attrs = Attributes::new(bare);
    if bare.starts_with("m=") {
        return Err(ScramError::Unsupported(
            "client requires an unsupported SCRAM extension".into(),
        ));
    }
    // The user name of the SCRAM message is ignored, as PostgreSQL ignores it: the startup
    // packet's user is the one logging in.
    attrs.expect('n', "user name")?;
    let client_nonce = attrs.expect('r', "nonce")?;
    check_nonce(client_nonce)?;
    let nonce = format!(
        "{client_nonce}{}",
        STANDARD.encode(rand::random::<[u8; 18]>())
    );
    let server_first = format!(
        "r={nonce},s={},i={}",
        STANDARD.encode(&verifier.salt),
        verifier.iterations
    );
    Ok((
        Exchange {
            client_first_bare: bare.to_owned(),
            server_first: server_first.clone(),
            nonce,
            gs2_header,
        },
        server_first,
    ))
}

/// Checks the client-final-message's proof; on success, the server-final-message.
pub fn server_final(
    exchange: &Exchange,
    client_final: &[u8],
    verifier: &Verifier,
) -> Result<String, ScramError> {
    let text = std::str::from_utf8(client_final)
        .map_err(|_| ScramError::Protocol("SCRAM message is not UTF-8".into()))?;
    let mut attrs = Attributes::new(text);
    let binding = attrs.expect('c', "channel binding")?;
    // The client signs the GS2 header it sent first: a header changed on the way (a
    // "y" turned into "n" to hide that the client could bind) fails here.
    if binding != STANDARD.encode(&exchange.gs2_header) {
        return Err(malformed(
            "the channel binding does not match the client's first message",
        ));
    }
    let nonce = attrs.expect('r', "nonce")?;
    if nonce != exchange.nonce {
        return Err(malformed("the nonce does not match the server's"));
    }
    // Optional extensions may follow; the proof comes last and ends the message.
    let proof = loop {
        match attrs.next() {
            Some(('p', proof)) if attrs.remaining().is_none() => break proof,
            Some(('p', _)) => return Err(malformed("garbage after the proof")),
            Some(('m', _)) => {
                return Err(ScramError::Unsupported(
                    "client requires an unsupported SCRAM extension".into(),
                ));
            }
            Some(_) => {}
            None => return Err(malformed("the client-final-message has no proof")),
        }
    };
    let without_proof = &text[..text.len() - proof.len() - ",p=".len()];
    // A SHA-256 proof is 32 bytes, 44 characters of base64; anything else is malformed.
    let proof = (proof.len() == 44)
        .then(|| STANDARD.decode(proof).ok())
        .flatten()
        .filter(|p| p.len() == 32)
        .ok_or_else(|| malformed("the proof is not 32 bytes of base64"))?;
    let auth_message = format!(
        "{},{},{}",
        exchange.client_first_bare, exchange.server_first, without_proof
    );
    let signature = hmac(&verifier.stored_key, auth_message.as_bytes());
    let client_key: Vec<u8> = proof.iter().zip(&signature).map(|(p, s)| p ^ s).collect();
    let stored = Sha256::digest(&client_key);
    if !bool::from(stored.as_slice().ct_eq(&verifier.stored_key)) {
        return Err(ScramError::Rejected);
    }
    let server_signature = hmac(&verifier.server_key, auth_message.as_bytes());
    Ok(format!("v={}", STANDARD.encode(server_signature)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7677's example exchange (user "user", password "pencil").
    #[test]
    fn rfc_7677_example() {
        let salt = STANDARD.decode("W22ZaJ0SNY7soEsUEjb6gQ==").unwrap();
        let verifier = Verifier::new("pencil", &salt, 4096);
        let client_first = b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
        let (mut exchange, _) = server_first(client_first, &verifier).unwrap();
        // Replay the RFC's server nonce.
        exchange.nonce = "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0".into();
        exchange.server_first = format!("r={},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", exchange.nonce);
        let client_final = format!(
            "c=biws,r={},p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
            exchange.nonce
        );
        let answer = server_final(&exchange, client_final.as_bytes(), &verifier).unwrap();
        assert_eq!(answer, "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
        let wrong = client_final.replace("dHzb", "dHzc");
        assert_eq!(
            server_final(&exchange, wrong.as_bytes(), &verifier),
            Err(ScramError::Rejected)
        );
    }

    /// A real client's exchange against `verifier`, with `tamper` applied to its
    /// client-final-message before the server reads it.
    fn exchange_with(
        client_first: &str,
        tamper: impl Fn(&str, &Exchange) -> String,
    ) -> Result<String, ScramError> {
        let salt = b"0123456789abcdef";
        let verifier = Verifier::new("pencil", salt, 4096);
        let (exchange, _) = server_first(client_first.as_bytes(), &verifier)?;
        let gs2 = &client_first[..client_first.find("n=").unwrap()];
        let without_proof = format!("c={},r={}", STANDARD.encode(gs2), exchange.nonce);
        let salted = hi(b"pencil", salt, 4096);
        let client_key = hmac(&salted, b"Client Key");
        let auth = format!(
            "{},{},{without_proof}",
            exchange.client_first_bare, exchange.server_first
        );
        let signature = hmac(&Sha256::digest(&client_key), auth.as_bytes());
        let proof: Vec<u8> = client_key
            .iter()
            .zip(&signature)
            .map(|(k, s)| k ^ s)
            .collect();
        let good = format!("{without_proof},p={}", STANDARD.encode(proof));
        server_final(&exchange, tamper(&good, &exchange).as_bytes(), &verifier)
    }

    fn protocol_error(result: Result<impl std::fmt::Debug, ScramError>) -> String {
        match result {
            Err(ScramError::Protocol(m)) => m,
            other => panic!("expected a protocol error, got {other:?}"),
        }
    }

    #[test]
    fn an_honest_exchange_passes_with_either_gs2_flag() {
        for first in ["n,,n=,r=abc", "y,,n=user,r=abc"] {
            assert!(exchange_with(first, |m, _| m.to_owned()).is_ok(), "{first}");
        }
        // Optional extensions before the proof are signed like the rest.
        assert_eq!(
            exchange_with("n,,n=,r=abc", |m, _| m.replace(",p=", ",x=1,p=")),
            Err(ScramError::Rejected),
            "an extension the client did not sign changes the auth message"
        );
    }

    #[test]
    fn channel_binding_is_neither_downgraded_nor_faked() {
        // The client asks for binding the server never offered.
        let m = protocol_error(exchange_with("p=tls-server-end-point,,n=,r=abc", |m, _| {
            m.to_owned()
        }));
        assert!(m.contains("channel binding"), "{m}");
        // A "y" header rewritten to "n" on the way (or the reverse): the signed c= differs.
        let m = protocol_error(exchange_with("y,,n=,r=abc", |m, _| {
            m.replacen(&STANDARD.encode("y,,"), &STANDARD.encode("n,,"), 1)
        }));
        assert!(m.contains("channel binding does not match"), "{m}");
        let m = protocol_error(exchange_with("n,,n=,r=abc", |m, _| {
            m.replacen("c=biws", "c=", 1)
        }));
        assert!(m.contains("channel binding"), "{m}");
        assert!(matches!(
            exchange_with("n,a=admin,n=,r=abc", |m, _| m.to_owned()),
            Err(ScramError::Unsupported(_))
        ));
        assert!(matches!(
            exchange_with("n,,m=ext,n=,r=abc", |m, _| m.to_owned()),
            Err(ScramError::Unsupported(_))
        ));
    }

    #[test]
    fn malformed_and_overlong_nonces_are_refused() {
        let long = format!("n,,n=,r={}", "a".repeat(MAX_NONCE + 1));
        for first in [
            "n,,n=,r=",
            "n,,n=,r=ab\u{7f}c",
            "n,,n=,r=ab c",
            "n,,r=abc",
            "n,,r=abc,n=",
            "n,,n=",
            "n,n=,r=abc",
            "x,,n=,r=abc",
            "",
            long.as_str(),
        ] {
            protocol_error(exchange_with(first, |m, _| m.to_owned()));
        }
    }

    #[test]
    fn a_final_nonce_that_is_not_the_servers_is_refused() {
        let m = protocol_error(exchange_with("n,,n=,r=abc", |m, e| {
            m.replacen(&e.nonce, "abcforgedforgedforged", 1)
        }));
        assert!(m.contains("nonce does not match"), "{m}");
        // The client's own part of the nonce only, without the server's.
        let m = protocol_error(exchange_with("n,,n=,r=abc", |m, e| {
            m.replacen(&e.nonce, "abc", 1)
        }));
        assert!(m.contains("nonce"), "{m}");
        // A second r= after the right one is an attribute out of place, then a wrong proof.
        assert!(exchange_with("n,,n=,r=abc", |m, _| m.replacen(",p=", ",r=other,p=", 1)).is_err());
    }

    #[test]
    fn malformed_and_overlong_proofs_are_protocol_errors() {
        let cases: [&dyn Fn(&str) -> String; 6] = [
            &|m| m[..m.find(",p=").unwrap()].to_owned(),
            &|m| format!("{m}A"),
            &|m| format!("{m}{}", "QUFB".repeat(100_000)),
            &|m| format!("{}p=!!!notbase64!!!", &m[..m.find("p=").unwrap()]),
            &|m| {
                format!(
                    "{}p={}",
                    &m[..m.find("p=").unwrap()],
                    STANDARD.encode([0u8; 31])
                )
            },
            &|m| format!("{m},x=after"),
        ];
        for tamper in cases {
            protocol_error(exchange_with("n,,n=,r=abc", |m, _| tamper(m)));
        }
        // A well-formed proof of the wrong password is a rejected login, not a protocol error.
        assert_eq!(
            exchange_with("n,,n=,r=abc", |m, _| {
                let at = m.find("p=").unwrap() + 2;
                format!("{}{}", &m[..at], STANDARD.encode([7u8; 32]))
            }),
            Err(ScramError::Rejected)
        );
    }

    #[test]
    fn verifiers_round_trip_and_bad_ones_are_refused() {
        let v = Verifier::generate("s3cret");
        assert_eq!(Verifier::parse(&v.to_string()).unwrap(), v);
        for bad in [
            "s3cret",
            "md5abc",
            "SCRAM-SHA-256$4096:abc",
            "SCRAM-SHA-256$x:YQ==$YQ==:YQ==",
        ] {
            assert!(
                Verifier::parse(bad).unwrap_err().contains("aloe passwd"),
                "{bad}"
            );
        }
    }
}
