//! Who may connect: users with SCRAM-SHA-256 verifiers (or md5 hashes, when asked for) from
//! the configuration, and whether loopback clients are trusted without a password.

pub mod md5;
pub mod scram;

use std::collections::BTreeMap;

use serde::Deserialize;

pub use aloe_engine::privileges::Role;

/// A user of `[[users]]`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct UserDecl {
    /// The login name.
    pub name: String,
    /// The SCRAM-SHA-256 verifier (`aloe passwd` prints one), or an md5 hash when
    /// `[auth] method` is md5 or password.
    pub password: String,
    /// admin (default: everything) or reader (SELECT, SHOW, SET; no writes, no model runs).
    #[serde(default)]
    pub role: Role,
}

/// `[auth]`: how clients prove who they are.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// Clients on loopback log in without a password. Defaults to on only for the embedded
    /// default (no aloe.toml and no users), off otherwise; never applies to other addresses.
    pub trust: Option<bool>,
    /// How passwords are asked for.
    pub method: Method,
}

/// How a password is asked for.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
pub enum Method {
    /// SCRAM-SHA-256: the password never crosses the wire.
    #[default]
    #[serde(rename = "scram-sha-256")]
    ScramSha256,
    /// md5 for users stored with an md5 hash, SCRAM for the others (as PostgreSQL does).
    #[serde(rename = "md5")]
    Md5,
    /// The password in clear (use with TLS only), checked against either kind of secret.
    #[serde(rename = "password")]
    Password,
}

/// What the server keeps of a user's password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Secret {
    /// A SCRAM-SHA-256 verifier.
    Scram(scram::Verifier),
    /// `md5` + hex(md5(password ‖ user)).
    Md5(String),
}

impl Secret {
    /// Whether `password` in clear is the one behind this secret.
    pub fn matches(&self, user: &str, password: &str) -> bool {
        use subtle::ConstantTimeEq;
        match self {
            Secret::Scram(v) => {
                let candidate = scram::Verifier::new(password, &v.salt, v.iterations);
                candidate.stored_key.ct_eq(&v.stored_key).into()
            }
            Secret::Md5(stored) => md5::hash(password, user)
                .as_bytes()
                .ct_eq(stored.as_bytes())
                .into(),
        }
    }
}

/// The users a server accepts, by name.
#[derive(Debug, Clone, Default)]
pub struct Users {
    by_name: BTreeMap<String, (Secret, Role)>,
}

impl Users {
    /// Reads the declared users; a bad secret, an md5 hash the method cannot use, or a name
    /// given twice is an error naming the user.
    pub fn new(decls: &[UserDecl], method: Method) -> Result<Self, String> {
        let mut by_name = BTreeMap::new();
        for d in decls {
            let secret = if md5::is_hash(&d.password) {
                if method == Method::ScramSha256 {
                    return Err(format!(
                        "user {}: an md5 password needs [auth] method = \"md5\" (or \"password\"); \
                         with SCRAM give a verifier (`aloe passwd` makes one)",
                        d.name
                    ));
                }
                Secret::Md5(d.password.clone())
            } else {
                Secret::Scram(
                    scram::Verifier::parse(&d.password)
                        .map_err(|e| format!("user {}: {e}", d.name))?,
                )
            };
            if by_name.insert(d.name.clone(), (secret, d.role)).is_some() {
                return Err(format!("user {} is declared twice", d.name));
            }
        }
        Ok(Self { by_name })
    }

    /// The secret of a declared user.
    pub fn secret(&self, name: &str) -> Option<&Secret> {
        self.by_name.get(name).map(|(s, _)| s)
    }

    /// Whether any user is declared (then every connection not trusted must authenticate).
    pub fn required(&self) -> bool {
        !self.by_name.is_empty()
    }

    /// The role of `name` (admin when no users are declared: the embedded default's trust).
    pub fn role(&self, name: &str) -> Role {
        self.by_name.get(name).map_or(Role::Admin, |(_, r)| *r)
    }

    /// The verifier of `name`, or a fixed decoy that no proof matches, so that an unknown
    /// user (or one with an md5 hash) goes through the same exchange and gets the same error
    /// as a wrong password.
    pub fn verifier(&self, name: &str) -> (scram::Verifier, bool) {
        match self.by_name.get(name) {
            Some((Secret::Scram(v), _)) => (v.clone(), true),
            _ => (
                scram::Verifier {
                    iterations: scram::ITERATIONS,
                    salt: sha2::Digest::finalize(<sha2::Sha256 as sha2::Digest>::new_with_prefix(
                        name.as_bytes(),
                    ))[..16]
                        .to_vec(),
                    stored_key: vec![0; 32],
                    server_key: vec![0; 32],
                },
                false,
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decl(name: &str, password: &str) -> UserDecl {
        UserDecl {
            name: name.into(),
            password: password.into(),
            role: Role::Admin,
        }
    }

    #[test]
    fn md5_hashes_need_a_method_that_can_use_them() {
        let legacy = [decl("old", &md5::hash("pw", "old"))];
        let e = Users::new(&legacy, Method::ScramSha256).unwrap_err();
        assert!(e.contains("method = \"md5\""), "{e}");
        assert!(Users::new(&legacy, Method::Md5).is_ok());
        assert!(Users::new(&legacy, Method::Password).is_ok());
    }

    #[test]
    fn a_cleartext_password_is_checked_against_either_secret() {
        let scram = Secret::Scram(scram::Verifier::generate("right"));
        assert!(scram.matches("u", "right"));
        assert!(!scram.matches("u", "wrong"));
        let md5 = Secret::Md5(md5::hash("right", "u"));
        assert!(md5.matches("u", "right"));
        assert!(!md5.matches("u", "wrong"));
        assert!(
            !md5.matches("other", "right"),
            "md5 hashes are salted with the user name"
        );
    }
}
