//! Model and data-test metrics, computed at scrape time from the runner's history.

use prometheus::proto::MetricFamily;
use prometheus::{GaugeVec, IntCounterVec, IntGaugeVec, Opts};

use crate::models::Models;
use crate::models::test_run::TestStatus;

/// The metric families of the models, as the history stands now.
pub fn families(models: &Models) -> Vec<MetricFamily> {
    let runs = IntCounterVec::new(
        Opts::new(
            "aloe_model_runs_total",
            "Model runs since the server started, by model and status (success, failed, skipped).",
        ),
        &["model", "status"],
    )
    .expect("valid metric");
    let tests = IntCounterVec::new(
        Opts::new(
            "aloe_model_tests_total",
            "Data test runs since the server started, by model, test, severity and status \
             (pass, fail, error).",
        ),
        &["model", "test", "severity", "status"],
    )
    .expect("valid metric");
    let up = IntGaugeVec::new(
        Opts::new(
            "aloe_model_last_success",
            "1 when the model's last run built and published it, 0 when it failed or was skipped.",
        ),
        &["model"],
    )
    .expect("valid metric");
    let rows = IntGaugeVec::new(
        Opts::new(
            "aloe_model_last_rows",
            "Rows the model's last successful build wrote.",
        ),
        &["model"],
    )
    .expect("valid metric");
    let seconds = GaugeVec::new(
        Opts::new(
            "aloe_model_last_duration_seconds",
            "How long the model's last run took.",
        ),
        &["model"],
    )
    .expect("valid metric");
    let failing = IntGaugeVec::new(
        Opts::new(
            "aloe_model_test_failing_rows",
            "Failing rows each data test found in its latest run.",
        ),
        &["model", "test"],
    )
    .expect("valid metric");
    let durations = prometheus::HistogramVec::new(
        prometheus::HistogramOpts::new(
            "aloe_model_run_duration_seconds",
            "How long model runs took since the server started, by model and status.",
        )
        .buckets(vec![
            0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0,
        ]),
        &["model", "status"],
    )
    .expect("valid metric");
    for (_, run) in models.history().runs() {
        runs.with_label_values(&[run.model.as_str(), run.status.as_str()])
            .inc();
        durations
            .with_label_values(&[run.model.as_str(), run.status.as_str()])
            .observe(run.duration.as_secs_f64());
        for t in &run.tests {
            tests
                .with_label_values(&[
                    run.model.as_str(),
                    t.test.as_str(),
                    t.severity.as_str(),
                    t.status.as_str(),
                ])
                .inc();
            if t.status != TestStatus::Error {
                failing
                    .with_label_values(&[run.model.as_str(), t.test.as_str()])
                    .set(t.failing_rows as i64);
            }
        }
    }
    for state in models.history().models() {
        let Some(last) = state.last else { continue };
        let id = state.model.id.as_str();
        let ok = last.status == crate::models::RunStatus::Success;
        up.with_label_values(&[id]).set(i64::from(ok));
        if let Some(n) = last.rows {
            rows.with_label_values(&[id]).set(n as i64);
        }
        seconds
            .with_label_values(&[id])
            .set(last.duration.as_secs_f64());
    }
    use prometheus::core::Collector;
    let mut out = Vec::new();
    for c in [
        &runs as &dyn Collector,
        &durations,
        &tests,
        &up,
        &rows,
        &seconds,
        &failing,
    ] {
        out.extend(c.collect());
    }
    out
}
