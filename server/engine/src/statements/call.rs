//! `CALL name('arg', ...)`: runs a registered procedure (`CALL aloe.run()` builds models from
//! any client, so a scheduled `psql -c` or an Airflow task can drive Aloe) and answers its rows.

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::sql::sqlparser::ast::{
    Expr, Function, FunctionArg, FunctionArgExpr, FunctionArguments, Statement, Value,
};

use crate::error::{EngineError, EngineResult, sqlstate};
use crate::session::Session;
use crate::session::outcome::Outcome;
use crate::session::show::batches_stream;

/// Runs a CALL statement.
pub(crate) async fn run(session: &Session, statement: &Statement) -> EngineResult<Outcome> {
    let Statement::Call(f) = statement else {
        return Err(EngineError::internal("not a CALL"));
    };
    let procedure = lookup(session, f)?;
    let batch = procedure.call(arguments(&f.args)?).await?;
    let schema = batch.schema();
    Ok(Outcome::Rows {
        schema: schema.clone(),
        stream: batches_stream(schema, vec![batch]),
        tag: "SELECT",
        binary: false,
    })
}

/// The columns a CALL answers with, for Describe.
pub(crate) fn schema(session: &Session, f: &Function) -> EngineResult<SchemaRef> {
    Ok(lookup(session, f)?.schema())
}

fn lookup(
    session: &Session,
    f: &Function,
) -> EngineResult<std::sync::Arc<dyn crate::procedures::Procedure>> {
    let name = f.name.to_string().to_ascii_lowercase();
    session.procedures().get(&name).ok_or_else(|| {
        EngineError::new(
            sqlstate::UNDEFINED_FUNCTION,
            format!(
                "procedure {name} does not exist; Aloe has {}",
                session.procedures().names().join(", ")
            ),
        )
    })
}

/// The arguments given as string literals.
fn arguments(args: &FunctionArguments) -> EngineResult<Vec<String>> {
    let list = match args {
        FunctionArguments::None => return Ok(vec![]),
        FunctionArguments::List(l) => &l.args,
        FunctionArguments::Subquery(_) => {
            return Err(EngineError::syntax(
                "procedures take string arguments, not a query",
            ));
        }
    };
    list.iter()
        .map(|a| match a {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::Value(v))) => match &v.value {
                Value::SingleQuotedString(s) => Ok(s.clone()),
                other => Err(not_a_string(other)),
            },
            other => Err(not_a_string(other)),
        })
        .collect()
}

fn not_a_string(arg: &dyn std::fmt::Display) -> EngineError {
    EngineError::new(
        sqlstate::DATATYPE_MISMATCH,
        format!("procedures take their arguments as strings, not {arg}"),
    )
}
