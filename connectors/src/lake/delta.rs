//! Delta Lake tables: opening them as DataFusion tables and writing them in one atomic commit,
//! so a reader sees the table before or after a write, never half of it.

use std::sync::Arc;

use datafusion::catalog::{Session, TableProvider};
use datafusion::logical_expr::LogicalPlan;
use deltalake::protocol::SaveMode;
use deltalake::{DeltaTable, DeltaTableBuilder, DeltaTableError};
use futures::{StreamExt, TryStreamExt};
use object_store::ObjectStoreExt;
use url::Url;

use super::error::{LakeError, LakeResult};
use super::zone::{Zone, object_path};

/// How a write treats what is already there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMode {
    /// Fail if the table exists (`CREATE TABLE ... AS`).
    Create,
    /// Do nothing if it exists (`CREATE TABLE IF NOT EXISTS`).
    CreateIfMissing,
    /// Replace contents and schema (`CREATE OR REPLACE TABLE`).
    Replace,
    /// Add rows (`INSERT`).
    Append,
}

/// The query planner sessions need for Delta writes.
pub fn planner() -> Arc<dyn datafusion::execution::context::QueryPlanner + Send + Sync> {
    deltalake::delta_datafusion::planner::DeltaPlanner::new()
}

/// The Delta table at `url` (loaded if it exists), served by the zone's store.
async fn handle(zone: &Zone, url: &Url) -> LakeResult<(DeltaTable, bool)> {
    let mut table = DeltaTableBuilder::from_url(url.clone())?
        .with_storage_backend(zone.store.clone(), url.clone())
        .build()?;
    match table.load().await {
        Ok(()) => Ok((table, true)),
        Err(DeltaTableError::NotATable(_)) => Ok((table, false)),
        Err(e) => Err(e.into()),
    }
}

/// Marks a folder whose first Delta version is being written: until that commit lands, the
/// folder's data files belong to no table, and discovery must not serve them as raw files (a
/// write stopped half-way, by a crash or a shutdown, leaves them behind).
pub const FIRST_WRITE: &str = "_aloe_first_write";

