//! Reading the next frontend message without trusting the decoder not to panic: pgwire's
//! decoder panics on some malformed messages (a Bind whose parameter length runs past the
//! bytes it has, found by `decode_props`), which would end the connection's task without a
//! word and skip its bookkeeping. Here such a panic becomes a protocol error, which the
//! connection answers with 08P01 and a close, like any other unreadable message.

use std::panic::AssertUnwindSafe;

use futures::{FutureExt, StreamExt};
use pgwire::error::PgWireError;
use pgwire::messages::PgWireFrontendMessage;
use pgwire::tokio::server::PgWireMessageServerCodec;
use tokio::io::AsyncRead;
use tokio_util::codec::Framed;

/// The next message, `None` at the end of the stream, or why it cannot be read.
pub async fn next_message<S, ST>(
    socket: &mut Framed<S, PgWireMessageServerCodec<ST>>,
) -> Option<Result<PgWireFrontendMessage, PgWireError>>
where
    S: AsyncRead + Unpin,
{
    match AssertUnwindSafe(socket.next()).catch_unwind().await {
        Ok(next) => next,
        Err(_) => {
            tracing::warn!("a malformed message made the protocol decoder fail");
            Some(Err(PgWireError::ApiError(
                "malformed message (its lengths do not fit its bytes)".into(),
            )))
        }
    }
}
