//! A catalog table with PostgreSQL columns its source lacks, each NULL in every row: the
//! answer PostgreSQL gives for an object without them (`pg_class.reloptions` of a relation
//! without storage parameters, `relacl` of one with default privileges).

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::{RecordBatch, new_null_array};
use datafusion::arrow::datatypes::{Field, Schema, SchemaRef};
use datafusion::catalog::Session;
use datafusion::error::Result;

use super::computed::Rows;

/// `inner`'s rows with the NULL columns `extra` after its own.
#[derive(Debug)]
pub struct Widened<T> {
    inner: T,
    schema: SchemaRef,
}

impl<T: Rows> Widened<T> {
    /// `inner` with `extra` appended.
    pub fn new(inner: T, extra: Vec<Field>) -> Self {
        let mut fields: Vec<Field> = inner
            .schema()
            .fields()
            .iter()
            .map(|f| f.as_ref().clone())
            .collect();
        fields.extend(extra);
        let schema = Arc::new(Schema::new_with_metadata(
            fields,
            inner.schema().metadata().clone(),
        ));
        Self { inner, schema }
    }
}

#[async_trait]
impl<T: Rows> Rows for Widened<T> {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    async fn batches(&self, state: &dyn Session) -> Result<Vec<RecordBatch>> {
        let batches = self.inner.batches(state).await?;
        batches
            .into_iter()
            .map(|batch| {
                let mut columns = batch.columns().to_vec();
                for field in &self.schema.fields()[batch.num_columns()..] {
                    columns.push(new_null_array(field.data_type(), batch.num_rows()));
                }
                Ok(RecordBatch::try_new(self.schema.clone(), columns)?)
            })
            .collect()
    }
}
