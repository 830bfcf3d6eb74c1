//! pg_catalog rows that come from the lake: table descriptions (`pg_description`, read by
//! `obj_description` and psql's `\d+`) and the indexes `CREATE INDEX` recorded (`pg_index`).
//! Both are computed when read, from the relation OIDs pg_class gives at that moment, so they
//! always agree with pg_class.

use std::collections::HashMap;
use std::sync::Arc;

use aloe_connectors::lake::{Lake, indexes};
use async_trait::async_trait;
use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Int64Type, SchemaRef};
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::{DataFusionError, Result, ScalarValue};
use datafusion::execution::session_state::SessionState;
use datafusion::physical_plan::{StatisticsArgs, StatisticsContext};
use datafusion::prelude::SessionContext;

use super::computed::Rows;

/// pg_class's OID for rows about relations (`classoid` of pg_description).
const PG_CLASS_OID: i64 = 1259;

/// The btree access method, which recorded indexes claim to use (`relam`).
const BTREE_AM_OID: i64 = 403;

/// The owner pg_class gives every relation (`relowner` 10).
const OWNER: &str = "postgres";

/// The `CREATE INDEX` statement PostgreSQL's `pg_get_indexdef` gives for `index`.
fn index_definition(zone: &str, index: &indexes::IndexDecl) -> String {
    use super::format::quote_ident;
    let columns: Vec<String> = index.columns.iter().map(|c| quote_ident(c)).collect();
    format!(
        "CREATE {}INDEX {} ON {}.{} USING btree ({})",
        if index.unique { "UNIQUE " } else { "" },
        quote_ident(&index.name),
        quote_ident(zone),
        quote_ident(&index.table),
        columns.join(", ")
    )
}

/// Which lake-backed table this is.
#[derive(Debug, Clone, Copy)]
pub enum Which {
    /// PostgreSQL's own descriptions plus the lake tables' descriptions.
    Descriptions,
    /// The recorded indexes.
    Indexes,
    /// pg_class: its own rows plus one per recorded index (`relkind` 'i').
    IndexClasses,
    /// pg_views: the lake's views and their queries.
    Views,
    /// pg_indexes: each recorded index with the `CREATE INDEX` that makes it.
    IndexDefinitions,
    /// pg_stat_user_tables: one row per user table, `n_live_tup` from the row count its
    /// scan knows without reading data (Delta and Parquet statistics, in-memory tables).
    TableStats,
}

/// A pg_catalog table whose rows are computed from the lake at each scan.
#[derive(Debug)]
pub struct LakeRows {
    which: Which,
    schema: SchemaRef,
    lake: Arc<Lake>,
    /// Rows served before the lake's (PostgreSQL's own descriptions).
    builtin: Option<Arc<dyn TableProvider>>,
}

impl LakeRows {
    /// A table with `schema`, after the rows of `builtin` if given.
    pub fn new(
        which: Which,
        schema: SchemaRef,
        lake: Arc<Lake>,
        builtin: Option<Arc<dyn TableProvider>>,
    ) -> Self {
        Self {
            which,
            schema,
            lake,
            builtin,
        }
    }

