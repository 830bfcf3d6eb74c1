//! `CALL aloe.run()` / `CALL aloe.run('gold.campaign_daily', 'silver.orders+')`: builds models
//! from any client, so a scheduled `psql -c` or an Airflow task can drive Aloe. Answers one row
//! per model (model, status, rows, duration_ms, message); any failure also fails the statement
//! after the report would show it, so scripts stop on it.

use std::sync::Arc;

use datafusion::arrow::array::{Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::sql::sqlparser::ast::{
    Expr, Function, FunctionArg, FunctionArgExpr, FunctionArguments, Value,
};

use super::error::{EngineError, EngineResult, sqlstate};
use super::outcome::Outcome;
use super::session::Session;
use super::show::batches_stream;
use crate::models::RunStatus;

impl Session {
    /// Runs a CALL statement.
    pub(super) async fn call(&self, f: &Function) -> EngineResult<Outcome> {
        let name = f.name.to_string().to_ascii_lowercase();
        if name != "aloe.run" {
            return Err(EngineError::new(
                sqlstate::UNDEFINED_FUNCTION,
                format!("procedure {name} does not exist; Aloe has aloe.run(models...)"),
            ));
        }
        let selection = arguments(&f.args)?;
        let runs = self
            .models()
            .run(&selection, |_| {})
            .await
            .map_err(|e| match e {
                crate::models::ProjectError::Unknown(_) => {
                    EngineError::new(sqlstate::UNDEFINED_OBJECT, e.to_string())
                }
                other => EngineError::new(sqlstate::CONFIG_FILE_ERROR, other.to_string()),
            })?;
        let failed: Vec<String> = runs
            .iter()
            .filter(|r| r.status == RunStatus::Failed)
            .map(|r| format!("{}: {}", r.model, r.message.clone().unwrap_or_default()))
            .collect();
        if !failed.is_empty() {
            return Err(EngineError::new(
                "P0001",
                format!(
                    "{} of {} models failed (their previous versions stay): {}",
                    failed.len(),
                    runs.len(),
                    failed.join("; ")
                ),
            ));
        }
        let schema = call_schema();
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(StringArray::from_iter_values(runs.iter().map(|r| &r.model))),
                Arc::new(StringArray::from_iter_values(
                    runs.iter().map(|r| r.status.as_str()),
                )),
                Arc::new(Int64Array::from_iter(
                    runs.iter().map(|r| r.rows.map(|n| n as i64)),
                )),
                Arc::new(Int64Array::from_iter_values(
                    runs.iter().map(|r| r.duration.as_millis() as i64),
                )),
                Arc::new(StringArray::from_iter(
                    runs.iter().map(|r| r.message.clone()),
                )),
            ],
        )?;
        Ok(Outcome::Rows {
            schema: schema.clone(),
            stream: batches_stream(schema, vec![batch]),
            tag: "SELECT",
            binary: false,
        })
    }
}

/// The columns CALL aloe.run() answers with.
pub(super) fn call_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("model", DataType::Utf8, false),
        Field::new("status", DataType::Utf8, false),
        Field::new("rows", DataType::Int64, true),
        Field::new("duration_ms", DataType::Int64, false),
        Field::new("message", DataType::Utf8, true),
    ]))
}

/// The model names given as string literals.
fn arguments(args: &FunctionArguments) -> EngineResult<Vec<String>> {
    let list = match args {
        FunctionArguments::None => return Ok(vec![]),
        FunctionArguments::List(l) => &l.args,
        FunctionArguments::Subquery(_) => {
            return Err(EngineError::syntax(
                "aloe.run takes model names, not a query",
            ));
        }
    };
    list.iter()
        .map(|a| match a {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::Value(v))) => match &v.value {
                Value::SingleQuotedString(s) => Ok(s.clone()),
                other => Err(EngineError::new(
                    sqlstate::DATATYPE_MISMATCH,
                    format!("aloe.run takes model names as strings, not {other}"),
                )),
            },
            other => Err(EngineError::new(
                sqlstate::DATATYPE_MISMATCH,
                format!("aloe.run takes model names as strings, not {other}"),
            )),
        })
        .collect()
}
