//! One client connection: the message loop over pgwire's codec and handlers, with what
//! PostgreSQL does at the edges — a malformed message ends only that connection with 08P01,
//! a full server refuses with 53300, a silent client is dropped after the startup timeout.

use std::net::SocketAddr;
use std::time::Duration;

use futures::StreamExt;
use std::sync::Arc;

use pgwire::api::{ClientInfo, NoopHandler, PgWireConnectionState};
use pgwire::error::{ErrorInfo, PgWireError};
use pgwire::messages::PgWireFrontendMessage;
use pgwire::tokio::server::{negotiate_tls, process_error, process_message};
use tokio::net::TcpStream;

use super::Frontend;
use super::errors::fatal;
use crate::engine::Prepared;

/// How long a client may take from connecting to finishing authentication.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);

/// Serves one connection until the client leaves or breaks the protocol.
pub async fn run(socket: TcpStream, peer: SocketAddr, frontend: Arc<Frontend>, admitted: bool) {
    match serve(socket, frontend, admitted).await {
        Ok(()) => tracing::debug!(%peer, "connection closed"),
        Err(e) => tracing::debug!(%peer, error = %e, "connection ended with an I/O error"),
    }
}

async fn serve(tcp: TcpStream, frontend: Arc<Frontend>, admitted: bool) -> std::io::Result<()> {
    let startup_deadline = tokio::time::sleep(STARTUP_TIMEOUT);
    tokio::pin!(startup_deadline);
    let negotiated = tokio::select! {
        _ = &mut startup_deadline => return Ok(()),
        s = negotiate_tls::<Prepared>(tcp, frontend.tls.clone()) => s?,
    };
    let Some(mut socket) = negotiated else {
        return Ok(());
    };

    if !admitted {
        // Read the startup packet first so the client is in a state to read our refusal.
        let _ = tokio::time::timeout(Duration::from_secs(5), socket.next()).await;
        let refusal = fatal("53300", "sorry, too many clients already");
        return process_error(&mut socket, refusal, false).await;
    }

    let copy = Arc::new(NoopHandler);

    loop {
        let in_startup = matches!(
            socket.state(),
            PgWireConnectionState::AwaitingStartup
                | PgWireConnectionState::AuthenticationInProgress
        );
        let next = if in_startup {
            tokio::select! {
                _ = &mut startup_deadline => {
                    let e = fatal("08006", "timeout expired before authentication finished");
                    return process_error(&mut socket, e, false).await;
                }
                m = socket.next() => m,
            }
        } else {
            socket.next().await
        };
        let message = match next {
            None => return Ok(()),
            Some(Err(PgWireError::IoError(e))) => return Err(e),
            Some(Err(e)) => {
                // The byte stream can no longer be trusted to be framed: say why, then close.
                let e = fatal("08P01", format!("invalid frontend message: {e}"));
                return process_error(&mut socket, e, false).await;
            }
            Some(Ok(PgWireFrontendMessage::Terminate(_))) => return Ok(()),
            Some(Ok(m)) => m,
        };
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
            let info = ErrorInfo::from(e);
            let is_fatal = info.is_fatal();
            process_error(
                &mut socket,
                PgWireError::UserError(Box::new(info)),
                is_extended,
            )
            .await?;
            if is_fatal {
                return Ok(());
            }
        }
    }
}
