//! Who may connect: users with SCRAM-SHA-256 verifiers from the configuration.

pub mod privileges;
pub mod scram;

use std::collections::BTreeMap;

use serde::Deserialize;

/// A user of `[[users]]`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct UserDecl {
    /// The login name.
    pub name: String,
    /// The SCRAM-SHA-256 verifier (`aloe passwd` prints one).
    pub password: String,
    /// admin (default: everything) or reader (SELECT, SHOW, SET; no writes, no model runs).
    #[serde(default)]
    pub role: Role,
}

/// What a user may do.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything.
    #[default]
    Admin,
    /// Read only: queries, SHOW, SET of session settings, transactions and cursors.
    Reader,
}

/// The users a server accepts, by name.
#[derive(Debug, Clone, Default)]
pub struct Users {
    by_name: BTreeMap<String, (scram::Verifier, Role)>,
}

impl Users {
    /// Reads the declared users; a bad verifier or a name given twice is an error naming it.
    pub fn new(decls: &[UserDecl]) -> Result<Self, String> {
        let mut by_name = BTreeMap::new();
        for d in decls {
            let v =
                scram::Verifier::parse(&d.password).map_err(|e| format!("user {}: {e}", d.name))?;
            if by_name.insert(d.name.clone(), (v, d.role)).is_some() {
                return Err(format!("user {} is declared twice", d.name));
            }
        }
        Ok(Self { by_name })
    }

    /// Whether any user is declared (then every connection must authenticate).
    pub fn required(&self) -> bool {
        !self.by_name.is_empty()
    }

    /// The role of `name` (admin when no users are declared: the loopback trust default).
    pub fn role(&self, name: &str) -> Role {
        self.by_name.get(name).map_or(Role::Admin, |(_, r)| *r)
    }

    /// The verifier of `name`, or a fixed decoy that no proof matches, so that an unknown
    /// user goes through the same exchange and gets the same error as a wrong password.
    pub fn verifier(&self, name: &str) -> (scram::Verifier, bool) {
        match self.by_name.get(name) {
            Some((v, _)) => (v.clone(), true),
            None => (
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
