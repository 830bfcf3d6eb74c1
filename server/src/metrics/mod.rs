//! Prometheus metrics: what the server exports at `/metrics`. Figures that already live
//! elsewhere (each ingester's status) are read at scrape time rather than copied into
//! counters, so the two can never disagree.

pub mod http;
mod ingest;
mod models;

use std::sync::Arc;

use prometheus::{Encoder, Registry, TextEncoder};

use crate::engine::kafka::KafkaTables;

/// The server's metrics.
pub struct Metrics {
    registry: Registry,
    kafka: Arc<KafkaTables>,
    models: Arc<crate::models::Models>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    /// Metrics over the server's Kafka tables and models.
    pub fn new(kafka: Arc<KafkaTables>, models: Arc<crate::models::Models>) -> Self {
        Self {
            registry: Registry::new(),
            kafka,
            models,
        }
    }

    /// The registry for counters other parts of the server keep.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Everything, in Prometheus' text format.
    pub fn render(&self) -> String {
        let mut families = self.registry.gather();
        families.extend(ingest::families(&self.kafka));
        families.extend(models::families(&self.models));
        // The encoder refuses a family without samples, and would drop the whole page.
        families.retain(|f| !f.get_metric().is_empty());
        let mut out = Vec::new();
        // Encoding into a Vec cannot fail for well-formed families.
        let _ = TextEncoder::new().encode(&families, &mut out);
        String::from_utf8(out).unwrap_or_default()
    }
}
