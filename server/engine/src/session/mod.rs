//! One connection's session: its own DataFusion context, settings, transaction and cursors
//! over the engine's shared catalog and runtime. A SET here never changes another session.

pub mod cursor;
pub mod outcome;
pub mod savepoint;
pub mod show;
pub mod stream;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use datafusion::arrow::array::{Array, UInt64Array};
use datafusion::arrow::datatypes::{DataType, FieldRef};
use datafusion::common::ParamValues;
use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::execution::session_state::SessionStateBuilder;
use datafusion::logical_expr::{DdlStatement, Expr, LogicalPlan, WriteOp};
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion::sql::parser::{ResetStatement, Statement as DFStatement};
use datafusion::sql::sqlparser::ast::{
    CloseCursor, Declare, Expr as SqlExpr, FetchDirection, Ident, Set, Statement,
    TransactionAccessMode, TransactionIsolationLevel, TransactionMode, Value,
};
use tokio::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

use crate::Engine;
use crate::error::{EngineError, EngineResult, sqlstate};
use crate::session::cursor::{Cursor, Cursors};
use crate::session::outcome::{Outcome, Planned, Prepared, TxStatus};
use crate::session::savepoint::Savepoints;
use crate::session::show::{batches_stream, text_schema, text_table};
use crate::session::stream::Guard;
use crate::settings::{Reported, Settings};
use crate::sql::parse::{Parsed, parse};

/// One client's session.
pub struct Session {
    /// This session's own DataFusion context over the shared catalog and runtime.
    ctx: SessionContext,
    /// PostgreSQL settings (search_path, TimeZone, ...), this session's only; shared with
    /// the session's `current_setting()` function.
    settings: Arc<Mutex<Settings>>,
    /// Open cursors; async lock because FETCH holds it while rows are produced.
    cursors: tokio::sync::Mutex<Cursors>,
    /// Cancels the statement running now; replaced at each statement.
    current: Mutex<CancellationToken>,
    /// The open transaction block was started READ ONLY.
    read_only_tx: AtomicBool,
    /// Savepoints of the open block, and the writes that limit rolling back to them.
    savepoints: Mutex<Savepoints>,
    /// A ROLLBACK TO SAVEPOINT left the failed block usable again; the wire layer reads and
    /// clears this to report 'T' instead of 'E'.
    recovered: AtomicBool,
    /// The lake, for statements that write to it.
    lake: Arc<aloe_connectors::lake::Lake>,
    /// Kafka tables, for CREATE EXTERNAL TABLE ... STORED AS KAFKA and DROP TABLE kafka.x.
    kafka: Arc<crate::kafka::tables::KafkaTables>,
    /// The procedures CALL runs.
    procedures: Arc<crate::procedures::Procedures>,
    /// Results of repeated queries, shared by all sessions.
    result_cache: Arc<crate::result_cache::ResultCache>,
    /// The shared catalogs, for the fingerprint of their table names.
    catalogs: Arc<dyn datafusion::catalog::CatalogProviderList>,
    /// The engine's change count, which ends prepared plans as it ends cached results.
    changes: Arc<crate::changes::Changes>,
    /// Moves at every statement that is not a query: SET, RESET, DECLARE and the like may
    /// change how the session plans (search_path, time zone, DataFusion options).
    epoch: AtomicU64,
    metrics: Arc<crate::metrics::server::ServerMetrics>,
    /// What the logged-in user may do.
    role: crate::privileges::Role,
    /// The logged-in user.
    user: String,
    /// The database (catalog) name.
    database: String,
    /// Notices raised by the statement running now, sent before its result.
    notices: Mutex<Vec<String>>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").finish_non_exhaustive()
    }
}

