//! NoticeResponse messages: what a statement wants the client to know without failing it
//! (an index recorded but not built, an IF EXISTS that found nothing).

use aloe_engine::error::sqlstate;
use futures::{Sink, SinkExt};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::messages::PgWireBackendMessage;

use aloe_engine::Session;

/// Sends the notices `session` queued during its last statement.
pub async fn send<C>(client: &mut C, session: &Session) -> PgWireResult<()>
where
    C: Sink<PgWireBackendMessage> + Unpin + Send,
    PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
{
    for message in session.take_notices() {
        let info = ErrorInfo::new(
            "NOTICE".to_owned(),
            sqlstate::SUCCESSFUL_COMPLETION.to_owned(),
            message,
        );
        client
            .feed(PgWireBackendMessage::NoticeResponse(info.into()))
            .await?;
    }
    Ok(())
}
