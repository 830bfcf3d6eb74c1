//! DROP INDEX: Aloe keeps indexes as catalog entries for the tools that create them (dbt,
//! migrations); CREATE INDEX is planned by DataFusion and recorded in `lake.rs`.

use datafusion::sql::sqlparser::ast::{ObjectType, Statement};

use crate::error::{EngineError, EngineResult};
use crate::session::Session;
use crate::session::outcome::Outcome;
use crate::sql::ident_name;

/// Whether `statement` is DROP INDEX (this module's) rather than CREATE INDEX (DataFusion's).
pub(crate) fn is_drop(statement: &Statement) -> bool {
    matches!(
        statement,
        Statement::Drop {
            object_type: ObjectType::Index,
            ..
        }
    )
}

/// Runs a DROP INDEX.
pub(crate) async fn drop(session: &Session, statement: &Statement) -> EngineResult<Outcome> {
    let Statement::Drop {
        names, if_exists, ..
    } = statement
    else {
        return Err(EngineError::internal("not a DROP INDEX"));
    };
    let names: Vec<String> = names
        .iter()
        .map(|n| {
            n.0.iter()
                .map(|p| {
                    p.as_ident()
                        .map(ident_name)
                        .unwrap_or_else(|| p.to_string())
                })
                .collect::<Vec<_>>()
                .join(".")
        })
        .collect();
    session.drop_index(&names, *if_exists).await
}
