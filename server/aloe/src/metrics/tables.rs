//! Per-table metrics, read at scrape time: rows (as pg_stat_user_tables counts them, from
//! metadata) and the age of the newest write under each lake table.

use prometheus::proto::MetricFamily;
use prometheus::{IntGaugeVec, Opts};

use aloe_engine::Engine;

/// The per-table metric families.
pub async fn families(engine: &Engine) -> Vec<MetricFamily> {
    let rows = IntGaugeVec::new(
        Opts::new(
            "aloe_table_rows",
            "Rows per table, from table metadata (Delta log, Parquet footers) where it knows them.",
        ),
        &["schema", "table"],
    )
    .expect("valid metric");
    let age = IntGaugeVec::new(
        Opts::new(
            "aloe_table_age_seconds",
            "Seconds since anything under the lake table (data files or Delta log) was written.",
        ),
        &["schema", "table"],
    )
    .expect("valid metric");
    for (schema, table, n) in engine.table_rows().await {
        rows.with_label_values(&[schema.as_str(), table.as_str()])
            .set(n);
    }
    let now = chrono::Utc::now();
    for (schema, table, at) in engine.table_write_times().await {
        age.with_label_values(&[schema.as_str(), table.as_str()])
            .set((now - at).num_seconds().max(0));
    }
    use prometheus::core::Collector;
    rows.collect().into_iter().chain(age.collect()).collect()
}
