//! Prometheus metrics: what the server exports at `/metrics`. Figures that already live
//! elsewhere (each ingester's status) are read at scrape time rather than copied into
//! counters, so the two can never disagree.

pub mod http;
mod ingest;
mod models;
mod tables;

use std::sync::Arc;

use prometheus::{Encoder, Registry, TextEncoder};

/// The server's metrics.
pub struct Metrics {
    registry: Registry,
    engine: Arc<aloe_engine::Engine>,
    models: Arc<crate::models::Models>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    /// Metrics of `engine`: its counters, Kafka tables, models and lake tables.
    pub fn new(engine: Arc<aloe_engine::Engine>, models: Arc<crate::models::Models>) -> Self {
        Self {
            registry: Registry::new(),
            engine,
            models,
        }
    }

    /// Whether the server can serve: its catalog is loaded (it is, once this exists) and every
    /// zone of the lake answers.
    pub async fn ready(&self) -> Result<(), String> {
        self.engine.check_lake().await
    }

    /// What a reader of `/ready` should know though the server serves: a models folder with
    /// no models in it.
    pub fn warnings(&self) -> Option<String> {
        self.models.missing()
    }

    /// The registry for counters other parts of the server keep.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Everything, in Prometheus' text format.
    pub async fn render(&self) -> String {
        let mut families = self.registry.gather();
        families.extend(self.engine.metrics().registry.gather());
        let memory = prometheus::IntGauge::new(
            "aloe_memory_pool_reserved_bytes",
            "Bytes DataFusion's memory pool has handed out to running queries now.",
        )
        .expect("valid metric");
        memory.set(self.engine.memory_reserved() as i64);
        families.extend(prometheus::core::Collector::collect(&memory));
        let cache = self.engine.result_cache();
        for (name, help, value) in [
            (
                "aloe_result_cache_hits_total",
                "Queries answered from the result cache.",
                cache.hits.load(std::sync::atomic::Ordering::Relaxed),
            ),
            (
                "aloe_result_cache_misses_total",
                "Cacheable queries that were run (and their results kept when they fit).",
                cache.misses.load(std::sync::atomic::Ordering::Relaxed),
            ),
        ] {
            let c = prometheus::IntCounter::new(name, help).expect("valid metric");
            c.inc_by(value);
            families.extend(prometheus::core::Collector::collect(&c));
        }
        let held = prometheus::IntGauge::new(
            "aloe_result_cache_bytes",
            "Bytes of query results the result cache holds now.",
        )
        .expect("valid metric");
        held.set(cache.bytes() as i64);
        families.extend(prometheus::core::Collector::collect(&held));
        families.extend(ingest::families(self.engine.kafka()));
        families.extend(models::families(&self.models));
        families.extend(tables::families(&self.engine).await);
        // The encoder refuses a family without samples, and would drop the whole page.
        families.retain(|f| !f.get_metric().is_empty());
        let mut out = Vec::new();
        // Encoding into a Vec cannot fail for well-formed families.
        let _ = TextEncoder::new().encode(&families, &mut out);
        String::from_utf8(out).unwrap_or_default()
    }
}
