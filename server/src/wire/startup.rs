//! The startup phase: protocol version, login (trust, or SCRAM-SHA-256 when users are
//! declared), the session, ParameterStatus and BackendKeyData.

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

/// The one SASL mechanism offered.
const SCRAM_SHA_256: &str = "SCRAM-SHA-256";

/// A connection's login in progress, between its startup packet and its session.
struct Login {
    user: String,
    parameters: BTreeMap<String, String>,
    step: Mutex<Step>,
}

enum Step {
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
    /// The proof checked: the server-final-message, then the session.
    Accepted(String),
}

fn rejected(user: &str) -> PgWireError {
    fatal(
        "28P01",
        format!("password authentication failed for user \"{user}\""),
    )
}

fn protocol(message: impl Into<String>) -> PgWireError {
    fatal("08P01", message)
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
                if !self.users.required() {
                    return self.begin_session(client, &user, &startup.parameters).await;
                }
                client.session_extensions().insert(Login {
                    user,
                    parameters: startup.parameters.clone(),
                    step: Mutex::new(Step::First),
                });
                client.set_state(PgWireConnectionState::AuthenticationInProgress);
                client
                    .send(PgWireBackendMessage::Authentication(Authentication::SASL(
                        vec![SCRAM_SHA_256.to_owned()],
                    )))
                    .await?;
                Ok(())
            }
            PgWireFrontendMessage::PasswordMessageFamily(message) => {
                let login = client
                    .session_extensions()
                    .get::<Login>()
                    .ok_or_else(|| protocol("unexpected password message"))?;
                match self.scram_step(&login, message)? {
                    Reply::Challenge(challenge) => {
                        client
                            .send(PgWireBackendMessage::Authentication(
                                Authentication::SASLContinue(Bytes::from(challenge)),
                            ))
                            .await?;
                        Ok(())
                    }
                    Reply::Accepted(server_final) => {
                        client
                            .feed(PgWireBackendMessage::Authentication(
                                Authentication::SASLFinal(Bytes::from(server_final)),
                            ))
                            .await?;
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
                    "28000",
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
                "3D000",
                format!(
                    "database \"{database}\" does not exist (this server has \"{}\")",
                    self.engine.database()
                ),
            ));
        }
        Ok(user)
    }

    /// One SASL message: the challenge to send after the first, None once the proof checked.
    fn scram_step(
        &self,
        login: &Login,
        message: pgwire::messages::startup::PasswordMessageFamily,
    ) -> PgWireResult<Reply> {
        let mut step = login.step.lock().expect("login lock");
        match std::mem::replace(&mut *step, Step::Done) {
            Step::First => {
                let initial = message.into_sasl_initial_response()?;
                if initial.auth_method != SCRAM_SHA_256 {
                    return Err(fatal(
                        "28000",
                        format!(
                            "SASL mechanism {} is not offered; use {SCRAM_SHA_256}",
                            initial.auth_method
                        ),
                    ));
                }
                let data = initial
                    .data
                    .ok_or_else(|| protocol("SASLInitialResponse without data"))?;
                let (verifier, known) = self.users.verifier(&login.user);
                let (exchange, challenge) =
                    scram::server_first(&data, &verifier).map_err(|e| match e {
                        ScramError::Protocol(m) => protocol(m),
                        ScramError::Rejected => rejected(&login.user),
                    })?;
                *step = Step::Final(exchange, verifier, known);
                Ok(Reply::Challenge(challenge))
            }
            Step::Final(exchange, verifier, known) => {
                let response = message.into_sasl_response()?;
                match scram::server_final(&exchange, &response.data, &verifier) {
                    Ok(server_final) if known => Ok(Reply::Accepted(server_final)),
                    Ok(_) | Err(ScramError::Rejected) => Err(rejected(&login.user)),
                    Err(ScramError::Protocol(m)) => Err(protocol(m)),
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
