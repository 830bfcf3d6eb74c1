//! The engine side of the seam between the wire protocol and DataFusion: one shared catalog
//! and runtime, one [`Session`] per connection, statements in, Arrow streams or tags out.

pub mod catalog;
pub mod changes;
pub mod error;
pub mod functions;
pub mod input;
pub mod kafka;
pub mod lake;
pub mod limits;
pub mod metrics;
pub mod output;
pub mod plan;
pub mod privileges;
pub mod procedures;
pub mod result_cache;
pub mod session;
pub mod settings;
pub mod sql;
mod statements;

use std::sync::Arc;

use datafusion::catalog::{
    CatalogProvider, CatalogProviderList, MemoryCatalogProvider, MemoryCatalogProviderList,
    SchemaProvider,
};
use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};

pub use error::{EngineError, EngineResult};
pub use session::Session;
pub use session::outcome::{CopyFormat, Outcome, Planned, Prepared, TxStatus};

/// The engine: what every session shares, behind one handle.
#[derive(Debug)]
pub struct Engine {
    /// The shared state; each session holds the same handle.
    shared: Arc<Shared>,
}

/// The state every session shares: catalog, runtime (memory pool, object stores), the lake,
/// Kafka tables, procedures, caches and counters.
#[derive(Debug)]
pub(crate) struct Shared {
    /// Catalogs shared by all sessions; a table created on one connection is seen by all.
    pub(crate) catalogs: Arc<dyn CatalogProviderList>,
    /// One runtime (memory pool, disk manager, object stores) for all queries.
    pub(crate) runtime: Arc<RuntimeEnv>,
    /// The database (catalog) name clients connect to.
    pub(crate) database: String,
    /// pg_catalog, installed once in the shared catalog.
    pub(crate) pg_catalog: crate::catalog::PgCatalog,
    /// The lake, whose zones are schemas of the catalog.
    pub(crate) lake: Arc<aloe_connectors::lake::Lake>,
    /// Kafka tables (schema `kafka`), their live views (schema `live`) and ingesters.
    pub(crate) kafka: Arc<crate::kafka::tables::KafkaTables>,
    /// Procedures `CALL` runs, registered by whoever embeds the engine (`aloe.run`).
    pub(crate) procedures: Arc<crate::procedures::Procedures>,
    /// The server's live counters.
    pub(crate) metrics: Arc<crate::metrics::server::ServerMetrics>,
    /// Bytes one session's queries may hold (`limits.query_memory`).
    pub(crate) query_memory: usize,
    /// Settings whose defaults the server configures (`[limits]` timeouts).
    pub(crate) session_defaults: Vec<(&'static str, String)>,
    /// Results of repeated queries over silver, gold and gen.
    pub(crate) result_cache: Arc<result_cache::ResultCache>,
    /// Moves at every change to data or catalog; shared by the result cache, the catalog's
    /// kept rows and prepared plans.
    pub(crate) changes: Arc<changes::Changes>,
    /// Fired when the server stops waiting for running statements at shutdown.
    pub(crate) shutdown: tokio_util::sync::CancellationToken,
}

impl Engine {
    /// An engine whose catalog `database` holds the lake's zones as schemas (not yet listed:
    /// see [`Engine::open_lake`]).
    pub fn new(
        database: &str,
        lake: aloe_connectors::lake::Lake,
        limits: &crate::limits::Limits,
    ) -> EngineResult<Self> {
        let catalog = MemoryCatalogProvider::new();
        for schema in lake.schemas() {
            catalog.register_schema(&schema.zone.name, schema.clone())?;
        }
        let memory = Arc::new(MemoryCatalogProviderList::new());
        memory.register_catalog(database.to_owned(), Arc::new(catalog));
        let catalogs: Arc<dyn CatalogProviderList> =
            Arc::new(crate::catalog::OrderedCatalogs(memory));
        let lake = Arc::new(lake);
        let changes = Arc::new(changes::Changes::default());
        let pg_catalog = crate::catalog::PgCatalog::install(
            catalogs.clone(),
            database,
            lake.clone(),
            changes.clone(),
        )?;
        // DataFusion keeps a folder's file list forever by default; the lake's raw-file tables
        // are folders that exports keep landing files in, so every scan lists them anew.
        let caches = datafusion::execution::cache::cache_manager::CacheManagerConfig::default()
            .with_list_files_cache_limit(0);
        let runtime = RuntimeEnvBuilder::new()
            .with_cache_manager(caches)
            .with_memory_pool(crate::limits::memory::shared_pool(limits.memory_bytes()))
            .build_arc()?;
        lake.register_stores(&runtime);
        let kafka = Arc::new(crate::kafka::tables::KafkaTables::new(lake.clone()));
        let engine = Self {
            shared: Arc::new(Shared {
                catalogs,
                runtime,
                database: database.to_owned(),
                pg_catalog,
                lake,
                kafka,
                procedures: Arc::default(),
                metrics: Arc::default(),
                query_memory: limits.query_memory_bytes(),
                session_defaults: limits.session_defaults(),
                result_cache: Arc::new(result_cache::ResultCache::new(
                    limits.result_cache_bytes(),
                    changes.clone(),
                )),
                changes,
                shutdown: tokio_util::sync::CancellationToken::new(),
            }),
        };
        engine.register_schema("kafka", engine.shared.kafka.kafka_schema())?;
        engine.register_schema("live", engine.shared.kafka.live_schema())?;
        Ok(engine)
    }

