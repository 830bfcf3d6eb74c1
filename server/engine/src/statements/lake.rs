//! Statements that change the lake: they are carried out against the zone's object store
//! (a Delta commit, a view file, a table file) before the catalog is told, so what a client
//! created is there again after a restart, and a failed write leaves the previous contents.

use std::collections::BTreeMap;
use std::sync::Arc;

use aloe_connectors::lake::delta::{self, WriteMode};
use aloe_connectors::lake::indexes::{self, IndexDecl};
use aloe_connectors::lake::table_file::{TABLE_FILE, TableFile};
use aloe_connectors::lake::{LakeTable, TableKind, ZoneSchema, paths, views};
use datafusion::common::TableReference;
use datafusion::dataframe::DataFrameWriteOptions;
use datafusion::logical_expr::{
    CreateExternalTable, CreateIndex, CreateMemoryTable, CreateView, DdlStatement, DmlStatement,
    LogicalPlan, WriteOp,
};
use datafusion::prelude::DataFrame;
use datafusion::sql::parser::Statement as DFStatement;
use datafusion::sql::sqlparser::ast::Statement;
use object_store::ObjectStoreExt;

use crate::Engine;
use crate::catalog::view::LakeView;
use crate::error::{EngineError, EngineResult, sqlstate};
use crate::session::Session;
use crate::session::outcome::Outcome;
use crate::session::stream::Guard;

/// The notice sent with CREATE INDEX: accepted, recorded, not used.
pub const INDEX_NOTICE: &str = "Aloe scans columnar data instead of using indexes; \
                                the index is recorded (pg_index lists it) but not built";

impl Engine {
    /// Whether zone `zone` serves a table or view `name`.
    pub fn has_table(&self, zone: &str, name: &str) -> bool {
        self.shared
            .lake
            .schema(zone)
            .is_some_and(|s| s.get(name).is_some())
    }

    /// The Delta version of table `name` in `zone`; None for other kinds of table.
    pub async fn table_version(&self, zone: &str, name: &str) -> Option<i64> {
        let schema = self.shared.lake.schema(zone)?;
        let table = schema.get(name)?;
        if table.kind != TableKind::Delta {
            return None;
        }
        delta::version(&schema.zone, table.url.as_ref()?)
            .await
            .ok()
            .flatten()
    }

    /// Replaces the column comments of table `name` in `zone` (shown by col_description and
    /// psql's `\d+`).
    pub async fn set_column_comments(
        &self,
        zone: &str,
        name: &str,
        comments: &BTreeMap<String, String>,
    ) -> EngineResult<()> {
        let schema = self.shared.lake.schema(zone).ok_or_else(|| {
            EngineError::new(sqlstate::INVALID_SCHEMA_NAME, format!("no zone {zone}"))
        })?;
        aloe_connectors::lake::column_comments::write(&schema.zone, name, comments).await?;
        Ok(())
    }

    /// Rows of every user table as pg_stat_user_tables gives them: (schema, table, rows).
    pub async fn table_rows(&self) -> Vec<(String, String, i64)> {
        let Ok(session) = self.session("aloe", &BTreeMap::new()) else {
            return vec![];
        };
        let ctx = datafusion::prelude::SessionContext::new_with_state(session.state());
        let Ok(frame) = ctx
            .sql("SELECT schemaname, relname, n_live_tup FROM pg_catalog.pg_stat_user_tables")
            .await
        else {
            return vec![];
        };
        let Ok(batches) = frame.collect().await else {
            return vec![];
        };
        let mut out = Vec::new();
        for batch in batches {
            use datafusion::arrow::array::AsArray;
            let text = |i: usize| {
                datafusion::arrow::compute::cast(
                    batch.column(i),
                    &datafusion::arrow::datatypes::DataType::Utf8,
                )
            };
            let (Ok(schema), Ok(table), Ok(n)) = (
                text(0),
                text(1),
                datafusion::arrow::compute::cast(
                    batch.column(2),
                    &datafusion::arrow::datatypes::DataType::Int64,
                ),
            ) else {
                continue;
            };
            let n = n.as_primitive::<datafusion::arrow::datatypes::Int64Type>();
            for i in 0..batch.num_rows() {
                out.push((
                    schema.as_string::<i32>().value(i).to_owned(),
                    table.as_string::<i32>().value(i).to_owned(),
                    n.value(i),
                ));
            }
        }
        out
    }

