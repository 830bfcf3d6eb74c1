//! The extended query protocol: Parse plans once (for Describe), Bind decodes parameters in
//! text or binary, Execute streams the portal and honours the row limit (PortalSuspended).

use std::fmt::Debug;
use std::sync::Arc;

use arrow_pg::datatypes::into_pg_type;
use async_trait::async_trait;
use datafusion::arrow::datatypes::FieldRef;
use futures::{Sink, SinkExt};
use pgwire::api::portal::{Format, Portal};
use pgwire::api::query::{ExtendedQueryHandler, send_describe_response};
use pgwire::api::results::{DescribePortalResponse, FieldInfo, Response, Tag};
use pgwire::api::stmt::QueryParser;
use pgwire::api::store::{Entry, PortalStore};
use pgwire::api::{ClientInfo, ClientPortalStore, DEFAULT_NAME, Type};
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::PgWireBackendMessage;
use pgwire::messages::data::{NoData, ParameterDescription};
use pgwire::messages::extendedquery::{
    Describe, Execute, TARGET_TYPE_BYTE_PORTAL, TARGET_TYPE_BYTE_STATEMENT,
};
use pgwire::messages::startup::ParameterStatus;

use super::encode::{fields, query_response};
use super::errors::to_pg;
use super::{Frontend, from_tx, session_of};
use aloe_engine::plan::types::PG_TYPE_KEY;
use aloe_engine::{Outcome, Prepared};

/// Turns Parse messages into planned statements of the connection's session.
#[derive(Debug, Default)]
pub struct Parser;

#[async_trait]
impl QueryParser for Parser {
    type Statement = Prepared;

    async fn parse_sql<C>(
        &self,
        client: &C,
        sql: &str,
        types: &[Option<Type>],
    ) -> PgWireResult<Option<Prepared>>
    where
        C: ClientInfo + Unpin + Send + Sync,
    {
        let session = session_of(client)?;
        // Unknown (0) and unspecified types are the server's to infer.
        let declared: Vec<Option<String>> = types
            .iter()
            .map(|t| {
                t.as_ref().filter(|t| **t != Type::UNKNOWN).map(|t| {
                    // Array types are named `_int4` in pg_type, `int4[]` in SQL.
                    match t.name().strip_prefix('_') {
                        Some(element) => format!("{element}[]"),
                        None => t.name().to_owned(),
                    }
                })
            })
            .collect();
        session.prepare(sql, &declared).await.map_err(to_pg)
    }

    fn get_parameter_types(&self, stmt: &Prepared) -> PgWireResult<Vec<Type>> {
        stmt.param_types
            .iter()
            .map(|f| param_type(f.as_ref()))
            .collect()
    }

    fn get_result_schema(
        &self,
        stmt: &Prepared,
        format: Option<&Format>,
    ) -> PgWireResult<Vec<FieldInfo>> {
        match &stmt.schema {
            Some(schema) => Ok(fields(schema, format.unwrap_or(&Format::UnifiedText))?
                .as_ref()
                .clone()),
            None => Ok(vec![]),
        }
    }
}

/// The PostgreSQL type of a parameter: the one its field's metadata names (uuid, json), or
/// the one its Arrow type maps to.
pub(super) fn param_type(field: Option<&FieldRef>) -> PgWireResult<Type> {
    let Some(field) = field else {
        return Ok(Type::UNKNOWN);
    };
    match field.metadata().get(PG_TYPE_KEY).map(String::as_str) {
        Some("uuid") => Ok(Type::UUID),
        Some("json") => Ok(Type::JSON),
        Some("jsonb") => Ok(Type::JSONB),
        _ => into_pg_type(field.data_type()),
    }
}

#[async_trait]
impl ExtendedQueryHandler for Frontend {
    type Statement = Prepared;
    type QueryParser = Parser;

    fn query_parser(&self) -> Arc<Parser> {
        self.parser.clone()
    }

    async fn on_execute<C>(&self, client: &mut C, message: Execute) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let session = session_of(client)?;
        let executed = self._on_execute(client, message).await;
        // The engine's state is the truth: pgwire knows no statement that leaves the failed
        // state but COMMIT and ROLLBACK (ROLLBACK TO SAVEPOINT does too).
        client.set_transaction_status(from_tx(session.transaction_status()));
        executed
    }

    /// A cursor made with SQL DECLARE is a portal too, as in PostgreSQL: psycopg describes its
    /// named cursors that way before fetching from them.
    async fn on_describe<C>(&self, client: &mut C, message: Describe) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        if message.target_type == TARGET_TYPE_BYTE_PORTAL
            && let Some(name) = message.name.as_deref()
            && client.portal_store().get_portal(name).is_none()
        {
            let session = session_of(client)?;
            if let Some(schema) = session.cursor_schema(name).await {
                let fields = fields(&schema, &Format::UnifiedText)?;
                let response = DescribePortalResponse::new(fields.as_ref().clone());
                return send_describe_response(client, &response).await;
            }
        }
        if message.target_type == TARGET_TYPE_BYTE_STATEMENT {
            let name = message.name.as_deref().unwrap_or(DEFAULT_NAME);
            if let Some(Entry::Value(statement)) = client.portal_store().get_statement(name) {
                let response = self.do_describe_statement(client, &statement).await?;
                // pgwire answers a statement with parameters and no result columns with an
                // empty RowDescription; PostgreSQL says NoData, and pgjdbc reads the former
                // as a query, so its executeUpdate of a prepared INSERT would fail.
                if response.fields.is_empty() {
                    let oids = response.parameters.iter().map(Type::oid).collect();
                    client
                        .send(PgWireBackendMessage::ParameterDescription(
                            ParameterDescription::new(oids),
                        ))
                        .await?;
                    client
                        .send(PgWireBackendMessage::NoData(NoData::new()))
                        .await?;
                    return Ok(());
                }
                return send_describe_response(client, &response).await;
            }
        }
        self._on_describe(client, message).await
    }

    async fn do_query<C>(
        &self,
        client: &mut C,
        portal: &Portal<Prepared>,
        _max_rows: usize,
    ) -> PgWireResult<Response>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let session = session_of(client)?;
        let prepared = &portal.statement.statement;
        let params = if portal.parameter_len() > 0 {
            Some(super::params::decode(portal)?)
        } else {
            None
        };
        let executed = session.execute_prepared(prepared, params).await;
        super::notices::send(client, &session).await?;
        let outcome = executed.map_err(to_pg)?;
        Ok(match outcome {
            Outcome::Rows {
                schema,
                stream,
                tag,
                ..
            } => {
                let fields = fields(&schema, &portal.result_column_format)?;
                Response::Query(query_response(fields, stream, tag, session.metrics()))
            }
            Outcome::Command { tag, reported } => {
                for (name, value) in reported {
                    client
                        .feed(PgWireBackendMessage::ParameterStatus(ParameterStatus::new(
                            name, value,
                        )))
                        .await?;
                }
                Response::Execution(Tag::new(&tag))
            }
            Outcome::Begin => Response::TransactionStart(Tag::new("BEGIN")),
            Outcome::Recovered => Response::Execution(Tag::new("ROLLBACK")),
            Outcome::CopyOut {
                schema,
                stream,
                format,
            } => Response::CopyOut(super::copy::response(schema, stream, &format)?),
            Outcome::End { tag } => Response::TransactionEnd(Tag::new(tag)),
        })
    }
}
