//! What incremental models need from the engine: what each source holds now (partition
//! fingerprints of raw-file tables, the version of Delta tables), a small state object kept
//! beside the model's table, and the partition-replacing write.

use std::collections::BTreeMap;
use std::sync::Arc;

use aloe_connectors::lake::fingerprint;
use aloe_connectors::lake::{TableKind, delta};
use object_store::ObjectStoreExt;

use crate::Engine;
use crate::error::{EngineError, EngineResult, sqlstate};
use crate::session::Session;

/// What a source table holds now, as far as Aloe can tell without reading it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SourceState {
    /// Raw files in `key=value` folders: a fingerprint per partition value.
    Partitions {
        /// The folders' key (`dt`).
        key: String,
        /// Fingerprint by value.
        fingerprints: BTreeMap<String, String>,
    },
    /// A whole-table token (a Delta version, the generator's settings) that changes whenever
    /// the table does.
    Token(String),
    /// Aloe cannot tell whether it changed (a Kafka topic, a view): always rebuilt.
    Unknown,
}

impl Engine {
    /// What source `zone.table` holds now.
    pub async fn source_state(&self, zone: &str, table: &str) -> EngineResult<SourceState> {
        if zone == "gen" {
            // Generated tables are a pure function of the settings, fixed while serving.
            return Ok(SourceState::Token("generated".into()));
        }
        let Some(schema) = self.shared.lake.schema(zone) else {
            return Ok(SourceState::Unknown);
        };
        let Some(found) = schema.get(table) else {
            return Ok(SourceState::Unknown);
        };
        let Some(url) = &found.url else {
            return Ok(SourceState::Unknown);
        };
        Ok(match found.kind {
            TableKind::Delta => match delta::version(&schema.zone, url).await? {
                Some(v) => SourceState::Token(format!("delta version {v}")),
                None => SourceState::Unknown,
            },
            TableKind::Files(_) => match fingerprint::partitions(&schema.zone, url).await? {
                Some(p) => SourceState::Partitions {
                    key: p.key,
                    fingerprints: p.fingerprints,
                },
                None => SourceState::Unknown,
            },
            _ => SourceState::Unknown,
        })
    }

    /// The bookkeeping object `name` of zone `zone` (under `_aloe/`), if it exists.
    pub async fn read_state(&self, zone: &str, name: &str) -> EngineResult<Option<Vec<u8>>> {
        let schema = self.zone_schema(zone)?;
        let path =
            aloe_connectors::lake::zone::object_path(&schema.zone.join(&format!("_aloe/{name}")));
        match schema.zone.store.get(&path).await {
            Ok(got) => Ok(Some(got.bytes().await.map_err(lake_error)?.to_vec())),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(lake_error(e)),
        }
    }

    /// Writes the bookkeeping object `name` of zone `zone` whole.
    pub async fn write_state(&self, zone: &str, name: &str, bytes: Vec<u8>) -> EngineResult<()> {
        let schema = self.zone_schema(zone)?;
        let path =
            aloe_connectors::lake::zone::object_path(&schema.zone.join(&format!("_aloe/{name}")));
        schema
            .zone
            .store
            .put(&path, bytes.into())
            .await
            .map_err(lake_error)?;
        Ok(())
    }

    fn zone_schema(&self, zone: &str) -> EngineResult<Arc<aloe_connectors::lake::ZoneSchema>> {
        self.shared.lake.schema(zone).ok_or_else(|| {
            EngineError::new(sqlstate::INVALID_SCHEMA_NAME, format!("no zone {zone}"))
        })
    }
}

fn lake_error(e: object_store::Error) -> EngineError {
    aloe_connectors::lake::LakeError::from(e).into()
}

impl Session {
    /// Replaces the partitions `values` of `column` (all of them when None) in table
    /// `zone.name` with the rows of query `sql`, in one Delta commit; the table is created,
    /// partitioned by `column`, when it does not exist. Returns the rows written.
    pub async fn replace_partitions(
        &self,
        zone: &str,
        name: &str,
        sql: &str,
        column: &str,
        values: Option<&[String]>,
    ) -> EngineResult<u64> {
        let schema = self.lake().schema(zone).ok_or_else(|| {
            EngineError::new(sqlstate::INVALID_SCHEMA_NAME, format!("no zone {zone}"))
        })?;
        let mut parsed = self.parse(sql)?;
        let Some(statement) = parsed.pop().filter(|_| parsed.is_empty()) else {
            return Err(EngineError::new(
                sqlstate::SYNTAX_ERROR,
                "an incremental model is one SELECT",
            ));
        };
        let state = self.state();
        let plan = state.statement_to_plan(statement.statement).await?;
        if plan.schema().field_with_unqualified_name(column).is_err() {
            return Err(EngineError::new(
                sqlstate::UNDEFINED_COLUMN,
                format!("partition_by column \"{column}\" is not in the model's result"),
            ));
        }
        let url = schema.zone.table_url(name);
        let rows =
            delta::replace_partitions(&schema.zone, &url, Arc::new(state), plan, column, values)
                .await?;
        self.lake().refresh(&self.state(), zone).await?;
        // Written outside run_sql: the result cache must hear of it here.
        self.invalidate_results();
        Ok(rows)
    }
}
