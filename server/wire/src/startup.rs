//! The startup phase: protocol version, TLS requirement, login (trust for loopback clients
//! when configured; otherwise SCRAM-SHA-256, or md5 or a cleartext password when `[auth]`
//! asks for them), the session, ParameterStatus and BackendKeyData.

use aloe_engine::error::sqlstate;
use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bytes::Bytes;
use futures::{Sink, SinkExt};
use pgwire::api::auth::{
    StartupHandler, protocol_negotiation, save_startup_parameters_to_metadata,
};
use pgwire::api::{
    ClientInfo, METADATA_DATABASE, METADATA_USER, PgWireConnectionState, PidSecretKeyGenerator,
};
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::response::{ReadyForQuery, TransactionStatus};
use pgwire::messages::startup::{Authentication, BackendKeyData, ParameterStatus};
use pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};

use super::Frontend;
use super::errors::fatal;
use crate::auth::scram::{self, Exchange, ScramError, Verifier};
use crate::auth::{Method, Secret};

/// The one SASL mechanism offered.
const SCRAM_SHA_256: &str = "SCRAM-SHA-256";

/// A connection's login in progress, between its startup packet and its session.
struct Login {
    user: String,
    parameters: BTreeMap<String, String>,
    step: Mutex<Step>,
}

enum Step {
    /// Waiting for the password in clear.
    Cleartext,
    /// Waiting for the answer to this md5 salt.
    Md5([u8; 4]),
    /// Waiting for the SASLInitialResponse.
    First,
    /// Waiting for the proof; whether the user exists is known only to the server.
    Final(Exchange, Verifier, bool),
    /// Over (a second proof is a protocol error).
    Done,
}

/// What a SASL message gets back.
enum Reply {
    /// The server-first-message: send it and wait for the proof.
    Challenge(String),
    /// The password or proof checked: the SCRAM server-final-message if any, then the
    /// session.
    Accepted(Option<String>),
}

fn rejected(user: &str) -> PgWireError {
    fatal(
        sqlstate::INVALID_PASSWORD,
        format!("password authentication failed for user \"{user}\""),
    )
}

fn protocol(message: impl Into<String>) -> PgWireError {
    fatal(sqlstate::PROTOCOL_VIOLATION, message)
}

/// A failed SCRAM step as the client hears of it: PostgreSQL's codes for each failure.
fn scram_error(error: ScramError, user: &str) -> PgWireError {
    match error {
        ScramError::Protocol(m) => protocol(m),
        ScramError::Unsupported(m) => fatal(sqlstate::FEATURE_NOT_SUPPORTED, m),
        ScramError::Rejected => rejected(user),
    }
}

#[async_trait]
impl StartupHandler for Frontend {
    async fn on_startup<C>(
        &self,
        client: &mut C,
        message: PgWireFrontendMessage,
    ) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        match message {
            PgWireFrontendMessage::Startup(startup) => {
                protocol_negotiation(client, &startup).await?;
                save_startup_parameters_to_metadata(client, &startup);
                let user = self.check_user_and_database(client)?;
                if self.login.tls_required && !client.is_secure() {
                    return Err(fatal(
                        sqlstate::INVALID_AUTHORIZATION_SPECIFICATION,
                        format!(
                            "this server accepts only TLS connections (user \"{user}\", no \
                             encryption): connect with sslmode=require"
                        ),
                    ));
                }
                if self.login.trusts(client.socket_addr().ip()) {
                    if self.users.required() && self.users.secret(&user).is_none() {
                        return Err(fatal(
                            sqlstate::INVALID_AUTHORIZATION_SPECIFICATION,
                            format!("role \"{user}\" does not exist"),
                        ));
                    }
                    return self.begin_session(client, &user, &startup.parameters).await;
                }
                let (ask, step) = match (self.login.method, self.users.secret(&user)) {
                    (Method::Password, _) => (Authentication::CleartextPassword, Step::Cleartext),
                    (Method::Md5, Some(Secret::Md5(_))) => {
                        let salt = rand::random::<[u8; 4]>();
                        (Authentication::MD5Password(salt.to_vec()), Step::Md5(salt))
                    }
                    _ => (
                        Authentication::SASL(vec![SCRAM_SHA_256.to_owned()]),
                        Step::First,
                    ),
                };
                client.session_extensions().insert(Login {
                    user,
                    parameters: startup.parameters.clone(),
                    step: Mutex::new(step),
                });
                client.set_state(PgWireConnectionState::AuthenticationInProgress);
                client
                    .send(PgWireBackendMessage::Authentication(ask))
                    .await?;
                Ok(())
            }
            PgWireFrontendMessage::PasswordMessageFamily(message) => {
                let login = client
                    .session_extensions()
                    .get::<Login>()
                    .ok_or_else(|| protocol("unexpected password message"))?;
                match self.password_step(&login, message)? {
                    Reply::Challenge(challenge) => {
                        client
                            .send(PgWireBackendMessage::Authentication(
                                Authentication::SASLContinue(Bytes::from(challenge)),
                            ))
                            .await?;
                        Ok(())
                    }
                    Reply::Accepted(server_final) => {
                        if let Some(server_final) = server_final {
                            client
                                .feed(PgWireBackendMessage::Authentication(
                                    Authentication::SASLFinal(Bytes::from(server_final)),
                                ))
                                .await?;
                        }
                        self.begin_session(client, &login.user, &login.parameters)
                            .await
                    }
                }
            }
            _ => Ok(()),
        }
    }
}