    async fn rows(&self, state: &SessionState) -> Result<Vec<RecordBatch>> {
        // pg_class's own rows must not be asked of pg_class while it is being made.
        let oids = match self.which {
            Which::IndexClasses | Which::Views | Which::IndexDefinitions => HashMap::new(),
            _ => relation_oids(state).await?,
        };
        let namespaces = match self.which {
            Which::IndexClasses => namespace_oids(state).await?,
            _ => HashMap::new(),
        };
        let mut rows: Vec<HashMap<&'static str, ScalarValue>> = Vec::new();
        if let Which::TableStats = self.which {
            rows = table_stats(state, &oids).await?;
        }
        for schema in self.lake.schemas() {
            let zone = &schema.zone.name;
            match self.which {
                Which::TableStats => {}
                Which::Views => {
                    for (name, table) in schema.entries() {
                        if !matches!(table.kind, aloe_connectors::lake::TableKind::View(_)) {
                            continue;
                        }
                        let definition = table.provider.get_table_definition().map(str::to_owned);
                        rows.push(HashMap::from([
                            ("schemaname", ScalarValue::Utf8(Some(zone.clone()))),
                            ("viewname", ScalarValue::Utf8(Some(name))),
                            ("viewowner", ScalarValue::Utf8(Some(OWNER.into()))),
                            ("definition", ScalarValue::Utf8(definition)),
                        ]));
                    }
                }
                Which::IndexDefinitions => {
                    for index in indexes::list(&schema.zone).await? {
                        rows.push(HashMap::from([
                            ("schemaname", ScalarValue::Utf8(Some(zone.clone()))),
                            ("tablename", ScalarValue::Utf8(Some(index.table.clone()))),
                            ("indexname", ScalarValue::Utf8(Some(index.name.clone()))),
                            (
                                "indexdef",
                                ScalarValue::Utf8(Some(index_definition(zone, &index))),
                            ),
                        ]));
                    }
                }
                Which::Descriptions => {
                    let comments = aloe_connectors::lake::column_comments::read(&schema.zone)
                        .await
                        .unwrap_or_default();
                    for (name, table) in schema.entries() {
                        let (Some(columns), Some(oid)) =
                            (comments.get(&name), oids.get(&(zone.clone(), name.clone())))
                        else {
                            continue;
                        };
                        let fields = table.provider.schema();
                        for (column, comment) in columns {
                            let Ok(position) = fields.index_of(column) else {
                                continue;
                            };
                            rows.push(HashMap::from([
                                ("objoid", ScalarValue::Int64(Some(*oid))),
                                ("classoid", ScalarValue::Int64(Some(PG_CLASS_OID))),
                                ("objsubid", ScalarValue::Int32(Some(position as i32 + 1))),
                                ("description", ScalarValue::Utf8(Some(comment.clone()))),
                            ]));
                        }
                    }
                    for (name, table) in schema.entries() {
                        let (Some(description), Some(oid)) =
                            (table.description, oids.get(&(zone.clone(), name)))
                        else {
                            continue;
                        };
                        rows.push(HashMap::from([
                            ("objoid", ScalarValue::Int64(Some(*oid))),
                            ("classoid", ScalarValue::Int64(Some(PG_CLASS_OID))),
                            ("objsubid", ScalarValue::Int32(Some(0))),
                            ("description", ScalarValue::Utf8(Some(description))),
                        ]));
                    }
                }
                Which::IndexClasses => {
                    let Some(namespace) = namespaces.get(zone.as_str()) else {
                        continue;
                    };
                    for index in indexes::list(&schema.zone).await? {
                        rows.push(HashMap::from([
                            (
                                "oid",
                                ScalarValue::Int64(Some(super::oids::index(zone, &index.name))),
                            ),
                            ("relname", ScalarValue::Utf8(Some(index.name.clone()))),
                            ("relnamespace", ScalarValue::Int64(Some(*namespace))),
                            ("relkind", ScalarValue::Utf8(Some("i".into()))),
                            ("relam", ScalarValue::Int64(Some(BTREE_AM_OID))),
                            (
                                "relnatts",
                                ScalarValue::Int16(Some(index.columns.len() as i16)),
                            ),
                            ("relowner", ScalarValue::Int64(Some(10))),
                            ("relpersistence", ScalarValue::Utf8(Some("p".into()))),
                            ("reltuples", ScalarValue::Float32(Some(-1.0))),
                            ("relpages", ScalarValue::Int32(Some(0))),
                        ]));
                    }
                }
                Which::Indexes => {
                    for index in indexes::list(&schema.zone).await? {
                        let (Some(oid), Some(table)) = (
                            oids.get(&(zone.clone(), index.table.clone())),
                            schema.get(&index.table),
                        ) else {
                            continue;
                        };
                        let columns = table.provider.schema();
                        let keys: Vec<ScalarValue> = index
                            .columns
                            .iter()
                            .map(|c| {
                                let n = columns.index_of(c).map(|i| i as i16 + 1).unwrap_or(0);
                                ScalarValue::Int16(Some(n))
                            })
                            .collect();
                        let zeros = |t: DataType| {
                            let z = ScalarValue::new_zero(&t).expect("zero of an integer type");
                            ScalarValue::List(ScalarValue::new_list_nullable(
                                &vec![z; keys.len()],
                                &t,
                            ))
                        };
                        let n = ScalarValue::Int16(Some(keys.len() as i16));
                        rows.push(HashMap::from([
                            (
                                "indexrelid",
                                ScalarValue::Int64(Some(super::oids::index(zone, &index.name))),
                            ),
                            ("indrelid", ScalarValue::Int64(Some(*oid))),
                            ("indnatts", n.clone()),
                            ("indnkeyatts", n),
                            ("indisunique", ScalarValue::Boolean(Some(index.unique))),
                            ("indisvalid", ScalarValue::Boolean(Some(true))),
                            ("indisready", ScalarValue::Boolean(Some(true))),
                            ("indislive", ScalarValue::Boolean(Some(true))),
                            (
                                "indkey",
                                ScalarValue::List(ScalarValue::new_list_nullable(
                                    &keys,
                                    &DataType::Int16,
                                )),
                            ),
                            ("indcollation", zeros(DataType::Int32)),
                            ("indclass", zeros(DataType::Int32)),
                            ("indoption", zeros(DataType::Int16)),
                        ]));
                    }
                }
            }
        }
        let mut batches = Vec::new();
        if let Some(builtin) = &self.builtin {
            let plan = builtin.scan(state, None, &[], None).await?;
            batches.extend(datafusion::physical_plan::collect(plan, state.task_ctx()).await?);
        }
        if !rows.is_empty() {
            batches.push(to_batch(&self.schema, &rows)?);
        }
        Ok(batches)
    }
}

