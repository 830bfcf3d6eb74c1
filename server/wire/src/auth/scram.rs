//! SCRAM-SHA-256 (RFC 5802, RFC 7677) as PostgreSQL does it, server side, over verifiers in
//! PostgreSQL's own format: `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`.
//!
//! Written here rather than taken from pgwire: pgwire's SCRAM wants the salted password
//! itself from its credential store, which would make Aloe's configuration hold a
//! password-equivalent secret; a verifier only lets a server check a proof, not make one.
//! Channel binding (SCRAM-SHA-256-PLUS) is not offered.

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

/// Why an exchange failed: a malformed message (08P01) or a wrong proof (28P01).
#[derive(Debug, PartialEq, Eq)]
pub enum ScramError {
    /// The client broke the protocol.
    Protocol(String),
    /// The proof does not match: wrong password or unknown user.
    Rejected,
}

/// Answers the client-first-message with the server-first-message, for `verifier`.
pub fn server_first(
    client_first: &[u8],
    verifier: &Verifier,
) -> Result<(Exchange, String), ScramError> {
    let text = std::str::from_utf8(client_first)
        .map_err(|_| ScramError::Protocol("SCRAM message is not UTF-8".into()))?;
    // gs2-header: "n,," (no channel binding) or "y,," (client could bind, server did not offer).
    let (gs2_header, bare) = match text.get(..3) {
        Some("n,,") | Some("y,,") => (text[..3].to_owned(), &text[3..]),
        _ if text.starts_with("p=") => {
            return Err(ScramError::Protocol(
                "channel binding is not offered by this server".into(),
            ));
        }
        _ => {
            return Err(ScramError::Protocol(
                "malformed SCRAM client-first-message".into(),
            ));
        }
    };
    let client_nonce = bare
        .split(',')
        .find_map(|a| a.strip_prefix("r="))
        .filter(|n| !n.is_empty())
        .ok_or_else(|| ScramError::Protocol("SCRAM client-first-message has no nonce".into()))?;
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
    let (without_proof, proof) = text
        .rsplit_once(",p=")
        .ok_or_else(|| ScramError::Protocol("SCRAM client-final-message has no proof".into()))?;
    let mut binding = None;
    let mut nonce = None;
    for attr in without_proof.split(',') {
        if let Some(c) = attr.strip_prefix("c=") {
            binding = Some(c);
        } else if let Some(r) = attr.strip_prefix("r=") {
            nonce = Some(r);
        }
    }
    if binding != Some(STANDARD.encode(&exchange.gs2_header).as_str()) {
        return Err(ScramError::Protocol(
            "SCRAM channel binding does not match".into(),
        ));
    }
    if nonce != Some(exchange.nonce.as_str()) {
        return Err(ScramError::Protocol("SCRAM nonce does not match".into()));
    }
    let proof = STANDARD
        .decode(proof)
        .map_err(|_| ScramError::Protocol("SCRAM proof is not base64".into()))?;
    if proof.len() != 32 {
        return Err(ScramError::Rejected);
    }
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
