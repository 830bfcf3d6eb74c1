//! The simple query protocol: each statement of the string runs in order and is answered
//! before the next one starts, as PostgreSQL does; the first error ends the string.

use std::fmt::Debug;

use async_trait::async_trait;
use futures::{Sink, SinkExt, StreamExt};
use pgwire::api::portal::Format;
use pgwire::api::query::SimpleQueryHandler;
use pgwire::api::results::{Response, Tag};
use pgwire::api::store::PortalStore;
use pgwire::api::{ClientInfo, ClientPortalStore, PgWireConnectionState};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::messages::PgWireBackendMessage;
use pgwire::messages::copy::{CopyDone, CopyOutResponse};
use pgwire::messages::response::{EmptyQueryResponse, ReadyForQuery};
use pgwire::messages::simplequery::Query;
use pgwire::messages::startup::ParameterStatus;

use super::encode::{fields, query_response, row_description};
use super::errors::to_pg;
use super::{Frontend, from_tx, session_of};
use aloe_engine::Outcome;

/// Why sending a statement's answer stopped.
enum Stop {
    /// The statement failed; the client gets an ErrorResponse and the string ends.
    Statement(PgWireError),
    /// The connection failed; nothing more can be sent.
    Connection(PgWireError),
}

#[async_trait]
impl SimpleQueryHandler for Frontend {
    async fn on_query<C>(&self, client: &mut C, query: Query) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        if !matches!(client.state(), PgWireConnectionState::ReadyForQuery) {
            return Err(PgWireError::NotReadyForQuery);
        }
        client.set_state(PgWireConnectionState::QueryInProgress);
        let session = session_of(client)?;

        let result = match session.parse(&query.query) {
            Err(e) => Err(Stop::Statement(to_pg(e))),
            Ok(statements) if statements.is_empty() => client
                .feed(PgWireBackendMessage::EmptyQueryResponse(
                    EmptyQueryResponse::new(),
                ))
                .await
                .map_err(|e| Stop::Connection(e.into())),
            Ok(statements) => {
                let mut result = Ok(());
                for statement in &statements {
                    let executed = session.execute(statement, None).await;
                    super::notices::send(client, &session).await?;
                    result = match executed {
                        Ok(outcome) => send_outcome(client, outcome, session.metrics()).await,
                        Err(e) => Err(Stop::Statement(to_pg(e))),
                    };
                    if result.is_err() {
                        break;
                    }
                }
                result
            }
        };
        match result {
            Ok(()) => {}
            Err(Stop::Connection(e)) => return Err(e),
            Err(Stop::Statement(e)) => {
                let info: ErrorInfo = e.into();
                client
                    .feed(PgWireBackendMessage::ErrorResponse(info.into()))
                    .await?;
            }
        }
        // The engine's transaction state, which every statement (failed ones too) has moved.
        let tx = session.transaction_status();
        client.set_state(PgWireConnectionState::ReadyForQuery);
        client.set_transaction_status(from_tx(tx));
        client
            .send(PgWireBackendMessage::ReadyForQuery(ReadyForQuery::new(
                from_tx(tx),
            )))
            .await?;
        Ok(())
    }

    async fn do_query<C>(&self, _client: &mut C, _query: &str) -> PgWireResult<Vec<Response>>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        unreachable!("on_query answers every simple query itself")
    }
}

async fn send_outcome<C>(
    client: &mut C,
    outcome: Outcome,
    metrics: std::sync::Arc<aloe_engine::metrics::server::ServerMetrics>,
) -> Result<(), Stop>
where
    C: Sink<PgWireBackendMessage> + Unpin + Send,
    C::Error: Debug,
    PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
{
    let conn = |e: C::Error| Stop::Connection(e.into());
    match outcome {
        Outcome::Rows {
            schema,
            stream,
            tag,
            binary,
        } => {
            let format = if binary {
                Format::UnifiedBinary
            } else {
                Format::UnifiedText
            };
            let fields = fields(&schema, &format).map_err(Stop::Statement)?;
            client
                .feed(PgWireBackendMessage::RowDescription(row_description(
                    &fields,
                )))
                .await
                .map_err(conn)?;
            let mut response = query_response(fields, stream, tag, metrics);
            let mut rows = 0usize;
            while let Some(row) = response.data_rows().next().await {
                let row = row.map_err(Stop::Statement)?;
                client
                    .feed(PgWireBackendMessage::DataRow(row))
                    .await
                    .map_err(conn)?;
                rows += 1;
            }
            let tag = if tag == "SHOW" {
                Tag::new(tag)
            } else {
                Tag::new(tag).with_rows(rows)
            };
            client
                .feed(PgWireBackendMessage::CommandComplete(tag.into()))
                .await
                .map_err(conn)?;
        }
        Outcome::Command { tag, reported } => {
            for (name, value) in reported {
                client
                    .feed(PgWireBackendMessage::ParameterStatus(ParameterStatus::new(
                        name, value,
                    )))
                    .await
                    .map_err(conn)?;
            }
            client
                .feed(PgWireBackendMessage::CommandComplete(Tag::new(&tag).into()))
                .await
                .map_err(conn)?;
        }
        Outcome::Begin => {
            client
                .feed(PgWireBackendMessage::CommandComplete(
                    Tag::new("BEGIN").into(),
                ))
                .await
                .map_err(conn)?;
        }
        Outcome::CopyOut {
            schema,
            stream,
            format,
        } => {
            let columns = schema.fields().len();
            let (with_header, data) =
                super::copy::copy_data(schema, stream, &format).map_err(Stop::Statement)?;
            client
                .feed(PgWireBackendMessage::CopyOutResponse(CopyOutResponse::new(
                    0,
                    columns as i16,
                    vec![0; columns],
                )))
                .await
                .map_err(conn)?;
            let mut data = Box::pin(data);
            let mut messages = 0usize;
            while let Some(message) = data.next().await {
                let message = message.map_err(Stop::Statement)?;
                client
                    .feed(PgWireBackendMessage::CopyData(message))
                    .await
                    .map_err(conn)?;
                messages += 1;
            }
            let rows = messages - usize::from(with_header);
            client
                .feed(PgWireBackendMessage::CopyDone(CopyDone::new()))
                .await
                .map_err(conn)?;
            client
                .feed(PgWireBackendMessage::CommandComplete(
                    Tag::new("COPY").with_rows(rows).into(),
                ))
                .await
                .map_err(conn)?;
        }
        Outcome::Recovered => {
            client
                .feed(PgWireBackendMessage::CommandComplete(
                    Tag::new("ROLLBACK").into(),
                ))
                .await
                .map_err(conn)?;
        }
        Outcome::End { tag } => {
            client
                .feed(PgWireBackendMessage::CommandComplete(Tag::new(tag).into()))
                .await
                .map_err(conn)?;
        }
    }
    Ok(())
}