    /// When each lake table was last written: (zone, table, time).
    pub async fn table_write_times(&self) -> Vec<(String, String, chrono::DateTime<chrono::Utc>)> {
        let mut out = Vec::new();
        for schema in self.shared.lake.schemas() {
            for (name, table) in schema.entries() {
                let Some(url) = &table.url else { continue };
                if let Ok(Some(at)) =
                    aloe_connectors::lake::fingerprint::last_modified(&schema.zone, url).await
                {
                    out.push((schema.zone.name.clone(), name, at));
                }
            }
        }
        out
    }

    /// Whether every zone's store answers a listing; the error names the first that does not.
    pub async fn check_lake(&self) -> Result<(), String> {
        use futures::TryStreamExt;
        for schema in self.shared.lake.schemas() {
            let root = schema.zone.root();
            let mut listing = schema.zone.store.list(Some(&root));
            if let Err(e) = listing.try_next().await {
                return Err(format!(
                    "zone {} ({}): {e}",
                    schema.zone.name, schema.zone.url
                ));
            }
        }
        Ok(())
    }

    /// Lists zone `zone` again, so files written by another process are served.
    pub async fn refresh_zone(&self, zone: &str) -> EngineResult<()> {
        let session = self.session("aloe", &BTreeMap::new())?;
        self.shared.lake.refresh(&session.state(), zone).await?;
        // What was listed may differ from what cached results were computed from.
        self.shared.result_cache.invalidate();
        Ok(())
    }

