//! Results of repeated queries, kept until a table under them may have changed: dashboards ask
//! the same questions of the gold zone again and again, while gold changes only when a model
//! run or a statement writes.
//!
//! Only queries over tables this server alone writes are kept: the `silver` and `gold` zones
//! (written by model runs and statements, all through sessions) and the generated `gen`
//! schema (fixed). Any write through any session moves the cache to a new generation, so an
//! entry never outlives a write; bronze (fed by ingesters and by files dropped in), Kafka,
//! live views and Aloe's own tables are never cached, and neither is a query with a function
//! whose value can change between statements (now(), random()).
//!
//! pg_catalog tables whose rows are the same for every session and change only with the
//! catalog (pg_class, pg_attribute, ...; not pg_settings or pg_stat_user_tables) are cached
//! too, since clients repeat their catalog queries as dashboards do theirs: such a key also
//! holds the set of table names, as the catalog's own kept rows do (`catalog/memo.rs`).

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::changes::Changes;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::logical_expr::{Expr, LogicalPlan, Volatility};
use datafusion::physical_plan::SendableRecordBatchStream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use futures::StreamExt;

/// The schemas whose tables change only through this server's sessions.
const CACHED_SCHEMAS: [&str; 3] = ["gold", "silver", "gen"];

/// pg_catalog tables whose rows do not depend on the session and change only with the
/// catalog: the kept ones of `catalog/memo.rs` and the crate's fixed ones.
const CACHED_CATALOG: [&str; 18] = [
    "pg_am",
    "pg_attribute",
    "pg_class",
    "pg_collation",
    "pg_constraint",
    "pg_database",
    "pg_description",
    "pg_enum",
    "pg_extension",
    "pg_index",
    "pg_inherits",
    "pg_namespace",
    "pg_operator",
    "pg_policy",
    "pg_proc",
    "pg_range",
    "pg_statistic_ext",
    "pg_type",
];

struct Entry {
    generation: u64,
    schema: SchemaRef,
    batches: Vec<RecordBatch>,
    bytes: usize,
}

/// Query results by plan, with a memory budget.
pub struct ResultCache {
    entries: Mutex<(lru::LruCache<String, Entry>, usize)>,
    capacity: usize,
    /// Entries made at another count are stale.
    changes: Arc<Changes>,
    /// Queries answered from the cache.
    pub hits: AtomicU64,
    /// Cacheable queries that were run.
    pub misses: AtomicU64,
}

impl std::fmt::Debug for ResultCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResultCache")
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

