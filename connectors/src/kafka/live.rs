//! The live view of an ingested topic: bronze plus the Kafka tail beyond it. Both halves are
//! cut at the same point (the offsets recorded in the bronze version read), so no event is
//! missing and none is counted twice, however fast events arrive.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{Session, TableProvider};
use datafusion::datasource::TableType;
use datafusion::error::Result;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::{CastExpr, Column};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::projection::ProjectionExec;
use datafusion::physical_plan::union::UnionExec;

use super::offsets::next_offsets;
use super::pruning::Pruning;
use super::scan::KafkaTable;

/// Table `live.<name>`: what bronze holds of the topic and what Kafka holds beyond it.
#[derive(Debug)]
pub struct LiveTable {
    kafka: Arc<KafkaTable>,
}

impl LiveTable {
    /// The live view of an ingested Kafka table.
    pub fn new(kafka: Arc<KafkaTable>) -> Self {
        Self { kafka }
    }
}

#[async_trait]
impl TableProvider for LiveTable {
    fn schema(&self) -> SchemaRef {
        self.kafka.table_schema()
    }

    fn table_type(&self) -> TableType {
        TableType::View
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        // Both halves prune with what they understand; DataFusion filters the union again.
        Ok(vec![TableProviderFilterPushDown::Inexact; filters.len()])
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let topic = self.kafka.decl().topic().to_owned();
        let landed = match self.kafka.bronze() {
            Some(b) => b.load().await?,
            None => None,
        };
        let mut inputs = Vec::new();
        let mut start = Default::default();
        if let Some(table) = landed {
            start = next_offsets(&table, &topic, &self.kafka.partitions().await?).await?;
            let provider = table
                .table_provider()
                .await
                .map_err(crate::lake::LakeError::from)?;
            let plan = provider.scan(state, projection, filters, None).await?;
            inputs.push(plan);
        }
        let pruning = Pruning::from_filters(filters);
        let ranges = self.kafka.ranges(pruning, start).await?;
        let tail = self.kafka.plan(ranges, state, projection, None).await?;
        let target = tail.schema();
        let inputs: Vec<Arc<dyn ExecutionPlan>> = inputs
            .into_iter()
            .map(|p| conform(p, &target))
            .chain([Ok(tail)])
            .collect::<Result<_>>()?;
        // A LIMIT stays above the scan in DataFusion's plan, so the union need not apply it.
        let _ = limit;
        UnionExec::try_new(inputs)
    }
}

/// `plan` with its columns cast to `target`'s types, where the Delta reader's differ (string
/// views, say), so that the union's halves agree.
fn conform(plan: Arc<dyn ExecutionPlan>, target: &SchemaRef) -> Result<Arc<dyn ExecutionPlan>> {
    let schema = plan.schema();
    if schema
        .fields()
        .iter()
        .zip(target.fields())
        .all(|(a, b)| a.data_type() == b.data_type())
    {
        return Ok(plan);
    }
    let exprs: Vec<(Arc<dyn PhysicalExpr>, String)> = target
        .fields()
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let column: Arc<dyn PhysicalExpr> = Arc::new(Column::new(f.name(), i));
            let expr: Arc<dyn PhysicalExpr> = if schema.field(i).data_type() == f.data_type() {
                column
            } else {
                Arc::new(CastExpr::new(column, f.data_type().clone(), None))
            };
            (expr, f.name().clone())
        })
        .collect();
    Ok(Arc::new(ProjectionExec::try_new(exprs, plan)?))
}
