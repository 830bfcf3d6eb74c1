//! One client connection: the message loop over pgwire's codec and handlers, with what
//! PostgreSQL does at the edges — a malformed or oversized message ends only that connection
//! with 08P01, a full server refuses with 53300, a silent client is dropped after the startup
//! timeout, an idle one after the session's idle timeouts (57P05, 25P03).

use aloe_engine::error::sqlstate;
use std::net::SocketAddr;
use std::time::Duration;

use futures::SinkExt;
use std::sync::Arc;

use pgwire::api::{ClientInfo, NoopHandler, PgWireConnectionState};
use pgwire::error::{ErrorInfo, PgWireError};
use pgwire::messages::response::TransactionStatus;
use pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};
use pgwire::tokio::server::{
    MaybeTls, PgWireMessageServerCodec, negotiate_tls, process_error, process_message,
};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio_util::codec::{Framed, FramedParts};

use super::Frontend;
use super::decode_guard::next_message;
use super::errors::fatal;
use super::message_limit::{Limited, Scanner, too_large};
use aloe_engine::Prepared;

/// Serves one connection until the client leaves or breaks the protocol.
pub async fn run(
    socket: TcpStream,
    peer: SocketAddr,
    frontend: Arc<Frontend>,
    admitted: bool,
    shutdown: watch::Receiver<bool>,
) {
    match serve(socket, frontend, admitted, shutdown).await {
        Ok(()) => tracing::debug!(%peer, "connection closed"),
        Err(e) => tracing::debug!(%peer, error = %e, "connection ended with an I/O error"),
    }
}

async fn serve(
    tcp: TcpStream,
    frontend: Arc<Frontend>,
    admitted: bool,
    mut shutdown: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let startup_deadline = tokio::time::sleep(frontend.limits.startup_timeout);
    tokio::pin!(startup_deadline);
    let negotiated = tokio::select! {
        _ = &mut startup_deadline => return Ok(()),
        s = negotiate_tls::<Prepared>(tcp, frontend.tls.clone()) => s?,
    };
    let Some(negotiated) = negotiated else {
        return Ok(());
    };
    let mut socket = limit_messages(negotiated, frontend.limits.max_message);

    if !admitted {
        // Read the startup packet first so the client is in a state to read our refusal.
        let _ = tokio::time::timeout(Duration::from_secs(5), next_message(&mut socket)).await;
        let refusal = fatal(
            sqlstate::TOO_MANY_CONNECTIONS,
            "sorry, too many clients already",
        );
        return end_with(&mut socket, refusal).await;
    }

    let copy = Arc::new(NoopHandler);
    // Idle timeouts count only while the client owes the next command: after ReadyForQuery.
    let mut ready = true;

    loop {
        // Between statements is where a shutdown ends the connection: a statement that runs
        // when it comes finishes first (or is stopped with 57P01 once the grace is over), and
        // an extended-protocol batch is read up to its Sync, so that its answers and
        // ReadyForQuery reach the client before the FATAL.
        let in_startup = matches!(
            socket.state(),
            PgWireConnectionState::AwaitingStartup
                | PgWireConnectionState::AuthenticationInProgress
        );
        let next = if in_startup {
            tokio::select! {
                _ = stopped(&mut shutdown) => {
                    return end_with(&mut socket, shutting_down()).await;
                }
                _ = &mut startup_deadline => {
                    let e = fatal(sqlstate::CONNECTION_FAILURE, "timeout expired before authentication finished");
                    return end_with(&mut socket, e).await;
                }
                m = next_message(&mut socket) => m,
            }
        } else {
            match idle_limit(&socket, ready) {
                Some((limit, in_transaction)) => {
                    let next = tokio::select! {
                        _ = stopped(&mut shutdown), if ready => {
                            return end_with(&mut socket, shutting_down()).await;
                        }
                        m = tokio::time::timeout(limit, next_message(&mut socket)) => m,
                    };
                    match next {
                        Ok(m) => m,
                        Err(_) => {
                            let e = if in_transaction {
                                fatal(
                                    sqlstate::IDLE_IN_TRANSACTION_SESSION_TIMEOUT,
                                    "terminating connection due to idle-in-transaction timeout",
                                )
                            } else {
                                fatal(
                                    sqlstate::IDLE_SESSION_TIMEOUT,
                                    "terminating connection due to idle-session timeout",
                                )
                            };
                            return end_with(&mut socket, e).await;
                        }
                    }
                }
                None => tokio::select! {
                    _ = stopped(&mut shutdown), if ready => {
                        return end_with(&mut socket, shutting_down()).await;
                    }
                    m = next_message(&mut socket) => m,
                },
            }
        };
        let message = match next {
            None => return Ok(()),
            Some(Err(PgWireError::IoError(e))) => {
                if let Some(too_large) = too_large(&e) {
                    let e = fatal(
                        sqlstate::PROTOCOL_VIOLATION,
                        format!("invalid frontend message: {too_large}"),
                    );
                    return end_with(&mut socket, e).await;
                }
                return Err(e);
            }
            Some(Err(e)) => {
                // The byte stream can no longer be trusted to be framed: say why, then close.
                let e = fatal(
                    sqlstate::PROTOCOL_VIOLATION,
                    format!("invalid frontend message: {e}"),
                );
                return end_with(&mut socket, e).await;
            }
            Some(Ok(PgWireFrontendMessage::Terminate(_))) => return Ok(()),
            Some(Ok(m)) => m,
        };
        // The login's last message ends with ReadyForQuery too.
        ready = in_startup
            || matches!(
                message,
                PgWireFrontendMessage::Query(_) | PgWireFrontendMessage::Sync(_)
            );
        let is_extended = match socket.state() {
            PgWireConnectionState::CopyInProgress(extended) => extended,
            _ => message.is_extended_query(),
        };
        let result = process_message(
            message,
            &mut socket,
            frontend.clone(),
            frontend.clone(),
            frontend.clone(),
            copy.clone(),
            frontend.clone(),
        )
        .await;
        if let Err(e) = result {
            if let PgWireError::IoError(io) = e {
                return Err(io);
            }
            // Whatever answered the message with an error (the engine, a Bind whose parameters
            // do not decode, pgwire for an unknown portal), an open block fails, as in
            // PostgreSQL; the engine keeps that state.
            if let Ok(session) = super::session_of(&socket) {
                session.statement_failed();
            }
            let info = ErrorInfo::from(e);
            if info.is_fatal() {
                return end_with(&mut socket, PgWireError::UserError(Box::new(info))).await;
            }
            process_error(
                &mut socket,
                PgWireError::UserError(Box::new(info)),
                is_extended,
            )
            .await?;
        }
    }
}

