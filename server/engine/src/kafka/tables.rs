//! Kafka tables in schema `kafka`, their live views in schema `live`, and the ingesters that
//! land them in bronze: started from `aloe.toml` and from the declarations SQL left in the lake,
//! stopped with the server.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aloe_connectors::kafka::quarantine;
use aloe_connectors::kafka::{
    Bronze, IngestStatus, Ingester, KafkaTable, KafkaTableDecl, LiveTable, declarations,
};
use aloe_connectors::lake::Lake;
use datafusion::catalog::{MemorySchemaProvider, SchemaProvider};
use datafusion::execution::session_state::SessionState;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::error::{EngineError, EngineResult, sqlstate};

/// One served Kafka table.
struct Entry {
    decl: KafkaTableDecl,
    /// Declared in `aloe.toml` (not droppable with SQL).
    from_config: bool,
    ingest: Option<(Arc<IngestStatus>, JoinHandle<()>)>,
}

/// The Kafka tables of one server.
pub struct KafkaTables {
    kafka: Arc<MemorySchemaProvider>,
    live: Arc<MemorySchemaProvider>,
    lake: Arc<Lake>,
    stop: watch::Sender<bool>,
    entries: Mutex<BTreeMap<String, Entry>>,
}

impl std::fmt::Debug for KafkaTables {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaTables").finish_non_exhaustive()
    }
}

impl KafkaTables {
    /// Empty schemas `kafka` and `live` over `lake`.
    pub fn new(lake: Arc<Lake>) -> Self {
        Self {
            kafka: Arc::new(MemorySchemaProvider::new()),
            live: Arc::new(MemorySchemaProvider::new()),
            lake,
            stop: watch::channel(false).0,
            entries: Mutex::default(),
        }
    }

    /// Schema `kafka`.
    pub fn kafka_schema(&self) -> Arc<dyn SchemaProvider> {
        self.kafka.clone()
    }

    /// Schema `live`.
    pub fn live_schema(&self) -> Arc<dyn SchemaProvider> {
        self.live.clone()
    }

    /// Serves the tables of `aloe.toml` and those SQL created earlier. A table that cannot be
    /// opened (a broker down while its columns must be inferred) is left out with a warning.
    pub async fn start(
        &self,
        configured: &[KafkaTableDecl],
        state: &SessionState,
    ) -> EngineResult<()> {
        let bronze = self.bronze_zone()?;
        let stored = declarations::list(&bronze).await?;
        for (decl, from_config) in configured
            .iter()
            .cloned()
            .map(|d| (d, true))
            .chain(stored.into_iter().map(|d| (d, false)))
        {
            let name = decl.name.clone();
            if let Err(e) = self.add(decl, from_config, state).await {
                tracing::warn!(table = %name, error = %e, "kafka table not served");
            }
        }
        Ok(())
    }

    fn bronze_zone(&self) -> EngineResult<aloe_connectors::lake::Zone> {
        Ok(self.lake.zone("bronze"))
    }

    /// Whether table `name` exists.
    pub fn contains(&self, name: &str) -> bool {
        self.entries.lock().expect("kafka lock").contains_key(name)
    }

    /// Opens `decl`, registers `kafka.<name>` (and `live.<name>` when ingested) and starts its
    /// ingester.
    pub async fn add(
        &self,
        decl: KafkaTableDecl,
        from_config: bool,
        state: &SessionState,
    ) -> EngineResult<()> {
        if self.contains(&decl.name) {
            return Err(EngineError::new(
                sqlstate::DUPLICATE_TABLE,
                format!("relation \"kafka.{}\" already exists", decl.name),
            ));
        }
        let zone = self.bronze_zone()?;
        let bronze = decl.bronze_table().map(|t| Bronze {
            zone: zone.clone(),
            url: zone.table_url(t),
            name: t.to_owned(),
        });
        let table = Arc::new(KafkaTable::open(decl.clone(), bronze.clone()).await?);
        self.kafka
            .register_table(decl.name.clone(), table.clone())?;
        let mut ingest = None;
        if let Some(bronze) = bronze {
            self.live
                .register_table(decl.name.clone(), Arc::new(LiveTable::new(table.clone())))?;
            let q_name = quarantine::table_name(&bronze.name);
            let q = Bronze {
                zone: zone.clone(),
                url: zone.table_url(&q_name),
                name: q_name.clone(),
            };
            let (lake, state) = (self.lake.clone(), state.clone());
            let names = [bronze.name.clone(), q_name];
            let ingester = Ingester::new(
                table,
                q,
                Arc::new(move || {
                    let (lake, state, names) = (lake.clone(), state.clone(), names.clone());
                    Box::pin(async move {
                        for name in &names {
                            if let Err(e) = lake.reload(&state, "bronze", name).await {
                                tracing::warn!(table = %name, error = %e, "bronze table not reloaded");
                            }
                        }
                    })
                }),
            )?;
            let status = ingester.status();
            let handle = tokio::spawn(ingester.run(self.stop.subscribe()));
            ingest = Some((status, handle));
        }
        tracing::info!(table = %decl.name, topic = %decl.topic(), ingested = ingest.is_some(), "kafka table served");
        self.entries.lock().expect("kafka lock").insert(
            decl.name.clone(),
            Entry {
                decl,
                from_config,
                ingest,
            },
        );
        Ok(())
    }

    /// Creates a table from SQL: served now and remembered in the lake.
    pub async fn create(&self, decl: KafkaTableDecl, state: &SessionState) -> EngineResult<()> {
        self.add(decl.clone(), false, state).await?;
        declarations::save(&self.bronze_zone()?, &decl).await?;
        Ok(())
    }

    /// Drops a table SQL created; its bronze data stays.
    pub async fn drop_table(&self, name: &str) -> EngineResult<bool> {
        let entry = {
            let mut entries = self.entries.lock().expect("kafka lock");
            match entries.get(name) {
                None => return Ok(false),
                Some(e) if e.from_config => {
                    return Err(EngineError::new(
                        sqlstate::FEATURE_NOT_SUPPORTED,
                        format!("kafka.{name} is declared in aloe.toml; remove it there"),
                    ));
                }
                Some(_) => entries.remove(name).expect("present"),
            }
        };
        if let Some((_, handle)) = entry.ingest {
            handle.abort();
        }
        self.kafka.deregister_table(name)?;
        self.live.deregister_table(name)?;
        declarations::remove(&self.bronze_zone()?, &entry.decl.name).await?;
        Ok(true)
    }

    /// Each ingested table's declaration and its ingester's status.
    pub fn statuses(&self) -> Vec<(KafkaTableDecl, Arc<IngestStatus>)> {
        self.entries
            .lock()
            .expect("kafka lock")
            .values()
            .filter_map(|e| e.ingest.as_ref().map(|(s, _)| (e.decl.clone(), s.clone())))
            .collect()
    }

    /// Stops the ingesters after the commit in progress, if any.
    pub async fn stop(&self) {
        let _ = self.stop.send(true);
        let handles: Vec<JoinHandle<()>> = self
            .entries
            .lock()
            .expect("kafka lock")
            .values_mut()
            .filter_map(|e| e.ingest.take().map(|(_, h)| h))
            .collect();
        for h in handles {
            let _ = h.await;
        }
    }
}
