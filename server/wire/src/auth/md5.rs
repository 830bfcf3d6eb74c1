//! PostgreSQL's md5 password method: stored `md5` + hex(md5(password ‖ user)), challenged
//! with a 4-byte salt. Weaker than SCRAM (the stored hash is password-equivalent), so Aloe
//! offers it only when `[auth] method = "md5"` asks for it, for clients that lack SCRAM.

use md5::{Digest, Md5};
use subtle::ConstantTimeEq;

/// The stored form of `password` for `user`, as PostgreSQL writes it.
pub fn hash(password: &str, user: &str) -> String {
    let mut h = Md5::new();
    h.update(password.as_bytes());
    h.update(user.as_bytes());
    format!("md5{}", hex(&h.finalize()))
}

/// Whether `text` is a stored md5 hash (`md5` and 32 lower-case hex digits).
pub fn is_hash(text: &str) -> bool {
    text.strip_prefix("md5").is_some_and(|h| {
        h.len() == 32
            && h.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// Whether the client's answer to `salt` proves it knows the password behind `stored`.
pub fn check(stored: &str, salt: [u8; 4], answer: &str) -> bool {
    let mut h = Md5::new();
    h.update(&stored.as_bytes()[3..]);
    h.update(salt);
    let expected = format!("md5{}", hex(&h.finalize()));
    expected.as_bytes().ct_eq(answer.as_bytes()).into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_as_postgresql_does() {
        // SELECT 'md5' || md5('secret' || 'alice') in PostgreSQL.
        assert_eq!(
            hash("secret", "alice"),
            "md54a0a68b43b6cd5cf266fa02f196e2371"
        );
    }

    #[test]
    fn a_client_answer_is_checked_against_the_salt() {
        let stored = hash("secret", "alice");
        assert!(is_hash(&stored));
        let salt = [1, 2, 3, 4];
        let mut h = Md5::new();
        h.update(&stored.as_bytes()[3..]);
        h.update(salt);
        let answer = format!("md5{}", hex(&h.finalize()));
        assert!(check(&stored, salt, &answer));
        assert!(!check(&stored, [4, 3, 2, 1], &answer));
        assert!(!check(&hash("other", "alice"), salt, &answer));
    }
}