impl Frontend {
    /// The user of the startup packet, once the database it names is this one.
    fn check_user_and_database<C: ClientInfo>(&self, client: &C) -> PgWireResult<String> {
        let user = client
            .metadata()
            .get(METADATA_USER)
            .cloned()
            .ok_or_else(|| {
                fatal(
                    sqlstate::INVALID_AUTHORIZATION_SPECIFICATION,
                    "no PostgreSQL user name specified in startup packet",
                )
            })?;
        let database = client
            .metadata()
            .get(METADATA_DATABASE)
            .cloned()
            .unwrap_or_else(|| user.clone());
        if database != self.engine.database() {
            return Err(fatal(
                sqlstate::INVALID_CATALOG_NAME,
                format!(
                    "database \"{database}\" does not exist (this server has \"{}\")",
                    self.engine.database()
                ),
            ));
        }
        Ok(user)
    }

    /// One password message: the SCRAM challenge to send next, or the login accepted.
    fn password_step(
        &self,
        login: &Login,
        message: pgwire::messages::startup::PasswordMessageFamily,
    ) -> PgWireResult<Reply> {
        let mut step = login.step.lock().expect("login lock");
        match std::mem::replace(&mut *step, Step::Done) {
            Step::Cleartext => {
                let password = message.into_password()?.password;
                match self.users.secret(&login.user) {
                    Some(secret) if secret.matches(&login.user, &password) => {
                        Ok(Reply::Accepted(None))
                    }
                    _ => Err(rejected(&login.user)),
                }
            }
            Step::Md5(salt) => {
                let answer = message.into_password()?.password;
                match self.users.secret(&login.user) {
                    Some(Secret::Md5(stored)) if crate::auth::md5::check(stored, salt, &answer) => {
                        Ok(Reply::Accepted(None))
                    }
                    _ => Err(rejected(&login.user)),
                }
            }
            Step::First => {
                let initial = message.into_sasl_initial_response()?;
                if initial.auth_method != SCRAM_SHA_256 {
                    // PostgreSQL's code for a mechanism it did not offer (a -PLUS the server
                    // never listed is one).
                    return Err(protocol(format!(
                        "client selected an invalid SASL authentication mechanism \
                         ({}; this server offers {SCRAM_SHA_256} only)",
                        initial.auth_method
                    )));
                }
                let data = initial
                    .data
                    .ok_or_else(|| protocol("SASLInitialResponse without data"))?;
                let (verifier, known) = self.users.verifier(&login.user);
                let (exchange, challenge) = scram::server_first(&data, &verifier)
                    .map_err(|e| scram_error(e, &login.user))?;
                *step = Step::Final(exchange, verifier, known);
                Ok(Reply::Challenge(challenge))
            }
            Step::Final(exchange, verifier, known) => {
                let response = message.into_sasl_response()?;
                match scram::server_final(&exchange, &response.data, &verifier) {
                    Ok(server_final) if known => Ok(Reply::Accepted(Some(server_final))),
                    Ok(_) => Err(rejected(&login.user)),
                    Err(e) => Err(scram_error(e, &login.user)),
                }
            }
            Step::Done => Err(protocol("the login is already over")),
        }
    }

    /// Opens the session of `user` and tells the client it is ready.
    async fn begin_session<C>(
        &self,
        client: &mut C,
        user: &str,
        parameters: &BTreeMap<String, String>,
    ) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let (pid, secret) = self.keys.generate(client);
        client.set_pid_and_secret_key(pid, secret.clone());
        let session = Arc::new(
            self.engine
                .session_as(user, parameters, self.users.role(user))
                .map_err(|e| fatal(e.code, e.message))?,
        );
        let registration = self.registry.register(pid, &secret, &session);
        client.session_extensions().insert(registration);
        let reported = session.reported_settings();
        client.session_extensions().insert(session);

        client
            .feed(PgWireBackendMessage::Authentication(Authentication::Ok))
            .await?;
        for (name, value) in reported {
            client
                .feed(PgWireBackendMessage::ParameterStatus(ParameterStatus::new(
                    name, value,
                )))
                .await?;
        }
        client
            .feed(PgWireBackendMessage::BackendKeyData(BackendKeyData::new(
                pid, secret,
            )))
            .await?;
        client
            .send(PgWireBackendMessage::ReadyForQuery(ReadyForQuery::new(
                TransactionStatus::Idle,
            )))
            .await?;
        client.set_state(PgWireConnectionState::ReadyForQuery);
        tracing::debug!(%user, pid, "session started");
        Ok(())
    }
}