    /// Lists every zone, opens its tables and loads the views kept in it. A view that cannot
    /// be planned (its tables are gone) is skipped with a warning and stays in the lake.
    pub async fn open_lake(&self) -> EngineResult<()> {
        let session = self.session("aloe", &BTreeMap::new())?;
        let state = session.state();
        for schema in self.shared.lake.schemas() {
            self.shared.lake.refresh(&state, &schema.zone.name).await?;
        }
        let mut pending = Vec::new();
        for schema in self.shared.lake.schemas() {
            for (name, sql) in views::list(&schema.zone).await? {
                pending.push((schema.clone(), name, sql));
            }
        }
        // A view may read another view: plan what can be planned until nothing more can.
        loop {
            let before = pending.len();
            let mut failed = Vec::new();
            for (schema, name, sql) in pending {
                if let Err(e) = session.install_view(&schema, &name, &sql).await {
                    failed.push((schema, name, sql, e));
                }
            }
            let progress = failed.len() < before;
            pending = failed
                .into_iter()
                .map(|(schema, name, sql, e)| {
                    if !progress {
                        tracing::warn!(view = %name, zone = %schema.zone.name, error = %e, "view not served");
                    }
                    (schema, name, sql)
                })
                .collect();
            if !progress || pending.is_empty() {
                break;
            }
        }
        Ok(())
    }
}

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
            LogicalPlan::Ddl(DdlStatement::CreateCatalogSchema(c)) => {
                if c.if_not_exists && self.lake().schema(&c.schema_name).is_some() {
                    Outcome::command("CREATE SCHEMA")
                } else {
                    return Err(EngineError::not_supported(format!(
                        "cannot create schema \"{}\": the lake's schemas are its zones \
                         (bronze, silver, gold, public); create tables in one of them",
                        c.schema_name
                    )));
                }
            }
            LogicalPlan::Ddl(
                DdlStatement::DropCatalogSchema(_) | DdlStatement::CreateCatalog(_),
            ) => {
                return Err(EngineError::not_supported(
                    "the lake's schemas are its zones and cannot be created or dropped",
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

    /// INSERT into a lake table goes through DataFusion (Delta's and the listing tables'
    /// sinks commit atomically), then the table is reopened to see the new version.
    async fn dml(
        &self,
        plan: &LogicalPlan,
        dml: &DmlStatement,
        guard: &Guard,
    ) -> EngineResult<Option<Outcome>> {
        let Some((schema, table)) = self.zone_of(&dml.table_name) else {
            return Err(EngineError::new(
                sqlstate::INSUFFICIENT_PRIVILEGE,
                format!(
                    "cannot write to {}: only tables in the lake's zones (bronze, silver, gold, \
                     public) can be written",
                    dml.table_name
                ),
            ));
        };
        if !matches!(dml.op, WriteOp::Insert(_)) {
            return Err(EngineError::not_supported(format!(
                "{} is not supported on lake tables; rewrite the table with \
                 CREATE OR REPLACE TABLE ... AS SELECT",
                dml.op.name()
            )));
        }
        let outcome = self.run_plan(plan.clone(), guard).await?;
        self.lake()
            .reload(&self.state(), &schema.zone.name, &table)
            .await?;
        Ok(Some(outcome))
    }

    async fn create_table(&self, c: &CreateMemoryTable, guard: &Guard) -> EngineResult<Outcome> {
        let (schema, name) = self.zone_for_create(&c.name)?;
        if c.temporary {
            return Err(EngineError::not_supported(
                "temporary tables are not supported; create a table in a zone and drop it after",
            ));
        }
        let plain = matches!(c.input.as_ref(), LogicalPlan::EmptyRelation(e) if !e.produce_one_row);
        let tag = |rows: u64| {
            if plain {
                "CREATE TABLE".to_owned()
            } else {
                format!("SELECT {rows}")
            }
        };
        if let Some(existing) = schema.get(&name) {
            if c.if_not_exists {
                self.notice(format!("relation \"{name}\" already exists, skipping"));
                return Ok(Outcome::command(tag(0)));
            }
            if !c.or_replace {
                return Err(EngineError::new(
                    sqlstate::DUPLICATE_TABLE,
                    format!("relation \"{name}\" already exists"),
                ));
            }
            if existing.kind != TableKind::Delta {
                return Err(EngineError::new(
                    sqlstate::WRONG_OBJECT_TYPE,
                    format!(
                        "\"{name}\" is {}, not a Delta table; drop it before replacing it",
                        kind_name(&existing.kind)
                    ),
                ));
            }
        }
        let mode = if c.or_replace {
            WriteMode::Replace
        } else if c.if_not_exists {
            WriteMode::CreateIfMissing
        } else {
            WriteMode::Create
        };
        let url = schema.zone.table_url(&name);
        let state = Arc::new(self.state());
        let zone = schema.zone.clone();
        let input = c.input.as_ref().clone();
        let rows = guard
            .run(async {
                delta::write(&zone, &url, state, input, mode, None)
                    .await
                    .map_err(|e| match e {
                        aloe_connectors::lake::LakeError::Exists(_) => EngineError::new(
                            sqlstate::DUPLICATE_TABLE,
                            format!("relation \"{name}\" already exists"),
                        ),
                        other => other.into(),
                    })
            })
            .await?;
        self.refresh_zone(&schema.zone.name).await?;
        Ok(Outcome::command(tag(rows)))
    }

    async fn drop_table(&self, name: &TableReference, if_exists: bool) -> EngineResult<Outcome> {
        let found = self
            .zone_of(name)
            .and_then(|(schema, table)| schema.get(&table).map(|t| (schema, table, t)));
        let Some((schema, table, lake_table)) = found else {
            return self.missing(name, if_exists, "DROP TABLE", "table");
        };
        if let TableKind::View(_) = lake_table.kind {
            return Err(EngineError::new(
                sqlstate::WRONG_OBJECT_TYPE,
                format!("\"{table}\" is not a table; use DROP VIEW"),
            ));
        }
        if lake_table.declared {
            return Err(EngineError::not_supported(format!(
                "\"{table}\" is declared in aloe.toml; remove it there to drop it"
            )));
        }
        let zone = &schema.zone;
        let url = lake_table
            .url
            .as_ref()
            .expect("lake tables have a location");
        let own = zone.table_url(&table);
        if &own != url && url.path().ends_with('/') {
            // A CREATE EXTERNAL TABLE: its table file (in a folder of its own name) goes, the
            // data it pointed at stays, as for external tables elsewhere.
            delta::delete_folder(zone, &own).await?;
        } else if url.path().ends_with('/') {
            delta::delete_folder(zone, url).await?;
        } else {
            zone.store
                .delete(&aloe_connectors::lake::zone::object_path(url))
                .await
                .map_err(aloe_connectors::lake::LakeError::from)?;
        }
        for index in indexes::list(zone).await? {
            if index.table == table {
                indexes::remove(zone, &index.name).await?;
            }
        }
        self.refresh_zone(&zone.name).await?;
        Ok(Outcome::command("DROP TABLE"))
    }

    async fn create_view(&self, v: &CreateView) -> EngineResult<Outcome> {
        let (schema, name) = self.zone_for_create(&v.name)?;
        if v.temporary {
            return Err(EngineError::not_supported(
                "temporary views are not supported; create a view in a zone",
            ));
        }
        if let Some(existing) = schema.get(&name) {
            let is_view = matches!(existing.kind, TableKind::View(_));
            if !is_view {
                return Err(EngineError::new(
                    sqlstate::WRONG_OBJECT_TYPE,
                    format!("\"{name}\" is not a view"),
                ));
            }
            if !v.or_replace {
                return Err(EngineError::new(
                    sqlstate::DUPLICATE_TABLE,
                    format!("relation \"{name}\" already exists"),
                ));
            }
        }
        let sql = v
            .definition
            .clone()
            .ok_or_else(|| EngineError::not_supported("a view needs its SQL text"))?;
        self.install_view(&schema, &name, &sql).await?;
        views::save(&schema.zone, &name, &sql).await?;
        Ok(Outcome::command("CREATE VIEW"))
    }

    async fn drop_view(&self, name: &TableReference, if_exists: bool) -> EngineResult<Outcome> {
        let found = self
            .zone_of(name)
            .and_then(|(schema, view)| schema.get(&view).map(|t| (schema, view, t)));
        let Some((schema, view, table)) = found else {
            return self.missing(name, if_exists, "DROP VIEW", "view");
        };
        if !matches!(table.kind, TableKind::View(_)) {
            return Err(EngineError::new(
                sqlstate::WRONG_OBJECT_TYPE,
                format!("\"{view}\" is not a view; use DROP TABLE"),
            ));
        }
        views::remove(&schema.zone, &view).await?;
        schema.remove(&view);
        Ok(Outcome::command("DROP VIEW"))
    }

    /// Plans a stored `CREATE VIEW` statement and serves it in `schema` as `name`.
    pub(crate) async fn install_view(
        &self,
        schema: &Arc<ZoneSchema>,
        name: &str,
        sql: &str,
    ) -> EngineResult<()> {
        let mut parsed = crate::sql::parse::parse(sql)?;
        let query = match parsed.pop().map(|p| p.statement) {
            Some(DFStatement::Statement(s)) => match *s {
                Statement::CreateView(v) => v.query,
                _ => {
                    return Err(EngineError::syntax(format!(
                        "view {name}: not a CREATE VIEW"
                    )));
                }
            },
            _ => {
                return Err(EngineError::syntax(format!(
                    "view {name}: not a CREATE VIEW"
                )));
            }
        };
        let query = DFStatement::Statement(Box::new(Statement::Query(query)));
        let plan = self.state().statement_to_plan(query.clone()).await?;
        let view = LakeView::new(query, sql.to_owned(), &plan);
        schema.put(
            name,
            LakeTable {
                provider: Arc::new(view),
                kind: TableKind::View(sql.to_owned()),
                url: None,
                description: None,
                declared: false,
            },
        );
        Ok(())
    }

    /// `CREATE EXTERNAL TABLE ... LOCATION '<zone>/<path>'`: the location must be inside the
    /// table's own zone; a table file records it so the table is there after a restart.
    async fn create_external(&self, c: &CreateExternalTable) -> EngineResult<Outcome> {
        let (schema, name) = self.zone_for_create(&c.name)?;
        let zones = self.lake().zones();
        let mut location = None;
        for given in &c.locations {
            let (zone, url) = paths::resolve(&zones, given)?;
            if zone.name != schema.zone.name {
                return Err(EngineError::new(
                    sqlstate::INSUFFICIENT_PRIVILEGE,
                    format!(
                        "the location of a table in zone {} must be inside that zone, not in {}",
                        schema.zone.name, zone.name
                    ),
                ));
            }
            location = schema.zone.relative(&url);
        }
        if schema.get(&name).is_some() {
            if c.if_not_exists {
                return Ok(Outcome::command("CREATE TABLE"));
            }
            return Err(EngineError::new(
                sqlstate::DUPLICATE_TABLE,
                format!("relation \"{name}\" already exists"),
            ));
        }
        let mut options = BTreeMap::new();
        for (key, value) in &c.options {
            let key = key.strip_prefix("format.").unwrap_or(key);
            let key = if key == "has_header" { "header" } else { key };
            options.insert(key.to_owned(), value.clone());
        }
        let own_folder = format!("{name}/");
        let location = location.filter(|l| *l != own_folder);
        let tf = TableFile {
            format: Some(c.file_type.to_ascii_lowercase()),
            options,
            partition_columns: c.table_partition_cols.clone(),
            columns: vec![],
            description: None,
            location,
        };
        let text = toml::to_string(&tf)
            .map_err(|e| EngineError::new(sqlstate::INTERNAL_ERROR, e.to_string()))?;
        let path = aloe_connectors::lake::zone::object_path(&schema.zone.table_url(&name))
            .join(TABLE_FILE);
        schema
            .zone
            .store
            .put(&path, text.into_bytes().into())
            .await
            .map_err(aloe_connectors::lake::LakeError::from)?;
        self.refresh_zone(&schema.zone.name).await?;
        if schema.get(&name).is_none() {
            // Nothing readable there: take the table file back rather than leave a table
            // that is not served.
            let _ = schema.zone.store.delete(&path).await;
            return Err(EngineError::new(
                sqlstate::UNDEFINED_FILE,
                format!(
                    "no readable {} files at {}",
                    c.file_type.to_ascii_lowercase(),
                    c.locations.join(", ")
                ),
            ));
        }
        Ok(Outcome::command("CREATE TABLE"))
    }

    async fn create_index(&self, c: &CreateIndex) -> EngineResult<Outcome> {
        let Some((schema, table)) = self.zone_of(&c.table) else {
            return Err(EngineError::new(
                sqlstate::UNDEFINED_TABLE,
                format!("relation \"{}\" does not exist", c.table),
            ));
        };
        if schema.get(&table).is_none() {
            return Err(EngineError::new(
                sqlstate::UNDEFINED_TABLE,
                format!("relation \"{}\" does not exist", c.table),
            ));
        }
        let columns: Vec<String> = c
            .columns
            .iter()
            .map(|s| match &s.expr {
                datafusion::prelude::Expr::Column(col) => col.name.clone(),
                other => other.to_string(),
            })
            .collect();
        let name = c
            .name
            .clone()
            .unwrap_or_else(|| format!("{table}_{}_idx", columns.join("_")));
        let existing = indexes::list(&schema.zone).await?;
        if existing.iter().any(|i| i.name == name) {
            if c.if_not_exists {
                self.notice(format!("relation \"{name}\" already exists, skipping"));
                return Ok(Outcome::command("CREATE INDEX"));
            }
            return Err(EngineError::new(
                sqlstate::DUPLICATE_TABLE,
                format!("relation \"{name}\" already exists"),
            ));
        }
        indexes::save(
            &schema.zone,
            &IndexDecl {
                name,
                table,
                columns,
                unique: c.unique,
            },
        )
        .await?;
        self.notice(INDEX_NOTICE.to_owned());
        Ok(Outcome::command("CREATE INDEX"))
    }

    /// `COMMENT ON TABLE t IS '...'`: the description goes into the table's table file, where
    /// discovery reads it, so it survives a restart and shows in pg_description.
    pub(crate) async fn comment_on_table(
        &self,
        name: &TableReference,
        comment: Option<String>,
        if_exists: bool,
    ) -> EngineResult<Outcome> {
        let found = self
            .zone_of(name)
            .and_then(|(schema, table)| schema.get(&table).map(|t| (schema, table, t)));
        let Some((schema, table, lake_table)) = found else {
            return self.missing(name, if_exists, "COMMENT", "relation");
        };
        let folder = lake_table.url.as_ref().filter(|u| u.path().ends_with('/'));
        let Some(_) = folder.filter(|_| !lake_table.declared) else {
            return Err(EngineError::not_supported(format!(
                "\"{table}\" keeps no table file (a view, a single file, or a table declared \
                 in aloe.toml, whose description is set there)"
            )));
        };
        let zone = &schema.zone;
        let path =
            aloe_connectors::lake::zone::object_path(&zone.table_url(&table)).join(TABLE_FILE);
        let mut tf = match zone.store.get(&path).await {
            Ok(got) => {
                let bytes = got
                    .bytes()
                    .await
                    .map_err(aloe_connectors::lake::LakeError::from)?;
                TableFile::parse(&String::from_utf8_lossy(&bytes), path.as_ref())?
            }
            Err(object_store::Error::NotFound { .. }) => TableFile::default(),
            Err(e) => return Err(aloe_connectors::lake::LakeError::from(e).into()),
        };
        tf.description = comment.filter(|c| !c.is_empty());
        let text = toml::to_string(&tf)
            .map_err(|e| EngineError::new(sqlstate::INTERNAL_ERROR, e.to_string()))?;
        zone.store
            .put(&path, text.into_bytes().into())
            .await
            .map_err(aloe_connectors::lake::LakeError::from)?;
        schema.put(
            &table,
            LakeTable {
                description: tf.description,
                ..lake_table
            },
        );
        Ok(Outcome::command("COMMENT"))
    }

    /// `DROP INDEX [IF EXISTS] name, ...`: forgets recorded indexes, in whichever zone.
    pub(crate) async fn drop_index(
        &self,
        names: &[String],
        if_exists: bool,
    ) -> EngineResult<Outcome> {
        for name in names {
            let (schema_name, index) = match name.rsplit_once('.') {
                Some((s, i)) => (Some(s), i),
                None => (None, name.as_str()),
            };
            let mut removed = false;
            for schema in self.lake().schemas() {
                if schema_name.is_some_and(|s| s != schema.zone.name) {
                    continue;
                }
                removed |= indexes::remove(&schema.zone, index).await?;
            }
            if !removed {
                if if_exists {
                    self.notice(format!("index \"{index}\" does not exist, skipping"));
                } else {
                    return Err(EngineError::new(
                        sqlstate::UNDEFINED_OBJECT,
                        format!("index \"{index}\" does not exist"),
                    ));
                }
            }
        }
        Ok(Outcome::command("DROP INDEX"))
    }

    /// `COPY (query) TO '<zone>/<path>' (FORMAT parquet|csv|json)`: one file, written whole.
    pub(crate) async fn copy_to_lake(
        &self,
        query: DFStatement,
        target: &str,
        format: &str,
        header: bool,
        guard: &Guard,
    ) -> EngineResult<Outcome> {
        let zones = self.lake().zones();
        let (zone, url) = paths::resolve(&zones, target)?;
        let state = self.state();
        let plan = guard
            .run(async { Ok(state.statement_to_plan(query).await?) })
            .await?;
        let df = DataFrame::new(state, plan);
        let options = DataFrameWriteOptions::new().with_single_file_output(true);
        let path = url.to_string();
        let batches = guard
            .run(async {
                Ok(match format {
                    "parquet" => df.write_parquet(&path, options, None).await?,
                    "json" => df.write_json(&path, options, None).await?,
                    _ => {
                        let csv = datafusion::common::config::CsvOptions::default()
                            .with_has_header(header);
                        df.write_csv(&path, options, Some(csv)).await?
                    }
                })
            })
            .await?;
        let rows = crate::statements::query::affected_rows(&batches);
        self.refresh_zone(&zone.name).await?;
        Ok(Outcome::command(format!("COPY {rows}")))
    }

    /// Lists a zone again after a write.
    async fn refresh_zone(&self, zone: &str) -> EngineResult<()> {
        self.lake().refresh(&self.state(), zone).await?;
        self.invalidate_results();
        Ok(())
    }

    /// The zone and table name a reference names, if it is in a zone.
    fn zone_of(&self, r: &TableReference) -> Option<(Arc<ZoneSchema>, String)> {
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

    /// Like [`Self::zone_of`], with the error a CREATE outside the zones gets.
    fn zone_for_create(&self, r: &TableReference) -> EngineResult<(Arc<ZoneSchema>, String)> {
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

    fn missing(
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

fn kind_name(kind: &TableKind) -> &'static str {
    match kind {
        TableKind::Delta => "a Delta table",
        TableKind::Files(_) => "a folder of raw files",
        TableKind::View(_) => "a view",
    }
}
