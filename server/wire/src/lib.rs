//! The PostgreSQL front end: accepts connections, runs the protocol, and hands statements to
//! the engine's sessions.

pub mod auth;
mod binary_output;
mod cancel;
mod connection;
mod copy;
mod decode_guard;
#[cfg(test)]
mod decode_props;
mod encode;
mod errors;
mod extended;
mod message_limit;
mod notices;
mod params;
mod simple;
mod startup;
pub mod text_output;
pub mod tls;

use std::sync::Arc;

use pgwire::api::{ClientInfo, RandomPidSecretKeyGenerator};
use pgwire::error::PgWireResult;
use pgwire::messages::response::TransactionStatus;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

use aloe_engine::{Engine, Session, TxStatus};

/// Everything a connection's protocol handlers share.
pub struct Frontend {
    /// The engine whose sessions run the statements.
    engine: Arc<Engine>,
    /// Sessions by BackendKeyData, for CancelRequest.
    registry: Arc<cancel::Registry>,
    /// Process ids and secret keys for BackendKeyData.
    keys: RandomPidSecretKeyGenerator,
    /// The extended protocol's statement parser.
    parser: Arc<extended::Parser>,
    /// Who may log in, with which secret.
    users: Arc<crate::auth::Users>,
    /// TLS for clients that ask (SSLRequest), when configured.
    tls: Option<tokio_rustls::TlsAcceptor>,
    /// Message size and login time.
    limits: WireLimits,
    /// Trust, password method, TLS requirement.
    login: LoginPolicy,
}

/// How clients log in.
#[derive(Debug, Clone, Copy)]
pub struct LoginPolicy {
    /// Loopback clients need no password.
    pub trust_loopback: bool,
    /// How passwords are asked for.
    pub method: crate::auth::Method,
    /// Clients without TLS are refused.
    pub tls_required: bool,
}

impl LoginPolicy {
    /// Whether a client from `peer` logs in without a password: only with trust on, and only
    /// from a loopback address.
    pub fn trusts(&self, peer: std::net::IpAddr) -> bool {
        let loopback = match peer {
            std::net::IpAddr::V6(v6) => v6
                .to_ipv4_mapped()
                .map_or(v6.is_loopback(), |v4| v4.is_loopback()),
            v4 => v4.is_loopback(),
        };
        self.trust_loopback && loopback
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trust_reaches_loopback_clients_only() {
        let policy = LoginPolicy {
            trust_loopback: true,
            method: crate::auth::Method::ScramSha256,
            tls_required: false,
        };
        for peer in ["127.0.0.1", "127.0.0.2", "::1", "::ffff:127.0.0.1"] {
            assert!(policy.trusts(peer.parse().unwrap()), "{peer}");
        }
        for peer in [
            "10.0.0.5",
            "192.168.1.2",
            "::ffff:10.0.0.5",
            "fe80::1",
            "0.0.0.0",
        ] {
            assert!(!policy.trusts(peer.parse().unwrap()), "{peer}");
        }
        let off = LoginPolicy {
            trust_loopback: false,
            ..policy
        };
        assert!(!off.trusts("127.0.0.1".parse().unwrap()));
    }
}

/// The limits the protocol layer enforces itself.
#[derive(Debug, Clone, Copy)]
pub struct WireLimits {
    /// The largest frontend message, in bytes (08P01 beyond).
    pub max_message: usize,
    /// From connecting to the end of the login.
    pub startup_timeout: std::time::Duration,
    /// At shutdown, how long running statements may take before they are stopped (57P01).
    pub shutdown_grace: std::time::Duration,
}

/// The session a connection's startup created.
fn session_of<C: ClientInfo + ?Sized>(client: &C) -> PgWireResult<Arc<Session>> {
    client
        .session_extensions()
        .get::<Arc<Session>>()
        .map(|s| s.as_ref().clone())
        .ok_or_else(|| {
            errors::fatal(
                aloe_engine::error::sqlstate::PROTOCOL_VIOLATION,
                "no session: the startup phase did not complete",
            )
        })
}

fn from_tx(tx: TxStatus) -> TransactionStatus {
    match tx {
        TxStatus::Idle => TransactionStatus::Idle,
        TxStatus::InBlock => TransactionStatus::Transaction,
        TxStatus::Failed => TransactionStatus::Error,
    }
}

/// Settings of the listener.
#[derive(Clone)]
pub struct ServerOptions {
    /// Most connections served at once; more are refused with 53300.
    pub max_connections: usize,
    /// Who may log in.
    pub users: Arc<crate::auth::Users>,
    /// TLS, when configured.
    pub tls: Option<tokio_rustls::TlsAcceptor>,
    /// Message size and login time.
    pub limits: WireLimits,
    /// Trust, password method, TLS requirement.
    pub login: LoginPolicy,
}

impl std::fmt::Debug for ServerOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The TLS acceptor holds keys and has no Debug of its own.
        f.debug_struct("ServerOptions")
            .field("max_connections", &self.max_connections)
            .field("tls", &self.tls.is_some())
            .finish_non_exhaustive()
    }
}

/// Accepts connections until `shutdown` turns true, each in its own task; then shuts down as
/// PostgreSQL's fast shutdown does, with a grace period: idle connections are told (FATAL
/// 57P01) and closed, running statements may finish within `shutdown_grace` and are then
/// stopped with 57P01, and every connection is awaited before this returns.
pub async fn serve(
    listener: TcpListener,
    engine: Arc<Engine>,
    options: ServerOptions,
    mut shutdown: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let frontend = Arc::new(Frontend {
        engine,
        registry: Arc::new(cancel::Registry::default()),
        keys: RandomPidSecretKeyGenerator::default(),
        parser: Arc::new(extended::Parser),
        users: options.users.clone(),
        tls: options.tls.clone(),
        limits: options.limits,
        login: options.login,
    });
    let slots = Arc::new(Semaphore::new(options.max_connections));
    let mut connections = tokio::task::JoinSet::new();
    let metrics = frontend.engine.metrics().clone();
    loop {
        let (socket, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Running out of file descriptors is transient; keep serving.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = shutdown.changed() => break,
            // Reap finished connections so the set holds only live ones.
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
        };
        let permit = slots.clone().try_acquire_owned().ok();
        let frontend = frontend.clone();
        let metrics = metrics.clone();
        if permit.is_some() {
            metrics.connections_total.inc();
            metrics.connections_open.inc();
        } else {
            metrics.connections_refused.inc();
        }
        let stop = shutdown.clone();
        connections.spawn(async move {
            let admitted = permit.is_some();
            connection::run(socket, peer, frontend, admitted, stop).await;
            if admitted {
                metrics.connections_open.dec();
            }
            drop(permit);
        });
    }
    drop(listener);
    let open = connections.len();
    if open > 0 {
        tracing::info!(connections = open, grace = ?options.limits.shutdown_grace, "waiting for connections to finish");
    }
    let all_done = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(options.limits.shutdown_grace, all_done)
        .await
        .is_err()
    {
        tracing::warn!(
            connections = connections.len(),
            "grace period over: stopping running statements (57P01)"
        );
        frontend.engine.stop_statements();
        let rest = async { while connections.join_next().await.is_some() {} };
        if tokio::time::timeout(std::time::Duration::from_secs(5), rest)
            .await
            .is_err()
        {
            connections.abort_all();
        }
    }
    Ok(())
}