impl ResultCache {
    /// A cache of at most `capacity` bytes of results, stale when `changes` moves; 0 keeps
    /// nothing.
    pub fn new(capacity: usize, changes: Arc<Changes>) -> Self {
        Self {
            entries: Mutex::new((lru::LruCache::unbounded(), 0)),
            capacity,
            changes,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// Bytes of results held now.
    pub fn bytes(&self) -> usize {
        self.entries.lock().expect("cache lock").1
    }

    /// Records a change in the shared count, which ends every cache keyed by it, and frees
    /// this cache's entries at once: a write happened (or may have).
    pub fn invalidate(&self) {
        self.changes.record();
        let mut guard = self.entries.lock().expect("cache lock");
        guard.0.clear();
        guard.1 = 0;
    }

    /// The key of a query that may be cached, or None. `context` holds what else decides the
    /// result (the user, the time zone); `names` gives the fingerprint of the catalog's table
    /// names, asked only of queries that read pg_catalog.
    pub fn key(
        &self,
        plan: &LogicalPlan,
        context: &str,
        names: impl FnOnce() -> u64,
    ) -> Option<String> {
        if self.capacity == 0 {
            return None;
        }
        let names = match cacheable(plan)? {
            Reads::Data => String::new(),
            Reads::Catalog => format!("catalog {}\n", names()),
        };
        Some(format!("{context}\n{names}{}", plan.display_indent()))
    }

    /// The stored result of `key`, as a stream.
    pub fn get(&self, key: &str) -> Option<SendableRecordBatchStream> {
        let generation = self.changes.current();
        let mut guard = self.entries.lock().expect("cache lock");
        let hit = match guard.0.get(key) {
            Some(e) if e.generation == generation => Some((e.schema.clone(), e.batches.clone())),
            _ => None,
        };
        drop(guard);
        match hit {
            Some((schema, batches)) => {
                self.hits.fetch_add(1, Ordering::Relaxed);
                let stream = futures::stream::iter(batches.into_iter().map(Ok));
                Some(Box::pin(RecordBatchStreamAdapter::new(schema, stream)))
            }
            None => {
                self.misses.fetch_add(1, Ordering::Relaxed);
                None
            }
        }
    }

    /// Passes `inner` through, keeping a copy of its batches; once it ends without error, and
    /// if no write happened meanwhile and the result fits, the copy is stored under `key`.
    pub fn fill(
        self: &Arc<Self>,
        key: String,
        inner: SendableRecordBatchStream,
    ) -> SendableRecordBatchStream {
        let schema = inner.schema();
        let generation = self.changes.current();
        // One result may take at most an eighth of the cache.
        let budget = self.capacity / 8;
        let cache = self.clone();
        let state = (inner, Some(Vec::new()), 0usize, Some(key));
        let s = futures::stream::unfold(state, move |(mut inner, mut kept, mut bytes, mut key)| {
            let cache = cache.clone();
            let schema = inner.schema();
            async move {
                match inner.next().await {
                    Some(Ok(batch)) => {
                        if let Some(k) = kept.as_mut() {
                            bytes += batch.get_array_memory_size();
                            if bytes > budget {
                                kept = None;
                            } else {
                                k.push(batch.clone());
                            }
                        }
                        Some((Ok(batch), (inner, kept, bytes, key)))
                    }
                    Some(Err(e)) => Some((Err(e), (inner, None, bytes, None))),
                    None => {
                        if let (Some(batches), Some(k)) = (kept.take(), key.take()) {
                            cache.insert(k, generation, schema, batches, bytes);
                        }
                        None
                    }
                }
            }
        });
        Box::pin(RecordBatchStreamAdapter::new(schema, s))
    }

    fn insert(
        &self,
        key: String,
        generation: u64,
        schema: SchemaRef,
        batches: Vec<RecordBatch>,
        bytes: usize,
    ) {
        if generation != self.changes.current() {
            return;
        }
        let mut guard = self.entries.lock().expect("cache lock");
        let (entries, used) = &mut *guard;
        if let Some(old) = entries.put(
            key,
            Entry {
                generation,
                schema,
                batches,
                bytes,
            },
        ) {
            *used -= old.bytes;
        }
        *used += bytes;
        while *used > self.capacity {
            match entries.pop_lru() {
                Some((_, e)) => *used -= e.bytes,
                None => break,
            }
        }
    }
}

/// What a cacheable query reads.
#[derive(Debug, PartialEq, Eq)]
enum Reads {
    /// Tables of [`CACHED_SCHEMAS`] only (or none).
    Data,
    /// At least one of [`CACHED_CATALOG`].
    Catalog,
}

/// What the query reads when it reads only tables of [`CACHED_SCHEMAS`] and
/// [`CACHED_CATALOG`], with no function whose value may change between statements; None
/// otherwise.
fn cacheable(plan: &LogicalPlan) -> Option<Reads> {
    if matches!(
        plan,
        LogicalPlan::Explain(_)
            | LogicalPlan::Analyze(_)
            | LogicalPlan::Statement(_)
            | LogicalPlan::DescribeTable(_)
            | LogicalPlan::Ddl(_)
            | LogicalPlan::Dml(_)
            | LogicalPlan::Copy(_)
    ) {
        return None;
    }
    let mut ok = true;
    let mut reads = Reads::Data;
    let _ = plan.apply_with_subqueries(|node| {
        if let LogicalPlan::TableScan(scan) = node {
            let schema = scan.table_name.schema().unwrap_or("public");
            // A view's plan is not part of this one: what it reads is unknown here.
            let is_view = scan.source.table_type() == datafusion::logical_expr::TableType::View;
            if schema == "pg_catalog" && CACHED_CATALOG.contains(&scan.table_name.table()) {
                reads = Reads::Catalog;
            } else if !CACHED_SCHEMAS.contains(&schema) || is_view {
                ok = false;
            }
        }
        if matches!(node, LogicalPlan::Extension(_)) {
            ok = false;
        }
        for e in node.expressions() {
            let _ = e.apply(|expr| {
                let volatility = match expr {
                    Expr::ScalarFunction(f) => Some(f.func.signature().volatility),
                    Expr::AggregateFunction(f) => Some(f.func.signature().volatility),
                    Expr::WindowFunction(_) => None,
                    _ => None,
                };
                if volatility.is_some_and(|v| v != Volatility::Immutable) {
                    ok = false;
                }
                Ok(if ok {
                    TreeNodeRecursion::Continue
                } else {
                    TreeNodeRecursion::Stop
                })
            });
        }
        Ok(if ok {
            TreeNodeRecursion::Continue
        } else {
            TreeNodeRecursion::Stop
        })
    });
    ok.then_some(reads)
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::Int64Array;
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use datafusion::prelude::SessionContext;

    fn batch(v: i64) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![Field::new("x", DataType::Int64, false)]));
        RecordBatch::try_new(schema, vec![Arc::new(Int64Array::from(vec![v; 100]))]).unwrap()
    }

    async fn drain(s: SendableRecordBatchStream) -> Vec<RecordBatch> {
        s.map(|b| b.unwrap()).collect().await
    }

    fn stream_of(b: RecordBatch) -> SendableRecordBatchStream {
        let schema = b.schema();
        Box::pin(RecordBatchStreamAdapter::new(
            schema,
            futures::stream::iter(vec![Ok(b)]),
        ))
    }

    #[tokio::test]
    async fn a_result_is_kept_until_a_write() {
        let cache = Arc::new(ResultCache::new(1 << 20, Arc::default()));
        assert!(cache.get("q").is_none());
        let out = drain(cache.fill("q".into(), stream_of(batch(7)))).await;
        assert_eq!(out.len(), 1);
        let hit = drain(cache.get("q").expect("kept")).await;
        assert_eq!(hit, vec![batch(7)]);
        cache.invalidate();
        assert!(cache.get("q").is_none());
        assert_eq!(cache.bytes(), 0);
    }

    #[tokio::test]
    async fn a_write_during_the_query_keeps_its_result_out() {
        let cache = Arc::new(ResultCache::new(1 << 20, Arc::default()));
        let filling = cache.fill("q".into(), stream_of(batch(1)));
        cache.invalidate();
        drain(filling).await;
        assert!(cache.get("q").is_none());
    }

    #[tokio::test]
    async fn the_budget_evicts_the_least_recently_used() {
        let one = batch(0).get_array_memory_size();
        let cache = Arc::new(ResultCache::new(one * 8 + one / 2, Arc::default()));
        for k in ["a", "b", "c", "d", "e", "f", "g", "h", "i"] {
            drain(cache.fill(k.into(), stream_of(batch(1)))).await;
        }
        assert!(cache.bytes() <= one * 8 + one / 2);
        assert!(cache.get("a").is_none(), "the oldest went first");
        assert!(cache.get("i").is_some());
    }

    #[tokio::test]
    async fn only_queries_over_server_written_zones_without_volatile_functions_are_kept() {
        let ctx = SessionContext::new();
        for schema in ["gold", "bronze"] {
            ctx.sql(&format!("CREATE SCHEMA {schema}")).await.unwrap();
            ctx.sql(&format!("CREATE TABLE {schema}.t AS SELECT 1 AS x"))
                .await
                .unwrap();
        }
        ctx.sql("CREATE SCHEMA pg_catalog").await.unwrap();
        for (table, column) in [("pg_class", "relname"), ("pg_settings", "name")] {
            ctx.sql(&format!(
                "CREATE TABLE pg_catalog.{table} AS SELECT 'x' AS {column}"
            ))
            .await
            .unwrap();
        }
        ctx.sql("CREATE VIEW gold.v AS SELECT x FROM bronze.t")
            .await
            .unwrap();
        let cache = ResultCache::new(1 << 20, Arc::default());
        let plan = |sql: &str| {
            let ctx = ctx.clone();
            let sql = sql.to_owned();
            async move { ctx.state().create_logical_plan(&sql).await.unwrap() }
        };
        assert!(
            cache
                .key(&plan("SELECT sum(x) FROM gold.t").await, "", || 0)
                .is_some()
        );
        assert!(
            cache
                .key(&plan("SELECT x FROM bronze.t").await, "", || 0)
                .is_none()
        );
        assert!(
            cache
                .key(&plan("SELECT x, now() FROM gold.t").await, "", || 0)
                .is_none()
        );
        assert!(
            cache
                .key(&plan("SELECT random() FROM gold.t").await, "", || 0)
                .is_none()
        );
        assert!(
            cache
                .key(
                    &plan("SELECT x FROM gold.t WHERE x IN (SELECT x FROM bronze.t)").await,
                    "",
                    || 0
                )
                .is_none()
        );
        assert!(
            cache
                .key(&plan("SELECT x FROM gold.v").await, "", || 0)
                .is_none()
        );
        // Catalog tables that are the same for every session; the key holds the table names.
        let catalog = plan("SELECT relname FROM pg_catalog.pg_class").await;
        let (a, b) = (cache.key(&catalog, "", || 1), cache.key(&catalog, "", || 2));
        assert!(a.is_some() && b.is_some() && a != b, "{a:?} {b:?}");
        assert!(
            cache
                .key(
                    &plan("SELECT name FROM pg_catalog.pg_settings").await,
                    "",
                    || 0
                )
                .is_none()
        );
        assert!(
            ResultCache::new(0, Arc::default())
                .key(&plan("SELECT x FROM gold.t").await, "", || 0)
                .is_none()
        );
    }
}
