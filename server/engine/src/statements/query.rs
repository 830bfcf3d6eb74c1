//! Queries, and every statement DataFusion plans itself: planning with the session's state,
//! parameters bound, the result cache consulted and filled, rows streamed as the client reads.

use datafusion::arrow::array::{Array, UInt64Array};
use datafusion::common::ParamValues;
use datafusion::logical_expr::{DdlStatement, LogicalPlan, WriteOp};
use datafusion::sql::parser::Statement as DFStatement;

use crate::error::EngineResult;
use crate::session::Session;
use crate::session::outcome::Outcome;
use crate::session::stream::Guard;

impl Session {
    /// Plans `statement` with this session's state and runs it.
    pub(crate) async fn run_sql(
        &self,
        statement: DFStatement,
        params: Option<ParamValues>,
        guard: &Guard,
    ) -> EngineResult<Outcome> {
        let plan = self.plan(statement, guard).await?;
        self.run_planned(plan, params, guard).await
    }

    /// Plans `statement` with this session's state, under the statement's guard.
    pub(crate) async fn plan(
        &self,
        statement: DFStatement,
        guard: &Guard,
    ) -> EngineResult<LogicalPlan> {
        let state = self.ctx.state();
        guard
            .run(async { Ok(state.statement_to_plan(statement).await?) })
            .await
    }

    /// Binds `params` into a plan made from a statement of this session and runs it: writes to
    /// the lake go to their statement's module, everything else to DataFusion.
    pub(crate) async fn run_planned(
        &self,
        plan: LogicalPlan,
        params: Option<ParamValues>,
        guard: &Guard,
    ) -> EngineResult<Outcome> {
        let plan = match params {
            Some(p) => plan.with_param_values(crate::plan::integer_literals::parameters_kept(p))?,
            None => plan,
        };
        if let Some(outcome) = self.lake_write(&plan, guard).await? {
            return Ok(outcome);
        }
        self.run_plan(plan, guard).await
    }

    /// Runs a plan with DataFusion, keeping and reusing results in the result cache.
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
            self.shared.result_cache.key(&plan, &context, || {
                crate::catalog::table_names_fingerprint(self.shared.catalogs.as_ref())
            })
        } else {
            None
        };
        if let Some(hit) = cache_key
            .as_deref()
            .and_then(|k| self.shared.result_cache.get(k))
        {
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
            let zone = self
                .settings
                .lock()
                .expect("settings lock")
                .time_zone()
                .to_owned();
            let stream = crate::session::zone_shown::shown_in(stream, &zone);
            let stream = match cache_key {
                Some(key) => self.shared.result_cache.fill(key, stream),
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
}

/// Whether the plan produces rows for the client, rather than a command tag.
pub(crate) fn returns_rows(plan: &LogicalPlan) -> bool {
    !matches!(
        plan,
        LogicalPlan::Ddl(_) | LogicalPlan::Dml(_) | LogicalPlan::Copy(_)
    ) && !matches!(
        plan,
        LogicalPlan::Statement(s) if !matches!(s, datafusion::logical_expr::Statement::Execute(_))
    )
}

/// The CommandComplete tag of a plan without rows: counted ones take the row count.
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
pub(crate) fn affected_rows(batches: &[datafusion::arrow::record_batch::RecordBatch]) -> u64 {
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