fn not_in_failed_block() -> EngineError {
    EngineError::new(
        sqlstate::IN_FAILED_SQL_TRANSACTION,
        "current transaction is aborted, commands ignored until end of transaction block",
    )
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
            &engine.session_defaults,
            startup,
        )));
        // The session's own pool caps what its queries hold, on top of the shared pool.
        let runtime = RuntimeEnvBuilder::from_runtime_env(&engine.runtime)
            .with_memory_pool(Arc::new(crate::limits::memory::QueryPool::new(
                engine.runtime.memory_pool.clone(),
                engine.query_memory,
            )))
            .build_arc()?;
        let config = SessionConfig::new()
            .with_extension(Arc::new(crate::catalog::SessionSettings(settings.clone())))
            .with_default_catalog_and_schema(&engine.database, "public")
            .with_create_default_catalog_and_schema(false)
            // Aloe serves its own information_schema with PostgreSQL's columns (catalog/).
            .with_information_schema(false)
            // Join sides are chosen with plan/statistics.rs's estimates (see there why).
            .set_bool("datafusion.optimizer.use_statistics_registry", true);
        let state = SessionStateBuilder::new()
            .with_config(config)
            .with_runtime_env(runtime)
            .with_catalog_list(engine.catalogs.clone())
            .with_default_features()
            .build();
        let ctx = SessionContext::new_with_state(state);
        engine
            .pg_catalog
            .register_functions(&ctx, &engine.database, user, role, settings.clone());
        ctx.register_udf(crate::sql::rewrite::like_escape::udf());
        crate::functions::register(&ctx);
        {
            let state = ctx.state_ref();
            let existing = state.read().clone();
            *state.write() = SessionStateBuilder::new_from_existing(existing)
                .with_type_planner(Arc::new(crate::plan::types::PgTypePlanner))
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
            settings,
            cursors: tokio::sync::Mutex::new(Cursors::default()),
            current: Mutex::new(CancellationToken::new()),
            read_only_tx: AtomicBool::new(false),
            savepoints: Mutex::new(Savepoints::default()),
            recovered: AtomicBool::new(false),
            lake: engine.lake.clone(),
            kafka: engine.kafka.clone(),
            procedures: engine.procedures.clone(),
            result_cache: engine.result_cache.clone(),
            changes: engine.changes.clone(),
            catalogs: engine.catalogs.clone(),
            epoch: AtomicU64::new(0),
            metrics: engine.metrics.clone(),
            role,
            user: user.to_owned(),
            database: engine.database.clone(),
            notices: Mutex::new(Vec::new()),
        };
        session.apply_settings();
        Ok(session)
    }

    /// The server's live counters.
    pub fn metrics(&self) -> Arc<crate::metrics::server::ServerMetrics> {
        self.metrics.clone()
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

    /// Whether a ROLLBACK TO SAVEPOINT just made a failed block usable again (clears it).
    pub fn take_recovered(&self) -> bool {
        self.recovered.swap(false, Ordering::Relaxed)
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
        &self.lake
    }

    /// The procedures CALL runs.
    pub(crate) fn procedures(&self) -> &crate::procedures::Procedures {
        &self.procedures
    }

    /// The Kafka tables.
    pub(crate) fn kafka(&self) -> &crate::kafka::tables::KafkaTables {
        &self.kafka
    }

    /// A snapshot of this session's DataFusion state.
    pub fn state(&self) -> datafusion::execution::session_state::SessionState {
        self.ctx.state()
    }

    /// The database (catalog) name.
    pub(crate) fn database(&self) -> &str {
        &self.database
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
        self.result_cache.invalidate();
    }

    /// Stops the statement running now, if any (a CancelRequest).
    pub fn cancel(&self) {
        self.current.lock().expect("cancel lock").cancel();
    }

    fn begin_statement(&self) -> Guard {
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
        }
    }

    /// Carries settings that DataFusion also knows into its config.
    fn apply_settings(&self) {
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

    /// Parses and plans one statement for the extended protocol; `None` for an empty query.
    /// A statement that fails here counts as a statement that failed.
    pub async fn prepare(&self, sql: &str) -> EngineResult<Option<Prepared>> {
        let prepared = self.prepare_statement(sql).await;
        if prepared.is_err() {
            let kind = crate::metrics::server::kind_of(sql);
            crate::metrics::metered::Statement::start(self.metrics.clone(), kind).finish("error");
        }
        prepared
    }

    async fn prepare_statement(&self, sql: &str) -> EngineResult<Option<Prepared>> {
        let mut statements = parse(sql)?;
        if statements.len() > 1 {
            return Err(EngineError::syntax(
                "cannot insert multiple commands into a prepared statement",
            ));
        }
        let Some(parsed) = statements.pop() else {
            return Ok(None);
        };
        let mut prepared = Prepared {
            sql: sql.to_owned(),
            statement: parsed,
            plan: None,
            param_types: vec![],
            schema: None,
        };
        match &prepared.statement.statement {
            DFStatement::Statement(s) => match s.as_ref() {
                Statement::ShowVariable { variable } => {
                    prepared.schema = Some(self.show_schema(variable));
                }
                Statement::Call(f) => {
                    prepared.schema = Some(crate::statements::call::schema(self, f)?);
                }
                Statement::Fetch { name, .. } if !prepared.statement.is_move => {
                    let mut cursors = self.cursors.lock().await;
                    if let Ok(c) = cursors.get(&ident_name(name)) {
                        prepared.schema = Some(c.schema.clone());
                    }
                }
                s if handled_here(s) => {}
                _ => self.plan_for_describe(&mut prepared).await?,
            },
            DFStatement::Reset(_) => {}
            _ => self.plan_for_describe(&mut prepared).await?,
        }
        Ok(Some(prepared))
    }

    async fn plan_for_describe(&self, prepared: &mut Prepared) -> EngineResult<()> {
        // Read before planning: a change made meanwhile must make the plan stale.
        let changes = self.changes.current();
        let epoch = self.epoch.load(Ordering::SeqCst);
        let plan = self
            .ctx
            .state()
            .statement_to_plan(prepared.statement.statement.clone())
            .await?;
        prepared.param_types = parameter_types(&plan)?;
        if returns_rows(&plan) {
            prepared.schema = Some(plan.schema().inner().clone());
        }
        prepared.plan = Some(Planned {
            plan,
            changes,
            epoch,
        });
        Ok(())
    }

    /// Executes one statement. `tx` is the connection's transaction state before it.
    pub async fn execute(
        &self,
        parsed: &Parsed,
        params: Option<ParamValues>,
        tx: TxStatus,
    ) -> EngineResult<Outcome> {
        self.execute_planned(parsed, None, params, tx).await
    }

    /// Runs a prepared statement (an Execute), reusing its Parse-time plan when it is a query
    /// and neither the catalog nor the session's planning state has changed since.
    pub async fn execute_prepared(
        &self,
        prepared: &Prepared,
        params: Option<ParamValues>,
        tx: TxStatus,
    ) -> EngineResult<Outcome> {
        let plan = prepared
            .plan
            .as_ref()
            .filter(|p| {
                is_query(&prepared.statement.statement)
                    && p.changes == self.changes.current()
                    && p.epoch == self.epoch.load(Ordering::SeqCst)
            })
            .map(|p| p.plan.clone());
        self.execute_planned(&prepared.statement, plan, params, tx)
            .await
    }

    async fn execute_planned(
        &self,
        parsed: &Parsed,
        plan: Option<LogicalPlan>,
        params: Option<ParamValues>,
        tx: TxStatus,
    ) -> EngineResult<Outcome> {
        use crate::metrics::metered::{Metered, Statement};
        let kind = crate::metrics::server::kind_of(&parsed.statement.to_string());
        let mut statement = Statement::start(self.metrics.clone(), kind);
        match self.execute_statement(parsed, plan, params, tx).await {
            Ok(Outcome::Rows {
                schema,
                stream,
                tag,
                binary,
            }) => Ok(Outcome::Rows {
                schema,
                stream: Metered::wrap(stream, statement),
                tag,
                binary,
            }),
            Ok(other) => {
                statement.finish("ok");
                Ok(other)
            }
            Err(e) => {
                statement.finish("error");
                Err(e)
            }
        }
    }

    async fn execute_statement(
        &self,
        parsed: &Parsed,
        plan: Option<LogicalPlan>,
        params: Option<ParamValues>,
        tx: TxStatus,
    ) -> EngineResult<Outcome> {
        let guard = self.begin_statement();
        let statement = &parsed.statement;
        if !is_query(statement) {
            self.epoch.fetch_add(1, Ordering::SeqCst);
        }
        let ends_block = matches!(statement, DFStatement::Statement(s)
            if matches!(s.as_ref(), Statement::Commit { .. } | Statement::Rollback { .. }));
        if ends_block {
            // ROLLBACK TO keeps the block; it clears its own later savepoints.
            if let DFStatement::Statement(s) = statement
                && !matches!(
                    s.as_ref(),
                    Statement::Rollback {
                        savepoint: Some(_),
                        ..
                    }
                )
            {
                self.savepoints.lock().expect("savepoints lock").clear();
            }
        }
        if tx == TxStatus::Failed && !ends_block {
            return Err(not_in_failed_block());
        }
        if !crate::privileges::allowed(self.role, statement) {
            return Err(EngineError::new(
                sqlstate::INSUFFICIENT_PRIVILEGE,
                format!(
                    "permission denied: \"{}\" is a reader (queries, SHOW, SET, transactions and cursors only)",
                    self.user
                ),
            ));
        }
        let DFStatement::Statement(sql) = statement else {
            if let DFStatement::Reset(ResetStatement::Variable(name)) = statement {
                return self.reset(&name.to_string());
            }
            return self.run_sql(statement.clone(), params, &guard).await;
        };
        if let (Some(plan), Statement::Query(_)) = (plan, sql.as_ref()) {
            return self.run_planned(plan, params, &guard).await;
        }
        match sql.as_ref() {
            Statement::Set(set) => self.set(set).await,
            Statement::ShowVariable { variable } => self.show(variable, &guard).await,
            Statement::StartTransaction { modes, .. } => self.begin(modes),
            Statement::Commit { .. } => {
                self.read_only_tx.store(false, Ordering::Relaxed);
                if tx == TxStatus::Failed {
                    self.cursors.lock().await.on_rollback();
                    Ok(Outcome::End { tag: "ROLLBACK" })
                } else {
                    self.cursors.lock().await.on_commit();
                    Ok(Outcome::End { tag: "COMMIT" })
                }
            }
            Statement::Rollback {
                savepoint: None, ..
            } => {
                self.read_only_tx.store(false, Ordering::Relaxed);
                self.cursors.lock().await.on_rollback();
                Ok(Outcome::End { tag: "ROLLBACK" })
            }
            Statement::Savepoint { name }
            | Statement::ReleaseSavepoint { name }
            | Statement::Rollback {
                savepoint: Some(name),
                ..
            } if tx == TxStatus::Idle => Err(EngineError::new(
                sqlstate::NO_ACTIVE_SQL_TRANSACTION,
                format!(
                    "savepoint \"{}\": savepoints can only be used in transaction blocks",
                    ident_name(name)
                ),
            )),
            Statement::Savepoint { name } => {
                self.savepoints
                    .lock()
                    .expect("savepoints lock")
                    .take(ident_name(name));
                Ok(Outcome::command("SAVEPOINT"))
            }
            Statement::ReleaseSavepoint { name } => {
                self.savepoints
                    .lock()
                    .expect("savepoints lock")
                    .release(&ident_name(name))?;
                Ok(Outcome::command("RELEASE"))
            }
            Statement::Rollback {
                savepoint: Some(name),
                ..
            } => {
                self.savepoints
                    .lock()
                    .expect("savepoints lock")
                    .roll_back_to(&ident_name(name))?;
                self.recovered.store(true, Ordering::Relaxed);
                Ok(Outcome::Recovered)
            }
            Statement::Copy { .. } => {
                let copy = crate::statements::copy::plan(sql)?;
                let statement = DFStatement::Statement(Box::new(Statement::Query(copy.query)));
                if let Some((file, format)) = &copy.file {
                    if self.read_only_tx.load(Ordering::Relaxed) {
                        return Err(EngineError::new(
                            "25006",
                            "cannot execute a write in a read-only transaction",
                        ));
                    }
                    self.savepoints.lock().expect("savepoints lock").wrote();
                    return self
                        .copy_to_lake(statement, file, format, copy.format.header, &guard)
                        .await;
                }
                match self.run_sql(statement, None, &guard).await? {
                    Outcome::Rows { schema, stream, .. } => Ok(Outcome::CopyOut {
                        schema,
                        stream,
                        format: copy.format,
                    }),
                    _ => Err(EngineError::syntax("COPY needs a query that returns rows")),
                }
            }
            Statement::Declare { stmts } => self.declare(stmts, tx, &guard).await,
            Statement::Fetch {
                name, direction, ..
            } => self.fetch(name, direction, parsed.is_move, &guard).await,
            Statement::Close { cursor } => {
                let mut cursors = self.cursors.lock().await;
                match cursor {
                    CloseCursor::All => cursors.close_all(),
                    CloseCursor::Specific { name } => cursors.close(&ident_name(name))?,
                }
                Ok(Outcome::command("CLOSE CURSOR"))
            }
            Statement::Discard { .. } => {
                self.cursors.lock().await.close_all();
                let reported = self.settings.lock().expect("settings lock").reset_all();
                self.apply_settings();
                Ok(Outcome::Command {
                    tag: "DISCARD ALL".into(),
                    reported,
                })
            }
            Statement::Deallocate { .. } => Ok(Outcome::command("DEALLOCATE")),
            Statement::Call(f) => {
                if self.read_only_tx.load(Ordering::Relaxed) {
                    return Err(EngineError::new(
                        "25006",
                        "cannot build models in a read-only transaction",
                    ));
                }
                crate::statements::call::call(self, f).await
            }
            Statement::Comment {
                object_type,
                object_name,
                comment,
                if_exists,
            } => {
                use datafusion::sql::sqlparser::ast::CommentObject;
                if !matches!(object_type, CommentObject::Table) {
                    return Err(EngineError::not_supported(format!(
                        "COMMENT ON {object_type} is not supported; tables take comments"
                    )));
                }
                if self.read_only_tx.load(Ordering::Relaxed) {
                    return Err(EngineError::new(
                        "25006",
                        "cannot execute a write in a read-only transaction",
                    ));
                }
                let parts: Vec<String> = object_name
                    .0
                    .iter()
                    .map(|p| {
                        p.as_ident()
                            .map(ident_name)
                            .unwrap_or_else(|| p.to_string())
                    })
                    .collect();
                let name = match parts.as_slice() {
                    [t] => datafusion::common::TableReference::bare(t.as_str()),
                    [s, t] => datafusion::common::TableReference::partial(s.as_str(), t.as_str()),
                    _ => datafusion::common::TableReference::full(
                        parts[0].as_str(),
                        parts[1].as_str(),
                        parts[2].as_str(),
                    ),
                };
                // Descriptions are catalog rows other sessions may hold.
                let _invalidate = Invalidate(&self.result_cache);
                self.comment_on_table(&name, comment.clone(), *if_exists)
                    .await
            }
            Statement::Drop {
                object_type: datafusion::sql::sqlparser::ast::ObjectType::Index,
                names,
                if_exists,
                ..
            } => {
                if self.read_only_tx.load(Ordering::Relaxed) {
                    return Err(EngineError::new(
                        "25006",
                        "cannot execute a write in a read-only transaction",
                    ));
                }
                let names: Vec<String> = names
                    .iter()
                    .map(|n| {
                        n.0.iter()
                            .map(|p| {
                                p.as_ident()
                                    .map(ident_name)
                                    .unwrap_or_else(|| p.to_string())
                            })
                            .collect::<Vec<_>>()
                            .join(".")
                    })
                    .collect();
                let _invalidate = Invalidate(&self.result_cache);
                self.drop_index(&names, *if_exists).await
            }
            _ => self.run_sql(statement.clone(), params, &guard).await,
        }
    }

    async fn run_sql(
        &self,
        statement: DFStatement,
        params: Option<ParamValues>,
        guard: &Guard,
    ) -> EngineResult<Outcome> {
        let state = self.ctx.state();
        let plan = guard
            .run(async { Ok(state.statement_to_plan(statement).await?) })
            .await?;
        self.run_planned(plan, params, guard).await
    }

    /// Runs a plan made from a statement of this session.
    async fn run_planned(
        &self,
        plan: LogicalPlan,
        params: Option<ParamValues>,
        guard: &Guard,
    ) -> EngineResult<Outcome> {
        let plan = match params {
            Some(p) => plan.with_param_values(p)?,
            None => plan,
        };
        if writes(&plan) {
            self.savepoints.lock().expect("savepoints lock").wrote();
        }
        // A write, whether it succeeds or fails half-way, ends every cached result.
        let _invalidate = writes(&plan).then(|| Invalidate(&self.result_cache));
        if self.read_only_tx.load(Ordering::Relaxed) && writes(&plan) {
            return Err(EngineError::new(
                "25006",
                "cannot execute a write in a read-only transaction",
            ));
        }
        if let Some(outcome) = self.lake_write(&plan, guard).await? {
            return Ok(outcome);
        }
        self.run_plan(plan, guard).await
    }

    pub(crate) async fn run_plan(&self, plan: LogicalPlan, guard: &Guard) -> EngineResult<Outcome> {
        let tag = command_tag(&plan);
        let rows = returns_rows(&plan);
        let is_set = matches!(
            &plan,
            LogicalPlan::Statement(datafusion::logical_expr::Statement::SetVariable(_))
        );
        let cache_key = if rows {
            let context = format!(
                "{}\n{}",
                self.user,
                self.settings.lock().expect("settings lock").time_zone()
            );
            self.result_cache.key(&plan, &context, || {
                crate::catalog::table_names_fingerprint(self.catalogs.as_ref())
            })
        } else {
            None
        };
        if let Some(hit) = cache_key.as_deref().and_then(|k| self.result_cache.get(k)) {
            return Ok(Outcome::Rows {
                schema: hit.schema(),
                stream: guard.stream(hit),
                tag: "SELECT",
                binary: false,
            });
        }
        let df = guard
            .run(async { Ok(self.ctx.execute_logical_plan(plan).await?) })
            .await?;
        if rows {
            let stream = guard.run(async { Ok(df.execute_stream().await?) }).await?;
            let stream = match cache_key {
                Some(key) => self.result_cache.fill(key, stream),
                None => stream,
            };
            return Ok(Outcome::Rows {
                schema: stream.schema(),
                stream: guard.stream(stream),
                tag: "SELECT",
                binary: false,
            });
        }
        let batches = guard.run(async { Ok(df.collect().await?) }).await?;
        if is_set {
            // A DataFusion setting may be one PostgreSQL also reports (time zone).
            self.apply_settings();
        }
        let tag = match tag {
            Tag::Counted(word) => format!("{word} {}", affected_rows(&batches)),
            Tag::Plain(word) => word.to_owned(),
        };
        Ok(Outcome::command(tag))
    }

    async fn set(&self, set: &Set) -> EngineResult<Outcome> {
        let assignments: Vec<(String, Option<String>)> = match set {
            Set::SingleAssignment {
                variable, values, ..
            } => {
                let name = variable.to_string();
                if name.to_ascii_lowercase().starts_with("datafusion.") {
                    let statement = DFStatement::Statement(Box::new(Statement::Set(set.clone())));
                    let guard = self.begin_statement();
                    return self.run_sql(statement, None, &guard).await;
                }
                vec![(name, set_value(values))]
            }
            Set::SetTimeZone { value, .. } => {
                vec![("TimeZone".into(), set_value(std::slice::from_ref(value)))]
            }
            Set::SetNames { charset_name, .. } => {
                vec![("client_encoding".into(), Some(charset_name.value.clone()))]
            }
            Set::SetTransaction { modes, session, .. } => {
                let prefix = if *session { "default_" } else { "" };
                modes
                    .iter()
                    .map(|m| match m {
                        TransactionMode::IsolationLevel(level) => (
                            format!("{prefix}transaction_isolation"),
                            Some(isolation_name(level).to_owned()),
                        ),
                        TransactionMode::AccessMode(mode) => (
                            format!("{prefix}transaction_read_only"),
                            Some(matches!(mode, TransactionAccessMode::ReadOnly).to_string()),
                        ),
                    })
                    .collect()
            }
            Set::SetRole { .. } | Set::SetSessionAuthorization(_) => {
                // Roles arrive with authentication; until then every session has one user.
                return Ok(Outcome::command("SET"));
            }
            other => {
                return Err(EngineError::not_supported(format!(
                    "this form of SET is not supported: {other}"
                )));
            }
        };
        let mut reported = Vec::new();
        {
            let mut settings = self.settings.lock().expect("settings lock");
            for (name, value) in assignments {
                reported.extend(match value {
                    Some(v) => settings.set(&name, &v)?,
                    None => settings.reset(&name)?,
                });
            }
        }
        self.apply_settings();
        Ok(Outcome::Command {
            tag: "SET".into(),
            reported,
        })
    }

    fn reset(&self, name: &str) -> EngineResult<Outcome> {
        let reported = {
            let mut settings = self.settings.lock().expect("settings lock");
            if name.eq_ignore_ascii_case("all") {
                settings.reset_all()
            } else {
                settings.reset(name)?
            }
        };
        self.apply_settings();
        Ok(Outcome::Command {
            tag: "RESET".into(),
            reported,
        })
    }

    fn show_name(variable: &[Ident]) -> String {
        let words: Vec<String> = variable
            .iter()
            .map(|i| i.value.to_ascii_lowercase())
            .collect();
        match words.join(" ").as_str() {
            "transaction isolation level" => "transaction_isolation".into(),
            "time zone" => "TimeZone".into(),
            "session authorization" => "session_authorization".into(),
            _ => variable
                .iter()
                .map(|i| i.value.clone())
                .collect::<Vec<_>>()
                .join("."),
        }
    }

    fn show_schema(&self, variable: &[Ident]) -> datafusion::arrow::datatypes::SchemaRef {
        let name = Self::show_name(variable);
        if name.eq_ignore_ascii_case("all") {
            let (schema, _) = text_table(&["name", "setting", "description"], vec![])
                .expect("an empty text table always builds");
            return schema;
        }
        text_schema(
            &Settings::canonical(&name)
                .map(str::to_owned)
                .unwrap_or(name),
        )
    }

    async fn show(&self, variable: &[Ident], _guard: &Guard) -> EngineResult<Outcome> {
        let name = Self::show_name(variable);
        if name.to_ascii_lowercase().starts_with("datafusion.") {
            // PostgreSQL's SHOW answers one column named after the setting; DataFusion's
            // answers two, which psql and drivers would misread.
            let key = name.to_ascii_lowercase();
            let entry = self
                .ctx
                .state()
                .config_options()
                .entries()
                .into_iter()
                .find(|e| e.key == key)
                .ok_or_else(|| {
                    EngineError::new(
                        sqlstate::UNDEFINED_PARAMETER,
                        format!("unrecognized configuration parameter \"{name}\""),
                    )
                })?;
            let (schema, stream) =
                text_table(&[key.as_str()], vec![vec![entry.value.unwrap_or_default()]])?;
            return Ok(Outcome::Rows {
                schema,
                stream,
                tag: "SHOW",
                binary: false,
            });
        }
        let (schema, stream) = if name.eq_ignore_ascii_case("all") {
            let mut rows: Vec<Vec<String>> = self
                .settings
                .lock()
                .expect("settings lock")
                .all()
                .into_iter()
                .map(|(n, v, d)| vec![n, v, d])
                .collect();
            for entry in self.ctx.state().config_options().entries() {
                rows.push(vec![
                    entry.key,
                    entry.value.unwrap_or_default(),
                    entry.description.to_owned(),
                ]);
            }
            text_table(&["name", "setting", "description"], rows)?
        } else {
            let value = self.settings.lock().expect("settings lock").get(&name)?;
            let column = Settings::canonical(&name)
                .map(str::to_owned)
                .unwrap_or(name);
            text_table(&[column.as_str()], vec![vec![value]])?
        };
        Ok(Outcome::Rows {
            schema,
            stream,
            tag: "SHOW",
            binary: false,
        })
    }

    fn begin(&self, modes: &[TransactionMode]) -> EngineResult<Outcome> {
        let default_read_only = self
            .settings
            .lock()
            .expect("settings lock")
            .get("default_transaction_read_only")
            .is_ok_and(|v| v == "on");
        let read_only = modes.iter().fold(default_read_only, |ro, m| match m {
            TransactionMode::AccessMode(TransactionAccessMode::ReadOnly) => true,
            TransactionMode::AccessMode(TransactionAccessMode::ReadWrite) => false,
            _ => ro,
        });
        self.read_only_tx.store(read_only, Ordering::Relaxed);
        Ok(Outcome::Begin)
    }

    async fn declare(
        &self,
        stmts: &[Declare],
        tx: TxStatus,
        guard: &Guard,
    ) -> EngineResult<Outcome> {
        for d in stmts {
            let Some(query) = &d.for_query else {
                return Err(EngineError::not_supported(
                    "DECLARE is supported for cursors only (DECLARE name CURSOR FOR query)",
                ));
            };
            let hold = d.hold.unwrap_or(false);
            if !hold && tx == TxStatus::Idle {
                return Err(EngineError::new(
                    sqlstate::NO_ACTIVE_SQL_TRANSACTION,
                    "DECLARE CURSOR can only be used in transaction blocks",
                ));
            }
            if d.scroll == Some(true) {
                return Err(EngineError::not_supported(
                    "SCROLL cursors are not supported: Aloe cursors read forward only",
                ));
            }
            let statement = DFStatement::Statement(Box::new(Statement::Query(query.clone())));
            let state = self.ctx.state();
            let plan = guard
                .run(async { Ok(state.statement_to_plan(statement).await?) })
                .await?;
            let df = self.ctx.execute_logical_plan(plan).await?;
            // The cursor's stream outlives this statement, so it is guarded at each FETCH
            // rather than by this statement's guard.
            let stream = df.execute_stream().await?;
            let name = d.names.first().map(ident_name).unwrap_or_default();
            let cursor = Cursor::new(stream, hold, d.binary == Some(true), tx != TxStatus::Idle);
            self.cursors.lock().await.declare(name, cursor)?;
        }
        Ok(Outcome::command("DECLARE CURSOR"))
    }

    async fn fetch(
        &self,
        name: &Ident,
        direction: &FetchDirection,
        is_move: bool,
        guard: &Guard,
    ) -> EngineResult<Outcome> {
        let limit = fetch_count(direction)?;
        let mut cursors = self.cursors.lock().await;
        let cursor = cursors.get(&ident_name(name))?;
        let batches = cursor.take(limit, guard).await?;
        if is_move {
            let n: usize = batches.iter().map(|b| b.num_rows()).sum();
            return Ok(Outcome::command(format!("MOVE {n}")));
        }
        let schema = cursor.schema.clone();
        Ok(Outcome::Rows {
            schema: schema.clone(),
            stream: batches_stream(schema, batches),
            tag: "FETCH",
            binary: cursor.binary,
        })
    }
}

