//! pg_namespace, pg_class, pg_attribute and pg_database with Aloe's stable OIDs (see
//! `oids.rs`) in place of the ones datafusion-pg-catalog hands out.
//!
//! The crate numbers objects from a counter in the order it first lists them, and its OID
//! cache is private, so its OIDs change after a restart whenever the set of tables does.
//! Its rows are kept as they are; only the OID columns are rewritten, through the names the
//! crate's own pg_namespace and pg_class give for each of its OIDs. Every other OID in
//! pg_catalog is either PostgreSQL's fixed one or read from these four tables by SQL (regclass
//! casts, descriptions, indexes), so they all agree.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::{Array, AsArray, BooleanArray, Int32Array, RecordBatch};
use datafusion::arrow::compute::filter_record_batch;
use datafusion::arrow::datatypes::{DataType, Int32Type, SchemaRef};
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::{DataFusionError, Result};
use datafusion::execution::SessionState;

use super::computed::Rows;
use super::oids::{self, Numbering};

/// Which of the crate's tables is renumbered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Renumber {
    /// `oid` by schema name.
    Namespace,
    /// `oid`, `relfilenode` by relation, `relnamespace` by schema.
    Class,
    /// `attrelid` by relation.
    Attribute,
    /// `oid` by database name.
    Database,
}

impl Renumber {
    /// The pg_catalog table this renumbers.
    pub fn table(self) -> &'static str {
        match self {
            Self::Namespace => "pg_namespace",
            Self::Class => "pg_class",
            Self::Attribute => "pg_attribute",
            Self::Database => "pg_database",
        }
    }
}

/// One of the crate's tables with its OID columns rewritten.
#[derive(Debug)]
pub struct Renumbered {
    which: Renumber,
    /// The crate's pg_catalog schema.
    raw: Arc<dyn datafusion::catalog::SchemaProvider>,
    schema: SchemaRef,
}

impl Renumbered {
    /// `which` over the crate's table `inner`, read from the crate's schema `raw`.
    pub fn new(
        which: Renumber,
        raw: Arc<dyn datafusion::catalog::SchemaProvider>,
        inner: &Arc<dyn TableProvider>,
    ) -> Self {
        Self {
            which,
            raw,
            schema: inner.schema(),
        }
    }

    async fn scan(&self, state: &dyn Session, table: &str) -> Result<Vec<RecordBatch>> {
        let provider = self
            .raw
            .table(table)
            .await?
            .ok_or_else(|| DataFusionError::Internal(format!("pg_catalog has no {table}")))?;
        let plan = provider.scan(state, None, &[], None).await?;
        datafusion::physical_plan::collect(plan, state.task_ctx()).await
    }

    /// The crate's OIDs of schemas and relations, by the crate's OID.
    /// `classes` are the crate's pg_class rows when the caller has read them already.
    async fn crate_names(
        &self,
        state: &dyn Session,
        classes: Option<&[RecordBatch]>,
    ) -> Result<CrateNames> {
        let mut names = CrateNames::default();
        for batch in self.scan(state, "pg_namespace").await? {
            let oid = int32(&batch, "oid")?;
            let name = text(&batch, "nspname")?;
            for (i, name) in name.into_iter().enumerate() {
                names.namespaces.insert(oid.value(i), name);
            }
        }
        let scanned;
        let classes = match classes {
            Some(c) => c,
            None => {
                scanned = self.scan(state, "pg_class").await?;
                &scanned
            }
        };
        for batch in classes {
            let oid = int32(batch, "oid")?;
            let namespace = int32(batch, "relnamespace")?;
            let name = text(batch, "relname")?;
            for (i, name) in name.into_iter().enumerate() {
                if let Some(schema) = names.namespaces.get(&namespace.value(i)) {
                    names.relations.insert(oid.value(i), (schema.clone(), name));
                }
            }
        }
        Ok(names)
    }
}

/// What the crate's OIDs stand for in one read.
#[derive(Debug, Default)]
struct CrateNames {
    namespaces: HashMap<i32, String>,
    relations: HashMap<i32, (String, String)>,
}

impl CrateNames {
    fn numbering(&self) -> Numbering {
        Numbering::new(
            self.namespaces.values().cloned(),
            self.relations.values().cloned(),
        )
    }

    fn namespace(&self, numbering: &Numbering, oid: i32) -> Option<i32> {
        numbering.namespace(self.namespaces.get(&oid)?)
    }

    fn relation(&self, numbering: &Numbering, oid: i32) -> Option<i32> {
        let (schema, name) = self.relations.get(&oid)?;
        numbering.relation(schema, name)
    }
}

fn column<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a Arc<dyn Array>> {
    batch
        .column_by_name(name)
        .ok_or_else(|| DataFusionError::Internal(format!("pg_catalog: no column {name}")))
}

fn int32<'a>(
    batch: &'a RecordBatch,
    name: &str,
) -> Result<&'a datafusion::arrow::array::PrimitiveArray<Int32Type>> {
    column(batch, name)?
        .as_primitive_opt::<Int32Type>()
        .ok_or_else(|| DataFusionError::Internal(format!("pg_catalog: {name} is not int4")))
}

fn text(batch: &RecordBatch, name: &str) -> Result<Vec<String>> {
    let array = datafusion::arrow::compute::cast(
        column(batch, name)?,
        &datafusion::arrow::datatypes::DataType::Utf8,
    )?;
    let array = array.as_string::<i32>();
    Ok((0..array.len())
        .map(|i| array.value(i).to_owned())
        .collect())
}