/// The connection with the message-size cap between the socket and pgwire's decoder.
fn limit_messages<S>(
    socket: Framed<MaybeTls, PgWireMessageServerCodec<S>>,
    max_message: usize,
) -> Framed<Limited<MaybeTls>, PgWireMessageServerCodec<S>> {
    let parts = socket.into_parts();
    let mut scanner = Scanner::new(max_message);
    // What pgwire already buffered while looking for an SSLRequest is part of the stream; a
    // startup packet there is at most pgwire's own 10 kB startup cap, so this cannot fail
    // for a cap of more than that.
    let _ = scanner.feed(&parts.read_buf);
    let mut limited = FramedParts::new(Limited::new(parts.io, scanner), parts.codec);
    limited.read_buf = parts.read_buf;
    limited.write_buf = parts.write_buf;
    Framed::from_parts(limited)
}

/// How long to wait for the client's next message when it is idle (`ready`): the session's
/// idle timeout for its transaction state, and whether it is inside a transaction.
fn idle_limit<C: ClientInfo>(client: &C, ready: bool) -> Option<(Duration, bool)> {
    if !ready {
        return None;
    }
    let session = super::session_of(client).ok()?;
    let in_transaction = client.transaction_status() != TransactionStatus::Idle;
    let ms = session.idle_timeout_ms(in_transaction);
    (ms > 0).then(|| (Duration::from_millis(ms), in_transaction))
}

/// Sends a FATAL error and closes: unlike pgwire's `process_error`, no ReadyForQuery follows,
/// since the session is over.
async fn end_with<S, ST>(
    socket: &mut Framed<S, PgWireMessageServerCodec<ST>>,
    error: PgWireError,
) -> std::io::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + Sync + 'static,
{
    let info = ErrorInfo::from(error);
    socket
        .send(PgWireBackendMessage::ErrorResponse(info.into()))
        .await?;
    socket.close().await
}

/// The FATAL a connection gets when the server shuts down, as PostgreSQL's.
fn shutting_down() -> PgWireError {
    fatal(
        sqlstate::ADMIN_SHUTDOWN,
        "terminating connection due to administrator command",
    )
}

/// Resolves once the server is shutting down (at once if it already is).
async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    // A closed channel means the server is gone: that is a shutdown too.
    let _ = shutdown.wait_for(|stop| *stop).await;
}