/// Statements this module answers itself rather than DataFusion.
fn handled_here(s: &Statement) -> bool {
    matches!(
        s,
        Statement::Set(_)
            | Statement::StartTransaction { .. }
            | Statement::Commit { .. }
            | Statement::Rollback { .. }
            | Statement::Savepoint { .. }
            | Statement::ReleaseSavepoint { .. }
            | Statement::Declare { .. }
            | Statement::Fetch { .. }
            | Statement::Close { .. }
            | Statement::Discard { .. }
            | Statement::Deallocate { .. }
            | Statement::Copy { .. }
            | Statement::Comment { .. }
            | Statement::Call(_)
            | Statement::Drop {
                object_type: datafusion::sql::sqlparser::ast::ObjectType::Index,
                ..
            }
    )
}

/// PostgreSQL folds unquoted names to lower case.
fn ident_name(i: &Ident) -> String {
    if i.quote_style.is_some() {
        i.value.clone()
    } else {
        i.value.to_ascii_lowercase()
    }
}

fn isolation_name(level: &TransactionIsolationLevel) -> &'static str {
    match level {
        TransactionIsolationLevel::ReadUncommitted => "read uncommitted",
        TransactionIsolationLevel::ReadCommitted => "read committed",
        TransactionIsolationLevel::RepeatableRead => "repeatable read",
        _ => "serializable",
    }
}