/// Runs `write`, the first version of the table at `url` when `first`, behind the
/// [`FIRST_WRITE`] marker, which stays if the write does not finish.
async fn marked<T>(
    zone: &Zone,
    url: &Url,
    first: bool,
    write: impl std::future::Future<Output = LakeResult<T>>,
) -> LakeResult<T> {
    let marker = object_path(url).join(FIRST_WRITE);
    if first {
        zone.store
            .put(&marker, object_store::PutPayload::new())
            .await?;
    }
    let written = write.await?;
    if first {
        match zone.store.delete(&marker).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(written)
}

/// Whether the folder at `url` holds the data files of a first write that never committed.
pub async fn unfinished_first_write(zone: &Zone, url: &Url) -> LakeResult<bool> {
    match zone.store.head(&object_path(url).join(FIRST_WRITE)).await {
        Ok(_) => Ok(true),
        Err(object_store::Error::NotFound { .. }) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// The Delta table at `url` at its newest version, or None if there is none yet.
pub async fn load(zone: &Zone, url: &Url) -> LakeResult<Option<DeltaTable>> {
    // A local table folder that does not exist yet is an error to Delta, not "no table".
    if !exists(zone, url).await? {
        return Ok(None);
    }
    let (table, found) = handle(zone, url).await?;
    Ok(found.then_some(table))
}

/// A handle on the (possibly not yet existing) Delta table at `url`, for a first write.
pub async fn handle_for_write(zone: &Zone, url: &Url) -> LakeResult<DeltaTable> {
    ensure_local_folder(url)?;
    Ok(handle(zone, url).await?.0)
}

fn ensure_local_folder(url: &Url) -> LakeResult<()> {
    if url.scheme() == "file"
        && let Ok(path) = url.to_file_path()
    {
        // Delta wants a local table's folder to exist before its first commit.
        std::fs::create_dir_all(&path).map_err(|e| {
            LakeError::Unsupported(format!("cannot create {}: {e}", path.display()))
        })?;
    }
    Ok(())
}

/// Whether a Delta table lives at `url`.
pub async fn exists(zone: &Zone, url: &Url) -> LakeResult<bool> {
    let log = object_path(url).join("_delta_log");
    let first = zone.store.list(Some(&log)).try_next().await?;
    Ok(first.is_some())
}

/// The Delta table at `url`, at its newest version, as a DataFusion table.
pub async fn open(zone: &Zone, url: &Url) -> LakeResult<Arc<dyn TableProvider>> {
    let (table, found) = handle(zone, url).await?;
    if !found {
        return Err(LakeError::Missing(url.to_string()));
    }
    Ok(table.table_provider().await?)
}

/// Writes what `input` produces to the Delta table at `url`, in one commit; returns the number
/// of rows written (0 when `CreateIfMissing` found the table).
pub async fn write(
    zone: &Zone,
    url: &Url,
    state: Arc<dyn Session>,
    input: LogicalPlan,
    mode: WriteMode,
    description: Option<&str>,
) -> LakeResult<u64> {
    ensure_local_folder(url)?;
    let (table, found) = handle(zone, url).await?;
    let save = match (mode, found) {
        (WriteMode::Create, true) => return Err(LakeError::Exists(url.to_string())),
        (WriteMode::CreateIfMissing, true) => return Ok(0),
        (WriteMode::Append, false) => return Err(LakeError::Missing(url.to_string())),
        (WriteMode::Replace, true) => SaveMode::Overwrite,
        (WriteMode::Append, true) => SaveMode::Append,
        (_, false) => SaveMode::ErrorIfExists,
    };
    let mut builder = table
        .write(vec![])
        .with_input_plan(in_utc(input)?)
        .with_session_state(state)
        .with_save_mode(save);
    if save == SaveMode::Overwrite {
        builder = builder.with_schema_mode(deltalake::operations::write::SchemaMode::Overwrite);
    }
    if let Some(d) = description {
        builder = builder.with_description(d);
    }
    let table = marked(zone, url, !found, async { Ok(builder.await?) }).await?;
    Ok(last_commit_rows(&table).await)
}

/// Replaces, in one commit, the rows of the Delta table at `url` whose `column` (as text) is
/// one of `values` with what `input` produces (which must lie in those partitions); with no
/// `values`, replaces the whole table. The table is partitioned by `column`, so a replacement
/// rewrites only the files of its partitions. Returns the rows written.
pub async fn replace_partitions(
    zone: &Zone,
    url: &Url,
    state: Arc<dyn Session>,
    input: LogicalPlan,
    column: &str,
    values: Option<&[String]>,
) -> LakeResult<u64> {
    use datafusion::prelude::{cast, col, lit};
    ensure_local_folder(url)?;
    let (table, found) = handle(zone, url).await?;
    let mut builder = table
        .write(vec![])
        .with_input_plan(in_utc(input)?)
        .with_session_state(state)
        .with_partition_columns([column.to_owned()]);
    builder = match (found, values) {
        (false, _) => builder.with_save_mode(SaveMode::ErrorIfExists),
        (true, None) => builder
            .with_save_mode(SaveMode::Overwrite)
            .with_schema_mode(deltalake::operations::write::SchemaMode::Overwrite),
        (true, Some(values)) => {
            let list = values.iter().map(|v| lit(v.clone())).collect();
            let predicate = cast(
                col(datafusion::common::Column::new_unqualified(column)),
                datafusion::arrow::datatypes::DataType::Utf8,
            )
            .in_list(list, false);
            builder
                .with_save_mode(SaveMode::Overwrite)
                .with_replace_where(predicate)
        }
    };
    let table = marked(zone, url, !found, async { Ok(builder.await?) }).await?;
    Ok(last_commit_rows(&table).await)
}

/// `input` with its zoned timestamps in UTC. Delta's one zoned timestamp type is UTC, and a
/// `timestamptz` planned under a session's `TimeZone` (`Europe/Paris`) carries that zone; the
/// instant is the same, only the zone it is shown in changes.
fn in_utc(input: LogicalPlan) -> LakeResult<LogicalPlan> {
    use datafusion::arrow::datatypes::DataType;
    use datafusion::logical_expr::{Expr, LogicalPlanBuilder};
    let zoned = |t: &DataType| matches!(t, DataType::Timestamp(_, Some(z)) if z.as_ref() != "UTC");
    if !input.schema().fields().iter().any(|f| zoned(f.data_type())) {
        return Ok(input);
    }
    let columns: Vec<Expr> = input
        .schema()
        .iter()
        .map(|(qualifier, field)| {
            let column = Expr::Column(datafusion::common::Column::from((qualifier, field)));
            match field.data_type() {
                DataType::Timestamp(unit, Some(_)) if zoned(field.data_type()) => {
                    datafusion::prelude::cast(
                        column,
                        DataType::Timestamp(*unit, Some("UTC".into())),
                    )
                    .alias(field.name())
                }
                _ => column,
            }
        })
        .collect();
    Ok(LogicalPlanBuilder::from(input).project(columns)?.build()?)
}

/// Rows the newest commit added, from the metrics Delta records with each write.
async fn last_commit_rows(table: &DeltaTable) -> u64 {
    let Ok(commits) = table.history(Some(1)).try_collect::<Vec<_>>().await else {
        return 0;
    };
    commits
        .first()
        .and_then(|c| c.info.get("operationMetrics"))
        .and_then(|m| m.get("num_added_rows"))
        .and_then(|n| n.as_u64())
        .unwrap_or(0)
}

/// The newest version of the Delta table at `url` (0 after its first commit), if it exists.
pub async fn version(zone: &Zone, url: &Url) -> LakeResult<Option<i64>> {
    Ok(load(zone, url)
        .await?
        .and_then(|t| t.version())
        .map(|v| v as i64))
}

/// The description stored in the table's metadata, if any.
pub async fn description(zone: &Zone, url: &Url) -> LakeResult<Option<String>> {
    let (table, found) = handle(zone, url).await?;
    if !found {
        return Ok(None);
    }
    Ok(table
        .snapshot()?
        .metadata()
        .description()
        .map(str::to_owned))
}

/// Deletes every object under the folder at `url`: the log first, so that an interrupted drop
/// leaves no half table that still looks like a Delta table.
pub async fn delete_folder(zone: &Zone, url: &Url) -> LakeResult<()> {
    let root = object_path(url);
    let log = root.clone().join("_delta_log");
    for prefix in [&log, &root] {
        let paths = zone.store.list(Some(prefix)).map_ok(|m| m.location).boxed();
        zone.store
            .delete_stream(paths)
            .try_collect::<Vec<_>>()
            .await?;
    }
    Ok(())
}