/// PostgreSQL's OID of numeric.
const NUMERIC: i32 = 1700;

/// pg_attribute rows with a numeric column's precision and scale in `atttypmod`, which the
/// crate leaves -1: psql's `\d`, pgjdbc's `getColumns` and Metabase read them from there.
async fn with_numeric_typmods(
    state: &dyn Session,
    batch: &RecordBatch,
    names: &CrateNames,
) -> Result<RecordBatch> {
    let types = int32(batch, "atttypid")?;
    if !types.iter().any(|t| t == Some(NUMERIC)) {
        return Ok(batch.clone());
    }
    let Some(state) = state.as_any().downcast_ref::<SessionState>() else {
        return Ok(batch.clone());
    };
    let relations = int32(batch, "attrelid")?;
    let columns = text(batch, "attname")?;
    let mut schemas: HashMap<i32, Option<SchemaRef>> = HashMap::new();
    let catalog = state
        .catalog_list()
        .catalog(&state.config_options().catalog.default_catalog);
    let mut typmods = int32(batch, "atttypmod")?.values().to_vec();
    for (row, typmod) in typmods.iter_mut().enumerate() {
        if types.value(row) != NUMERIC {
            continue;
        }
        let relation = relations.value(row);
        if let std::collections::hash_map::Entry::Vacant(entry) = schemas.entry(relation) {
            let mut found = None;
            if let (Some(catalog), Some((schema, table))) =
                (&catalog, names.relations.get(&relation))
                && let Some(schema) = catalog.schema(schema)
                && let Ok(Some(provider)) = schema.table(table).await
            {
                found = Some(provider.schema());
            }
            entry.insert(found);
        }
        let field = schemas[&relation]
            .as_ref()
            .and_then(|s| s.field_with_name(&columns[row]).ok().cloned());
        if let Some(DataType::Decimal128(p, s) | DataType::Decimal256(p, s)) =
            field.as_ref().map(|f| f.data_type())
            && *s >= 0
        {
            // PostgreSQL's encoding: ((precision << 16) | scale) + VARHDRSZ.
            *typmod = ((i32::from(*p) << 16) | i32::from(*s as u8)) + 4;
        }
    }
    let index = batch.schema().index_of("atttypmod")?;
    let mut columns = batch.columns().to_vec();
    columns[index] = Arc::new(Int32Array::from(typmods));
    Ok(RecordBatch::try_new(batch.schema(), columns)?)
}

/// `batch` with each column of `renumber` mapped through `map`; rows whose OID the map does
/// not know (an object dropped between two reads) are left out.
fn rewrite(
    batch: &RecordBatch,
    renumber: &[&str],
    map: impl Fn(&str, usize, i32) -> Option<i32>,
) -> Result<RecordBatch> {
    let mut keep = vec![true; batch.num_rows()];
    let mut columns = batch.columns().to_vec();
    for name in renumber {
        let Some(index) = batch.schema().index_of(name).ok() else {
            continue;
        };
        let old = int32(batch, name)?;
        let new: Int32Array = (0..old.len())
            .map(|i| {
                if old.is_null(i) {
                    return None;
                }
                let mapped = map(name, i, old.value(i));
                if mapped.is_none() {
                    keep[i] = false;
                }
                mapped
            })
            .collect();
        // Keep the field's metadata (oid kind) by reusing the original data type.
        columns[index] = Arc::new(new.with_data_type(old.data_type().clone()));
    }
    let batch = RecordBatch::try_new(batch.schema(), columns)?;
    Ok(filter_record_batch(&batch, &BooleanArray::from(keep))?)
}

#[async_trait]
impl Rows for Renumbered {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    async fn batches(&self, state: &dyn Session) -> Result<Vec<RecordBatch>> {
        // The target is read first: an object it shows exists in the crate's cache when
        // its pg_namespace and pg_class are read next, so its OID is known there.
        let rows = self.scan(state, self.which.table()).await?;
        if self.which == Renumber::Database {
            let mut names = Vec::new();
            for batch in &rows {
                names.extend(text(batch, "datname")?);
            }
            let oids = oids::databases(names);
            return rows
                .iter()
                .map(|batch| {
                    let names = text(batch, "datname")?;
                    rewrite(batch, &["oid"], |_, row, _| oids.get(&names[row]).copied())
                })
                .collect();
        }
        let classes = (self.which == Renumber::Class).then_some(rows.as_slice());
        let names = self.crate_names(state, classes).await?;
        let numbering = names.numbering();
        let columns: &[&str] = match self.which {
            Renumber::Namespace => &["oid"],
            Renumber::Class => &["oid", "relfilenode", "relnamespace"],
            Renumber::Attribute => &["attrelid"],
            Renumber::Database => unreachable!("handled above"),
        };
        let mut typed = Vec::with_capacity(rows.len());
        for batch in &rows {
            typed.push(match self.which {
                Renumber::Attribute => with_numeric_typmods(state, batch, &names).await?,
                _ => batch.clone(),
            });
        }
        typed
            .iter()
            .map(|batch| {
                rewrite(batch, columns, |column, _, oid| {
                    match (self.which, column) {
                        (Renumber::Namespace, _) | (Renumber::Class, "relnamespace") => {
                            names.namespace(&numbering, oid)
                        }
                        _ => names.relation(&numbering, oid),
                    }
                })
            })
            .collect()
    }
}
