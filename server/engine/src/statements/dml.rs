//! INSERT into lake tables (Delta's and the listing tables' sinks commit atomically).

use datafusion::logical_expr::{DmlStatement, LogicalPlan, WriteOp};

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
        let outcome = self.run_plan(plan.clone(), guard).await?;
        self.lake()
            .reload(&self.state(), &schema.zone.name, &table)
            .await?;
        Ok(Some(outcome))
    }
}
