//! Statements that change the lake: they are carried out against the zone's object store
//! (a Delta commit, a view file, a table file) before the catalog is told, so what a client
//! created is there again after a restart, and a failed write leaves the previous contents.

use std::sync::Arc;

use aloe_connectors::lake::{LakeTable, TableKind, ZoneSchema, paths};
use datafusion::common::TableReference;
use datafusion::logical_expr::{DdlStatement, LogicalPlan};

use crate::error::{EngineError, EngineResult, sqlstate};
use crate::session::Session;
use crate::session::outcome::Outcome;
use crate::session::stream::Guard;

impl Session {
    /// Carries out `plan` if it writes to the lake; `None` leaves it to DataFusion.
    pub(crate) async fn lake_write(
        &self,
        plan: &LogicalPlan,
        guard: &Guard,
    ) -> EngineResult<Option<Outcome>> {
        Ok(Some(match plan {
            LogicalPlan::Ddl(DdlStatement::CreateMemoryTable(c)) => {
                self.create_table(c, guard).await?
            }
            LogicalPlan::Ddl(DdlStatement::DropTable(d))
                if d.name.schema() == Some(crate::statements::kafka_ddl::KAFKA_SCHEMA) =>
            {
                self.drop_kafka_table(d.name.table(), d.if_exists).await?
            }
            LogicalPlan::Ddl(DdlStatement::DropTable(d)) => {
                self.drop_table(&d.name, d.if_exists).await?
            }
            LogicalPlan::Ddl(DdlStatement::CreateView(v)) => self.create_view(v).await?,
            LogicalPlan::Ddl(DdlStatement::DropView(d)) => {
                self.drop_view(&d.name, d.if_exists).await?
            }
            LogicalPlan::Ddl(DdlStatement::CreateExternalTable(c))
                if crate::statements::kafka_ddl::is_kafka(c) =>
            {
                self.create_kafka_table(c).await?
            }
            LogicalPlan::Ddl(DdlStatement::CreateExternalTable(c)) => {
                self.create_external(c).await?
            }
            LogicalPlan::Ddl(DdlStatement::CreateIndex(c)) => self.create_index(c).await?,
            LogicalPlan::Ddl(DdlStatement::CreateCatalogSchema(c)) => self.create_schema(c).await?,
            LogicalPlan::Ddl(DdlStatement::DropCatalogSchema(d)) => self.drop_schema(d).await?,
            LogicalPlan::Ddl(DdlStatement::CreateCatalog(_)) => {
                return Err(EngineError::not_supported(
                    "a server has one database; create a schema in it instead",
                ));
            }
            LogicalPlan::Copy(c) => {
                let zones = self.lake().zones();
                let (zone, url) = paths::resolve(&zones, &c.output_url)?;
                let mut c = c.clone();
                c.output_url = url.to_string();
                let outcome = self.run_plan(LogicalPlan::Copy(c), guard).await?;
                self.refresh_zone(&zone.name).await?;
                outcome
            }
            LogicalPlan::Dml(dml) => return self.dml(plan, dml, guard).await,
            _ => return Ok(None),
        }))
    }

    /// Lists a zone again after a write.
    pub(crate) async fn refresh_zone(&self, zone: &str) -> EngineResult<()> {
        self.lake().refresh(&self.state(), zone).await?;
        self.invalidate_results();
        Ok(())
    }

    /// The zone and table name a reference names, if it is in a zone.
    pub(crate) fn zone_of(&self, r: &TableReference) -> Option<(Arc<ZoneSchema>, String)> {
        if r.catalog().is_some_and(|c| c != self.database()) {
            return None;
        }
        let schema = r
            .schema()
            .map(str::to_owned)
            .unwrap_or_else(|| self.default_schema());
        self.lake()
            .schema(&schema)
            .map(|s| (s.clone(), r.table().to_owned()))
    }

    /// The zone, name and lake table `r` names, if it names one that exists.
    pub(crate) fn lake_table(
        &self,
        r: &TableReference,
    ) -> Option<(Arc<ZoneSchema>, String, LakeTable)> {
        let (schema, name) = self.zone_of(r)?;
        let table = schema.get(&name)?;
        Some((schema, name, table))
    }

    /// Like [`Self::zone_of`], with the error a CREATE outside the zones gets.
    pub(crate) fn zone_for_create(
        &self,
        r: &TableReference,
    ) -> EngineResult<(Arc<ZoneSchema>, String)> {
        self.zone_of(r).ok_or_else(|| {
            let schema = r
                .schema()
                .map(str::to_owned)
                .unwrap_or_else(|| self.default_schema());
            if ["pg_catalog", "information_schema", "gen", "kafka", "aloe"].contains(&schema.as_str()) {
                EngineError::new(
                    sqlstate::INSUFFICIENT_PRIVILEGE,
                    format!("schema \"{schema}\" is read-only; create tables in bronze, silver, gold or public"),
                )
            } else {
                EngineError::new(
                    sqlstate::INVALID_SCHEMA_NAME,
                    format!("schema \"{schema}\" does not exist; the lake's schemas are bronze, silver, gold and public"),
                )
            }
        })
    }

    pub(crate) fn missing(
        &self,
        name: &TableReference,
        if_exists: bool,
        tag: &str,
        what: &str,
    ) -> EngineResult<Outcome> {
        if if_exists {
            self.notice(format!(
                "{what} \"{}\" does not exist, skipping",
                name.table()
            ));
            Ok(Outcome::command(tag))
        } else {
            Err(EngineError::new(
                sqlstate::UNDEFINED_TABLE,
                format!("{what} \"{}\" does not exist", name.table()),
            ))
        }
    }
}

/// What a table of `kind` is, for messages.
pub(crate) fn kind_name(kind: &TableKind) -> &'static str {
    match kind {
        TableKind::Delta => "a Delta table",
        TableKind::Files(_) => "a folder of raw files",
        TableKind::View(_) => "a view",
    }
}
