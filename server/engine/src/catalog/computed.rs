//! Catalog tables whose rows are computed when they are read (a session's settings, the
//! lake's tables and indexes), served through one table provider.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{Session, TableProvider};
use datafusion::datasource::{MemTable, TableType};
use datafusion::error::Result;
use datafusion::logical_expr::Expr;
use datafusion::physical_plan::ExecutionPlan;

/// Something that can produce a catalog table's rows for the session reading it.
#[async_trait]
pub trait Rows: std::fmt::Debug + Send + Sync + 'static {
    /// The table's columns.
    fn schema(&self) -> SchemaRef;
    /// The rows, as of now, for `state`'s session.
    async fn batches(&self, state: &dyn Session) -> Result<Vec<RecordBatch>>;
}

/// A read-only catalog table over [`Rows`].
#[derive(Debug)]
pub struct Computed<T>(pub T);

#[async_trait]
impl<T: Rows> TableProvider for Computed<T> {
    fn schema(&self) -> SchemaRef {
        self.0.schema()
    }

    fn table_type(&self) -> TableType {
        TableType::View
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let batches = self.0.batches(state).await?;
        MemTable::try_new(self.0.schema(), vec![batches])?
            .scan(state, projection, filters, limit)
            .await
    }
}