/// The rows as one batch of `schema`; columns a row does not name are false, or NULL where
/// allowed and zero or empty where not.
fn to_batch(
    schema: &SchemaRef,
    rows: &[HashMap<&'static str, ScalarValue>],
) -> Result<RecordBatch> {
    let columns = schema
        .fields()
        .iter()
        .map(|field| {
            let default = match field.data_type() {
                DataType::Boolean => ScalarValue::Boolean(Some(false)),
                t if field.is_nullable() => ScalarValue::try_from(t)?,
                t @ (DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8) => {
                    ScalarValue::Utf8(Some(String::new())).cast_to(t)?
                }
                t => ScalarValue::new_zero(t).or_else(|_| ScalarValue::try_from(t))?,
            };
            let values = rows
                .iter()
                .map(|row| match row.get(field.name().as_str()) {
                    Some(v) => v.cast_to(field.data_type()),
                    None => Ok(default.clone()),
                })
                .collect::<Result<Vec<_>>>()?;
            ScalarValue::iter_to_array(values)
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(RecordBatch::try_new(schema.clone(), columns)?)
}

/// OIDs of the user relations as pg_class numbers them now, by (schema, table).
async fn relation_oids(state: &SessionState) -> Result<HashMap<(String, String), i64>> {
    let rows = oid_rows(
        state,
        "SELECT CAST(c.oid AS BIGINT), n.nspname, c.relname FROM pg_catalog.pg_class c \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND c.relkind <> 'i'",
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|(oid, mut names)| {
            let table = names.pop().unwrap_or_default();
            let schema = names.pop().unwrap_or_default();
            ((schema, table), oid)
        })
        .collect())
}

/// Runs `sql`, whose first column is a BIGINT OID and whose other columns are text; rows with
/// a NULL OID are left out.
async fn oid_rows(state: &SessionState, sql: &str) -> Result<Vec<(i64, Vec<String>)>> {
    let ctx = SessionContext::new_with_state(state.clone());
    let batches = ctx.sql(sql).await?.collect().await?;
    let mut out = Vec::new();
    for batch in batches {
        let oid = batch.column(0).as_primitive::<Int64Type>();
        let texts = (1..batch.num_columns())
            .map(|c| datafusion::arrow::compute::cast(batch.column(c), &DataType::Utf8))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        for i in 0..batch.num_rows() {
            if oid.is_valid(i) {
                let names = texts
                    .iter()
                    .map(|t| t.as_string::<i32>().value(i).to_owned())
                    .collect();
                out.push((oid.value(i), names));
            }
        }
    }
    Ok(out)
}

/// A pg_stat_user_tables row per table (not view) of the user schemas.
async fn table_stats(
    state: &SessionState,
    oids: &HashMap<(String, String), i64>,
) -> Result<Vec<HashMap<&'static str, ScalarValue>>> {
    let mut rows = Vec::new();
    let mut names: Vec<_> = oids.iter().collect();
    names.sort();
    let catalog = &state.config_options().catalog.default_catalog;
    let Some(catalog) = state.catalog_list().catalog(catalog) else {
        return Ok(rows);
    };
    for ((schema, table), oid) in names {
        let Some(provider) = catalog
            .schema(schema)
            .map(|s| async move { s.table(table).await })
        else {
            continue;
        };
        let Ok(Some(provider)) = provider.await else {
            continue;
        };
        if provider.table_type() != datafusion::datasource::TableType::Base {
            continue;
        }
        // Planning a scan reads metadata only (Delta log, Parquet footers); the row count
        // is given where that metadata has it exactly or as an estimate.
        let live = match provider.scan(state, None, &[], None).await {
            Ok(plan) => StatisticsContext::new()
                .compute(plan.as_ref(), &StatisticsArgs::new())
                .ok()
                .and_then(|s| s.num_rows.get_value().copied())
                .map(|n| n as i64),
            Err(_) => None,
        };
        rows.push(HashMap::from([
            ("relid", ScalarValue::Int64(Some(*oid))),
            ("schemaname", ScalarValue::Utf8(Some(schema.clone()))),
            ("relname", ScalarValue::Utf8(Some(table.clone()))),
            ("seq_scan", ScalarValue::Int64(Some(0))),
            // PostgreSQL's n_live_tup is never NULL: 0 until counted.
            ("n_live_tup", ScalarValue::Int64(Some(live.unwrap_or(0)))),
            ("n_dead_tup", ScalarValue::Int64(Some(0))),
        ]));
    }
    Ok(rows)
}

/// OIDs of the schemas as pg_namespace numbers them now.
async fn namespace_oids(state: &SessionState) -> Result<HashMap<String, i64>> {
    let rows = oid_rows(
        state,
        "SELECT CAST(oid AS BIGINT), nspname FROM pg_catalog.pg_namespace",
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|(oid, mut names)| (names.pop().unwrap_or_default(), oid))
        .collect())
}

#[async_trait]
impl Rows for LakeRows {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    async fn batches(&self, state: &dyn Session) -> Result<Vec<RecordBatch>> {
        let state = state
            .as_any()
            .downcast_ref::<SessionState>()
            .ok_or_else(|| DataFusionError::Internal("pg_catalog needs a SessionState".into()))?;
        self.rows(state).await
    }
}
