//! One connection's session: its own DataFusion context, settings, transaction and cursors
//! over the engine's shared catalog and runtime. A SET here never changes another session.

pub mod cursor;
pub mod outcome;
pub mod savepoint;
pub mod show;
pub mod stream;
pub mod transaction;
pub mod zone_shown;

use std::collections::BTreeMap;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};

use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::execution::session_state::SessionStateBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};
use tokio::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

use crate::Engine;
use crate::error::EngineResult;
use crate::session::cursor::Cursors;
use crate::session::outcome::TxStatus;
use crate::session::stream::Guard;
use crate::session::transaction::Transaction;
use crate::settings::{Reported, Settings};
use crate::sql::parse::{Parsed, parse};

/// One client's session.
pub struct Session {
    /// This session's own DataFusion context over the shared catalog and runtime.
    pub(crate) ctx: SessionContext,
    /// What every session shares (catalog, lake, Kafka tables, procedures, caches, counters).
    pub(crate) shared: Arc<crate::Shared>,
    /// PostgreSQL settings (search_path, TimeZone, ...), this session's only; shared with
    /// the session's `current_setting()` function.
    pub(crate) settings: Arc<Mutex<Settings>>,
    /// Open cursors; async lock because FETCH holds it while rows are produced.
    pub(crate) cursors: tokio::sync::Mutex<Cursors>,
    /// Cancels the statement running now; replaced at each statement.
    current: Mutex<CancellationToken>,
    /// The transaction block: the one place its state lives. Shared with the row streams of
    /// the session's statements, so that a statement failing while its rows are sent fails the
    /// block too.
    pub(crate) tx: Arc<Mutex<Transaction>>,
    /// Moves at every statement that is not a query: SET, RESET, DECLARE and the like may
    /// change how the session plans (search_path, time zone, DataFusion options).
    pub(crate) epoch: AtomicU64,
    /// What the logged-in user may do.
    role: crate::privileges::Role,
    /// The logged-in user.
    pub(crate) user: String,
    /// Notices raised by the statement running now, sent before its result.
    notices: Mutex<Vec<String>>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").finish_non_exhaustive()
    }
}

impl Session {
    pub(crate) fn new(
        engine: &Engine,
        user: &str,
        startup: &BTreeMap<String, String>,
        role: crate::privileges::Role,
    ) -> EngineResult<Self> {
        let settings = Arc::new(Mutex::new(Settings::with_server_defaults(
            user,
            &engine.shared.session_defaults,
            startup,
        )?));
        // The session's own pool caps what its queries hold, on top of the shared pool.
        let runtime = RuntimeEnvBuilder::from_runtime_env(&engine.shared.runtime)
            .with_memory_pool(Arc::new(crate::limits::memory::QueryPool::new(
                engine.shared.runtime.memory_pool.clone(),
                engine.shared.query_memory,
            )))
            .build_arc()?;
        let config = SessionConfig::new()
            .with_extension(Arc::new(crate::catalog::SessionSettings(settings.clone())))
            .with_default_catalog_and_schema(&engine.shared.database, "public")
            .with_create_default_catalog_and_schema(false)
            // Aloe serves its own information_schema with PostgreSQL's columns (catalog/).
            .with_information_schema(false)
            // Join sides are chosen with plan/statistics.rs's estimates (see there why).
            .set_bool("datafusion.optimizer.use_statistics_registry", true);
        let state = SessionStateBuilder::new()
            .with_config(config)
            .with_runtime_env(runtime)
            .with_catalog_list(engine.shared.catalogs.clone())
            .with_default_features()
            .build();
        let ctx = SessionContext::new_with_state(state);
        engine.shared.pg_catalog.register_functions(
            &ctx,
            &engine.shared.database,
            user,
            role,
            settings.clone(),
        );
        ctx.register_udf(crate::sql::rewrite::like_escape::udf());
        crate::functions::register(&ctx);
        {
            let state = ctx.state_ref();
            let existing = state.read().clone();
            let mut builder = SessionStateBuilder::new_from_existing(existing);
            if let Some(analyzer) = builder.analyzer() {
                use crate::plan::integer_literals::{BEFORE, IntegerLiterals};
                let at = analyzer
                    .rules
                    .iter()
                    .position(|rule| rule.name() == BEFORE)
                    .unwrap_or(0);
                analyzer.rules.insert(at, Arc::new(IntegerLiterals));
            }
            *state.write() = builder
                .with_type_planner(Arc::new(crate::plan::types::PgTypePlanner))
                // After DataFusion's type coercion, so that the comparisons it builds are typed,
                // and before DataFusion's checks refuse the shapes it rewrites.
                .with_analyzer_rule(Arc::new(crate::plan::decorrelate::DecorrelateSubqueries))
                // After DataFusion's type coercion, which it needs to know the operand types.
                .with_analyzer_rule(Arc::new(crate::plan::checked_arithmetic::CheckedArithmetic))
                // Delta writes plan nodes of their own (row counters) that only its planner
                // knows; it falls back to DataFusion's planner for everything else.
                .with_query_planner(aloe_connectors::lake::delta::planner())
                .with_statistics_registry(crate::plan::statistics::registry())
                // After DataFusion's rules: joins' outputs stop pinning their build sides.
                .with_physical_optimizer_rule(Arc::new(crate::plan::compact_views::CompactViews))
                .build();
        }
        let session = Self {
            ctx,
            shared: engine.shared.clone(),
            settings,
            cursors: tokio::sync::Mutex::new(Cursors::default()),
            current: Mutex::new(CancellationToken::new()),
            tx: Arc::default(),
            epoch: AtomicU64::new(0),
            role,
            user: user.to_owned(),
            notices: Mutex::new(Vec::new()),
        };
        session.apply_settings();
        Ok(session)
    }