/// The value of `SET x = ...` as text; `None` for DEFAULT.
fn set_value(values: &[SqlExpr]) -> Option<String> {
    let parts: Vec<String> = values
        .iter()
        .map(|v| match v {
            SqlExpr::Value(v) => match &v.value {
                Value::SingleQuotedString(s) | Value::DoubleQuotedString(s) => s.clone(),
                other => other.to_string(),
            },
            SqlExpr::Identifier(i) => i.value.clone(),
            other => other.to_string(),
        })
        .collect();
    if parts.len() == 1 && parts[0].eq_ignore_ascii_case("default") {
        return None;
    }
    Some(parts.join(", "))
}

/// How many rows a FETCH direction asks for (`None` = all); Aloe cursors only go forward.
fn fetch_count(direction: &FetchDirection) -> EngineResult<Option<usize>> {
    let count =
        |v: &datafusion::sql::sqlparser::ast::ValueWithSpan| -> EngineResult<Option<usize>> {
            let text = v.value.to_string();
            match text.parse::<i64>() {
                Ok(n) if n >= 0 => Ok(Some(n as usize)),
                Ok(_) => Err(backward()),
                Err(_) => Err(EngineError::syntax(format!("invalid FETCH count: {text}"))),
            }
        };
    match direction {
        FetchDirection::Next => Ok(Some(1)),
        FetchDirection::Count { limit } => count(limit),
        FetchDirection::Forward { limit: Some(limit) } => count(limit),
        FetchDirection::Forward { limit: None } => Ok(Some(1)),
        FetchDirection::All | FetchDirection::ForwardAll => Ok(None),
        _ => Err(backward()),
    }
}

