//! Computed catalog rows kept between queries until the catalog may have changed.
//!
//! pg_class, pg_namespace, pg_attribute and the lake-backed tables are built from the whole
//! catalog (the crate's rows renumbered, index and description files read from the zones),
//! which made a one-row catalog lookup cost milliseconds. Their rows depend only on the
//! catalog, not on the session reading them, so one copy serves every session until either
//! the change count moves (every write, zone listing, COMMENT and DROP INDEX records one) or
//! the set of table names differs (tables registered without a write, such as Kafka tables).

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{CatalogProviderList, Session};
use datafusion::common::Result;

use super::computed::Rows;
use crate::changes::Changes;

/// A fingerprint of every (catalog, schema, table) name of `catalogs`, in any order.
pub fn table_names_fingerprint(catalogs: &dyn CatalogProviderList) -> u64 {
    let mut sum = 0u64;
    for catalog_name in catalogs.catalog_names() {
        let Some(catalog) = catalogs.catalog(&catalog_name) else {
            continue;
        };
        for schema_name in catalog.schema_names() {
            let Some(schema) = catalog.schema(&schema_name) else {
                continue;
            };
            for table in schema.table_names() {
                let mut h = DefaultHasher::new();
                (&catalog_name, &schema_name, &table).hash(&mut h);
                // Addition does not depend on the order schemas list their tables in.
                sum = sum.wrapping_add(h.finish());
            }
        }
    }
    sum
}

/// Rows of one table and what they were computed at.
struct Kept {
    change: u64,
    names: u64,
    batches: Vec<RecordBatch>,
}

/// The kept rows of every memoized table, shared by all sessions of an engine.
pub struct Memos {
    changes: Arc<Changes>,
    catalogs: Arc<dyn CatalogProviderList>,
    kept: Mutex<HashMap<&'static str, Kept>>,
}

impl std::fmt::Debug for Memos {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Memos").finish_non_exhaustive()
    }
}

impl Memos {
    /// Rows over `catalogs`, stale when `changes` moves.
    pub fn new(changes: Arc<Changes>, catalogs: Arc<dyn CatalogProviderList>) -> Self {
        Self {
            changes,
            catalogs,
            kept: Mutex::new(HashMap::new()),
        }
    }

    fn names(&self) -> u64 {
        table_names_fingerprint(self.catalogs.as_ref())
    }

    fn get(&self, table: &'static str, change: u64, names: u64) -> Option<Vec<RecordBatch>> {
        let kept = self.kept.lock().expect("memo lock");
        kept.get(table)
            .filter(|k| k.change == change && k.names == names)
            .map(|k| k.batches.clone())
    }

    fn put(&self, table: &'static str, change: u64, names: u64, batches: Vec<RecordBatch>) {
        // A change recorded while the rows were computed may not be in them.
        if change != self.changes.current() {
            return;
        }
        self.kept.lock().expect("memo lock").insert(
            table,
            Kept {
                change,
                names,
                batches,
            },
        );
    }
}

/// `inner`'s rows, computed once per catalog state.
#[derive(Debug)]
pub struct Memoized<T> {
    table: &'static str,
    inner: T,
    memos: Arc<Memos>,
}

impl<T> Memoized<T> {
    /// `inner`, kept under `table` in `memos`.
    pub fn new(table: &'static str, inner: T, memos: Arc<Memos>) -> Self {
        Self {
            table,
            inner,
            memos,
        }
    }
}

#[async_trait]
impl<T: Rows> Rows for Memoized<T> {
    fn schema(&self) -> SchemaRef {
        self.inner.schema()
    }

    async fn batches(&self, state: &dyn Session) -> Result<Vec<RecordBatch>> {
        let change = self.memos.changes.current();
        let names = self.memos.names();
        if let Some(batches) = self.memos.get(self.table, change, names) {
            return Ok(batches);
        }
        let batches = self.inner.batches(state).await?;
        self.memos.put(self.table, change, names, batches.clone());
        Ok(batches)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use datafusion::arrow::array::Int32Array;
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use datafusion::catalog::{
        CatalogProvider, MemoryCatalogProvider, MemoryCatalogProviderList, MemorySchemaProvider,
        SchemaProvider,
    };
    use datafusion::datasource::MemTable;
    use datafusion::prelude::SessionContext;

    use super::*;

    /// Rows that count how often they were computed.
    #[derive(Debug)]
    struct Counting(Arc<AtomicUsize>, SchemaRef);

    #[async_trait]
    impl Rows for Counting {
        fn schema(&self) -> SchemaRef {
            self.1.clone()
        }
        async fn batches(&self, _: &dyn Session) -> Result<Vec<RecordBatch>> {
            let n = self.0.fetch_add(1, Ordering::SeqCst) as i32;
            Ok(vec![RecordBatch::try_new(
                self.1.clone(),
                vec![Arc::new(Int32Array::from(vec![n]))],
            )?])
        }
    }

    fn value(batches: &[RecordBatch]) -> i32 {
        batches[0]
            .column(0)
            .as_any()
            .downcast_ref::<Int32Array>()
            .expect("int32")
            .value(0)
    }

    #[tokio::test]
    async fn rows_are_recomputed_after_a_change_or_a_new_table_only() {
        let schema = Arc::new(Schema::new(vec![Field::new("n", DataType::Int32, false)]));
        let tables = Arc::new(MemorySchemaProvider::new());
        let catalog = Arc::new(MemoryCatalogProvider::new());
        catalog
            .register_schema("public", tables.clone())
            .expect("schema");
        let catalogs = Arc::new(MemoryCatalogProviderList::new());
        catalogs.register_catalog("aloe".into(), catalog);
        let changes = Arc::new(Changes::default());
        let memos = Arc::new(Memos::new(changes.clone(), catalogs));
        let computed = Arc::new(AtomicUsize::new(0));
        let rows = Memoized::new(
            "pg_class",
            Counting(computed.clone(), schema.clone()),
            memos.clone(),
        );
        let state = SessionContext::new().state();

        assert_eq!(value(&rows.batches(&state).await.expect("rows")), 0);
        assert_eq!(value(&rows.batches(&state).await.expect("rows")), 0);
        assert_eq!(computed.load(Ordering::SeqCst), 1, "second read kept");

        changes.record();
        assert_eq!(value(&rows.batches(&state).await.expect("rows")), 1);

        let table = MemTable::try_new(schema.clone(), vec![vec![]]).expect("table");
        tables
            .register_table("t".into(), Arc::new(table))
            .expect("register");
        assert_eq!(value(&rows.batches(&state).await.expect("rows")), 2);
        assert_eq!(value(&rows.batches(&state).await.expect("rows")), 2);

        // Another table's rows are kept apart.
        let other = Memoized::new("pg_namespace", Counting(computed.clone(), schema), memos);
        assert_eq!(value(&other.batches(&state).await.expect("rows")), 3);
        assert_eq!(value(&rows.batches(&state).await.expect("rows")), 2);
    }
}