    /// The server's live counters.
    pub fn metrics(&self) -> Arc<crate::metrics::server::ServerMetrics> {
        self.shared.metrics.clone()
    }

    /// The settings reported to the client at startup (ParameterStatus).
    pub fn reported_settings(&self) -> Reported {
        self.settings.lock().expect("settings lock").reported()
    }

    /// The result columns of an open SQL cursor, which clients may Describe as a portal.
    pub async fn cursor_schema(
        &self,
        name: &str,
    ) -> Option<datafusion::arrow::datatypes::SchemaRef> {
        let mut cursors = self.cursors.lock().await;
        cursors.get(name).ok().map(|c| c.schema.clone())
    }

    /// What the logged-in user may do.
    pub(crate) fn role(&self) -> crate::privileges::Role {
        self.role
    }

    /// The transaction state, as ReadyForQuery reports it.
    pub fn transaction_status(&self) -> TxStatus {
        self.tx.lock().expect("transaction lock").status()
    }

    /// The front end answered one of this session's messages with an error (a Bind whose
    /// parameters do not decode, an unknown portal): an open block fails, as it does for a
    /// statement that fails.
    pub fn statement_failed(&self) {
        self.tx.lock().expect("transaction lock").fail();
    }

    /// The notices the last statement raised (clears them).
    pub fn take_notices(&self) -> Vec<String> {
        std::mem::take(&mut *self.notices.lock().expect("notices lock"))
    }

    /// Queues a notice for the client.
    pub(crate) fn notice(&self, message: String) {
        self.notices.lock().expect("notices lock").push(message);
    }

    /// The lake.
    pub(crate) fn lake(&self) -> &aloe_connectors::lake::Lake {
        &self.shared.lake
    }

    /// The procedures CALL runs.
    pub(crate) fn procedures(&self) -> &crate::procedures::Procedures {
        &self.shared.procedures
    }

    /// The Kafka tables.
    pub(crate) fn kafka(&self) -> &crate::kafka::tables::KafkaTables {
        &self.shared.kafka
    }

    /// A snapshot of this session's DataFusion state.
    pub fn state(&self) -> datafusion::execution::session_state::SessionState {
        self.ctx.state()
    }

    /// The database (catalog) name.
    pub(crate) fn database(&self) -> &str {
        &self.shared.database
    }

    /// The schema unqualified names resolve to.
    pub(crate) fn default_schema(&self) -> String {
        self.ctx
            .state_ref()
            .read()
            .config_options()
            .catalog
            .default_schema
            .clone()
    }

    /// How long the connection may wait for the client's next command, in milliseconds
    /// (0: forever): the idle timeouts of the session's settings.
    pub fn idle_timeout_ms(&self, in_transaction: bool) -> u64 {
        self.settings
            .lock()
            .expect("settings lock")
            .idle_timeout_ms(in_transaction)
    }

    /// Records a change (cached results, kept catalog rows and prepared plans made before it
    /// are stale): this session wrote to the lake outside a planned write.
    pub(crate) fn invalidate_results(&self) {
        self.shared.result_cache.invalidate();
    }

    /// Stops the statement running now, if any (a CancelRequest).
    pub fn cancel(&self) {
        self.current.lock().expect("cancel lock").cancel();
    }

    pub(crate) fn begin_statement(&self) -> Guard {
        let token = CancellationToken::new();
        *self.current.lock().expect("cancel lock") = token.clone();
        let ms = self
            .settings
            .lock()
            .expect("settings lock")
            .statement_timeout_ms();
        Guard {
            token,
            deadline: (ms > 0).then(|| Instant::now() + Duration::from_millis(ms)),
            shutdown: self.shared.shutdown.clone(),
        }
    }

    /// Carries settings that DataFusion also knows into its config.
    pub(crate) fn apply_settings(&self) {
        let (tz, path) = {
            let s = self.settings.lock().expect("settings lock");
            (s.time_zone().to_owned(), s.search_path())
        };
        let state = self.ctx.state_ref();
        let mut state = state.write();
        let catalog = state.config_options().catalog.default_catalog.clone();
        let schema = state
            .catalog_list()
            .catalog(&catalog)
            .and_then(|c| path.iter().find(|s| c.schema(s).is_some()).cloned())
            .unwrap_or_else(|| "public".to_owned());
        let options = state.config_mut().options_mut();
        options.execution.time_zone = Some(tz);
        options.catalog.default_schema = schema;
    }

    /// Parses a query string into its statements.
    pub fn parse(&self, sql: &str) -> EngineResult<Vec<Parsed>> {
        parse(sql)
    }
}