fn backward() -> EngineError {
    EngineError::new(
        sqlstate::OBJECT_NOT_IN_PREREQUISITE_STATE,
        "cursor can only scan forward: Aloe cursors do not support backward or absolute positioning",
    )
}

/// Parameter types by position ($1 first), from the plan, with placeholders that sit
/// directly in a CAST taking the cast's type, and text where nothing says otherwise (as
/// PostgreSQL does for an unknown-typed parameter).
fn parameter_types(plan: &LogicalPlan) -> EngineResult<Vec<Option<FieldRef>>> {
    let inferred = plan.get_parameter_fields()?;
    let mut from_casts: HashMap<String, FieldRef> = HashMap::new();
    plan.apply_with_subqueries(|p| {
        p.apply_expressions(|e| {
            e.apply(|e| {
                if let Expr::Cast(c) = e
                    && let Expr::Placeholder(ph) = c.expr.as_ref()
                {
                    from_casts.insert(ph.id.clone(), c.field.clone());
                }
                Ok(TreeNodeRecursion::Continue)
            })
        })
    })?;
    let count = inferred
        .keys()
        .chain(from_casts.keys())
        .filter_map(|k| k.trim_start_matches('$').parse::<usize>().ok())
        .max()
        .unwrap_or(0);
    Ok((1..=count)
        .map(|i| {
            let id = format!("${i}");
            inferred
                .get(&id)
                .cloned()
                .flatten()
                .or_else(|| from_casts.get(&id).cloned())
                .or_else(|| {
                    Some(std::sync::Arc::new(
                        datafusion::arrow::datatypes::Field::new(&id, DataType::Utf8, true),
                    ))
                })
        })
        .collect())
}