    /// The lake.
    pub fn lake_handle(&self) -> Arc<aloe_connectors::lake::Lake> {
        self.shared.lake.clone()
    }

    /// The server's live counters.
    pub fn metrics(&self) -> &Arc<crate::metrics::server::ServerMetrics> {
        &self.shared.metrics
    }

    /// The memory DataFusion's pool has handed out now, in bytes.
    pub fn memory_reserved(&self) -> usize {
        self.shared.runtime.memory_pool.reserved()
    }

    /// The cache of query results.
    pub fn result_cache(&self) -> &Arc<result_cache::ResultCache> {
        &self.shared.result_cache
    }

    /// Stops every running statement with 57P01: the shutdown grace period is over.
    pub fn stop_statements(&self) {
        self.shared.shutdown.cancel();
    }

    /// The procedures `CALL` runs.
    pub fn procedures(&self) -> &Arc<crate::procedures::Procedures> {
        &self.shared.procedures
    }

    /// The Kafka tables and their ingesters.
    pub fn kafka(&self) -> &Arc<crate::kafka::tables::KafkaTables> {
        &self.shared.kafka
    }

    /// Serves the Kafka tables of `aloe.toml` and of earlier `CREATE EXTERNAL TABLE`s and starts
    /// their ingesters.
    pub async fn start_kafka(
        &self,
        configured: &[aloe_connectors::kafka::KafkaTableDecl],
    ) -> EngineResult<()> {
        let session = self.session("aloe", &std::collections::BTreeMap::new())?;
        self.shared.kafka.start(configured, &session.state()).await
    }

    /// The database name (the DataFusion catalog) sessions work in.
    pub fn database(&self) -> &str {
        &self.shared.database
    }

    /// Adds (or replaces) a schema of the shared catalog.
    pub fn register_schema(&self, name: &str, schema: Arc<dyn SchemaProvider>) -> EngineResult<()> {
        let catalog = self
            .shared
            .catalogs
            .catalog(&self.shared.database)
            .expect("the engine's own catalog is registered in Engine::new");
        catalog.register_schema(name, schema)?;
        Ok(())
    }

    /// A new session over the shared catalog, with the client's startup parameters applied.
    pub fn session(
        &self,
        user: &str,
        startup: &std::collections::BTreeMap<String, String>,
    ) -> EngineResult<Session> {
        Session::new(self, user, startup, crate::privileges::Role::Admin)
    }

    /// A session for `user` with `role`'s rights.
    pub fn session_as(
        &self,
        user: &str,
        startup: &std::collections::BTreeMap<String, String>,
        role: crate::privileges::Role,
    ) -> EngineResult<Session> {
        Session::new(self, user, startup, role)
    }
}
