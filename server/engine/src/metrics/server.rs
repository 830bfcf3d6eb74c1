//! Counters the server keeps as it works: connections, statements by kind and outcome, their
//! latency, rows and bytes sent, statements running now.

use prometheus::{
    HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts, Registry,
};

/// The live counters, registered in their own registry.
#[derive(Debug)]
pub struct ServerMetrics {
    /// Where they are registered.
    pub registry: Registry,
    /// Client connections open now.
    pub connections_open: IntGauge,
    /// Client connections accepted since start.
    pub connections_total: IntCounter,
    /// Connections refused because `max_connections` were open.
    pub connections_refused: IntCounter,
    /// Statements by kind (select, insert, create, ...) and outcome (ok, error).
    pub statements: IntCounterVec,
    /// Seconds from a statement's start until its last row was produced, by kind.
    pub statement_seconds: HistogramVec,
    /// Statements running now.
    pub running: IntGauge,
    /// Result rows sent to clients.
    pub rows_sent: IntCounter,
    /// Bytes of result rows (DataRow payloads) sent to clients.
    pub bytes_sent: IntCounter,
}

impl Default for ServerMetrics {
    fn default() -> Self {
        let registry = Registry::new();
        let gauge = |name: &str, help: &str| {
            let g = IntGauge::new(name, help).expect("valid metric");
            registry
                .register(Box::new(g.clone()))
                .expect("unique metric");
            g
        };
        let counter = |name: &str, help: &str| {
            let c = IntCounter::new(name, help).expect("valid metric");
            registry
                .register(Box::new(c.clone()))
                .expect("unique metric");
            c
        };
        let statements = IntCounterVec::new(
            Opts::new(
                "aloe_statements_total",
                "Statements run, by kind (select, insert, create, ...) and outcome (ok, error).",
            ),
            &["kind", "outcome"],
        )
        .expect("valid metric");
        registry
            .register(Box::new(statements.clone()))
            .expect("unique metric");
        let statement_seconds = HistogramVec::new(
            HistogramOpts::new(
                "aloe_statement_duration_seconds",
                "Seconds from a statement's start until its last row was produced, by kind.",
            )
            .buckets(vec![
                0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
            ]),
            &["kind"],
        )
        .expect("valid metric");
        registry
            .register(Box::new(statement_seconds.clone()))
            .expect("unique metric");
        Self {
            connections_open: gauge("aloe_connections_open", "Client connections open now."),
            connections_total: counter(
                "aloe_connections_total",
                "Client connections accepted since the server started.",
            ),
            connections_refused: counter(
                "aloe_connections_refused_total",
                "Connections refused (SQLSTATE 53300) because max_connections were open.",
            ),
            running: gauge("aloe_statements_running", "Statements running now."),
            rows_sent: counter("aloe_rows_sent_total", "Result rows sent to clients."),
            bytes_sent: counter(
                "aloe_row_bytes_sent_total",
                "Bytes of result rows (DataRow payloads) sent to clients.",
            ),
            statements,
            statement_seconds,
            registry,
        }
    }
}