/// Whether the plan produces rows for the client (a query), rather than a command tag.
fn returns_rows(plan: &LogicalPlan) -> bool {
    !matches!(
        plan,
        LogicalPlan::Ddl(_) | LogicalPlan::Dml(_) | LogicalPlan::Copy(_)
    ) && !matches!(
        plan,
        LogicalPlan::Statement(s) if !matches!(s, datafusion::logical_expr::Statement::Execute(_))
    )
}

/// Records a change when dropped (see `invalidate_results`): after a write, however it ended.
struct Invalidate<'a>(&'a crate::result_cache::ResultCache);

impl Drop for Invalidate<'_> {
    fn drop(&mut self) {
        self.0.invalidate();
    }
}

/// Whether the statement is a plain query, which leaves the session's planning state as it is.
fn is_query(statement: &DFStatement) -> bool {
    matches!(statement, DFStatement::Statement(s) if matches!(s.as_ref(), Statement::Query(_)))
}

/// Whether the plan changes data or the catalog.
fn writes(plan: &LogicalPlan) -> bool {
    matches!(
        plan,
        LogicalPlan::Ddl(_) | LogicalPlan::Dml(_) | LogicalPlan::Copy(_)
    )
}

enum Tag {
    Counted(&'static str),
    Plain(&'static str),
}

fn command_tag(plan: &LogicalPlan) -> Tag {
    match plan {
        LogicalPlan::Dml(dml) => match dml.op {
            WriteOp::Insert(_) => Tag::Counted("INSERT 0"),
            WriteOp::Delete => Tag::Counted("DELETE"),
            WriteOp::Update => Tag::Counted("UPDATE"),
            WriteOp::Ctas => Tag::Counted("SELECT"),
            WriteOp::Truncate => Tag::Plain("TRUNCATE TABLE"),
            _ => Tag::Counted("MERGE"),
        },
        LogicalPlan::Copy(_) => Tag::Counted("COPY"),
        LogicalPlan::Ddl(ddl) => Tag::Plain(match ddl {
            DdlStatement::CreateExternalTable(_) | DdlStatement::CreateMemoryTable(_) => {
                "CREATE TABLE"
            }
            DdlStatement::CreateView(_) => "CREATE VIEW",
            DdlStatement::CreateCatalogSchema(_) => "CREATE SCHEMA",
            DdlStatement::CreateCatalog(_) => "CREATE DATABASE",
            DdlStatement::CreateIndex(_) => "CREATE INDEX",
            DdlStatement::DropTable(_) => "DROP TABLE",
            DdlStatement::DropView(_) => "DROP VIEW",
            DdlStatement::DropCatalogSchema(_) => "DROP SCHEMA",
            DdlStatement::CreateFunction(_) => "CREATE FUNCTION",
            DdlStatement::DropFunction(_) => "DROP FUNCTION",
        }),
        LogicalPlan::Statement(s) => Tag::Plain(match s {
            datafusion::logical_expr::Statement::SetVariable(_) => "SET",
            datafusion::logical_expr::Statement::ResetVariable(_) => "RESET",
            datafusion::logical_expr::Statement::Prepare(_) => "PREPARE",
            datafusion::logical_expr::Statement::Deallocate(_) => "DEALLOCATE",
            _ => "SELECT",
        }),
        _ => Tag::Plain("SELECT"),
    }
}

/// The row count a DML plan reports in its single `count` column.
pub(super) fn affected_rows(batches: &[datafusion::arrow::record_batch::RecordBatch]) -> u64 {
    batches
        .iter()
        .filter_map(|b| {
            (b.num_columns() > 0)
                .then(|| b.column(0).as_any().downcast_ref::<UInt64Array>().cloned())
                .flatten()
        })
        .map(|a| (0..a.len()).map(|i| a.value(i)).sum::<u64>())
        .sum()
}
