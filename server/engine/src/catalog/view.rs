//! Views kept in the lake. DataFusion's own `ViewTable` holds a plan whose table scans were
//! bound when the view was made, so a view over a Delta table would keep serving the snapshot
//! of that moment; a lake view instead plans its SQL again at every scan.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::{DataFusionError, Result};
use datafusion::execution::session_state::SessionState;
use datafusion::logical_expr::{Expr, LogicalPlan, TableType};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::sql::parser::Statement as DFStatement;

/// A view: its SQL query, planned afresh when read.
#[derive(Debug)]
pub struct LakeView {
    query: DFStatement,
    definition: String,
    schema: SchemaRef,
}

impl LakeView {
    /// A view answering `query` (a SELECT), whose columns are those of `plan`. `definition`
    /// is the query as `pg_get_viewdef` and `pg_views` give it: ` SELECT ...;`.
    pub fn new(query: DFStatement, definition: String, plan: &LogicalPlan) -> Self {
        Self {
            query,
            definition,
            schema: plan.schema().inner().clone(),
        }
    }
}

#[async_trait]
impl TableProvider for LakeView {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::View
    }

    fn get_table_definition(&self) -> Option<&str> {
        Some(&self.definition)
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let state = state
            .as_any()
            .downcast_ref::<SessionState>()
            .ok_or_else(|| DataFusionError::Internal("a view needs a SessionState".into()))?;
        let plan = state.statement_to_plan(self.query.clone()).await?;
        // Filters are not pushed into views (the default pushdown answer), so only the
        // projection and limit need applying on top of the fresh plan.
        let fresh = plan.schema().clone();
        if fresh.fields().len() != self.schema.fields().len() {
            return Err(DataFusionError::Plan(format!(
                "view no longer matches its tables (it had {} columns, its query now gives {}); \
                 CREATE OR REPLACE VIEW it again",
                self.schema.fields().len(),
                fresh.fields().len()
            )));
        }
        let mut builder = datafusion::logical_expr::LogicalPlanBuilder::from(plan);
        if let Some(projection) = projection {
            let columns: Vec<Expr> = projection
                .iter()
                .map(|i| Expr::Column(datafusion::common::Column::from(fresh.qualified_field(*i))))
                .collect();
            builder = builder.project(columns)?;
        }
        if let Some(limit) = limit {
            builder = builder.limit(0, Some(limit))?;
        }
        state.create_physical_plan(&builder.build()?).await
    }
}
