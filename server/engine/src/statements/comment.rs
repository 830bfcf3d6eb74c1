//! COMMENT ON TABLE: a table's description, kept in the lake beside the table and served by
//! pg_description (psql's `\\d+`, Metabase's and dbt's docs).

use datafusion::common::TableReference;
use datafusion::sql::sqlparser::ast::{CommentObject, Statement};

use crate::error::{EngineError, EngineResult};
use crate::session::Session;
use crate::session::outcome::Outcome;
use crate::sql::ident_name;

/// Runs a COMMENT ON statement.
pub(crate) async fn run(session: &Session, statement: &Statement) -> EngineResult<Outcome> {
    let Statement::Comment {
        object_type,
        object_name,
        comment,
        if_exists,
    } = statement
    else {
        return Err(EngineError::internal("not a COMMENT"));
    };
    if !matches!(object_type, CommentObject::Table) {
        return Err(EngineError::not_supported(format!(
            "COMMENT ON {object_type} is not supported; tables take comments"
        )));
    }
    let parts: Vec<String> = object_name
        .0
        .iter()
        .map(|p| {
            p.as_ident()
                .map(ident_name)
                .unwrap_or_else(|| p.to_string())
        })
        .collect();
    let name = match parts.as_slice() {
        [t] => TableReference::bare(t.as_str()),
        [s, t] => TableReference::partial(s.as_str(), t.as_str()),
        _ => TableReference::full(parts[0].as_str(), parts[1].as_str(), parts[2].as_str()),
    };
    session
        .comment_on_table(&name, comment.clone(), *if_exists)
        .await
}
