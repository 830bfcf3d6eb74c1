//! INSERT into lake tables (Delta's and the listing tables' sinks commit atomically).

use std::sync::Arc;

use datafusion::common::Column;
use datafusion::logical_expr::{DmlStatement, Expr, LogicalPlan, Projection, WriteOp};

use crate::plan::char_length::{self, Meet};

use crate::error::{EngineError, EngineResult, sqlstate};
use crate::session::Session;
use crate::session::outcome::Outcome;
use crate::session::stream::Guard;

impl Session {
    /// INSERT into a lake table goes through DataFusion (Delta's and the listing tables'
    /// sinks commit atomically), then the table is reopened to see the new version.
    pub(crate) async fn dml(
        &self,
        plan: &LogicalPlan,
        dml: &DmlStatement,
        guard: &Guard,
    ) -> EngineResult<Option<Outcome>> {
        let Some((schema, table)) = self.zone_of(&dml.table_name) else {
            return Err(EngineError::new(
                sqlstate::INSUFFICIENT_PRIVILEGE,
                format!(
                    "cannot write to {}: only tables in the lake's zones (bronze, silver, gold, \
                     public) can be written",
                    dml.table_name
                ),
            ));
        };
        if !matches!(dml.op, WriteOp::Insert(_)) {
            return Err(EngineError::not_supported(format!(
                "{} is not supported on lake tables; rewrite the table with \
                 CREATE OR REPLACE TABLE ... AS SELECT",
                dml.op.name()
            )));
        }
        let plan = match with_lengths_met(dml)? {
            Some(checked) => LogicalPlan::Dml(checked),
            None => plan.clone(),
        };
        let outcome = self.run_plan(plan, guard).await?;
        self.lake()
            .reload(&self.state(), &schema.zone.name, &table)
            .await?;
        Ok(Some(outcome))
    }
}

/// The INSERT with each value for a `varchar(n)` column checked against its length (22001
/// when it is longer), or `None` when the table declares no lengths. The rows DataFusion
/// plans for an INSERT have the table's columns in order.
fn with_lengths_met(dml: &DmlStatement) -> EngineResult<Option<DmlStatement>> {
    let target = dml.target.schema();
    if !target
        .fields()
        .iter()
        .any(|f| char_length::declared(f).is_some())
    {
        return Ok(None);
    }
    let input = dml.input.schema();
    let exprs = input
        .iter()
        .zip(target.fields())
        .map(|((qualifier, field), column)| {
            let value = Expr::Column(Column::from((qualifier, field)));
            match char_length::met(value.clone(), column, Meet::Assign) {
                Some(checked) => checked.alias(field.name()),
                None => value,
            }
        })
        .collect();
    let projection = Projection::try_new(exprs, dml.input.clone())?;
    Ok(Some(DmlStatement::new(
        dml.table_name.clone(),
        dml.target.clone(),
        dml.op.clone(),
        Arc::new(LogicalPlan::Projection(projection)),
    )))
}
