//! Running a model's data tests and what each one found.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures::TryStreamExt;

use super::data_tests::Severity;
use super::project::Model;
use super::staging::Subject;
use aloe_engine::Session;

/// How a data test ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TestStatus {
    /// No failing rows.
    Pass,
    /// Some failing rows.
    Fail,
    /// The test's query itself failed (a missing column, bad SQL).
    Error,
}

impl TestStatus {
    /// The word shown in reports and system tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Fail => "fail",
            Self::Error => "error",
        }
    }
}

/// One data test's outcome.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct TestResult {
    /// The test's name (`unique(order_id)`).
    pub test: String,
    /// Its severity.
    pub severity: Severity,
    /// How it ended.
    pub status: TestStatus,
    /// Rows its query returned.
    pub failing_rows: u64,
    /// Why it could not run.
    pub message: Option<String>,
    /// When it started.
    pub started: DateTime<Utc>,
    /// How long it took.
    pub duration: Duration,
}

impl TestResult {
    /// Whether it stops the model's publication: severity error and not passed.
    pub fn blocks(&self) -> bool {
        self.severity == Severity::Error && self.status != TestStatus::Pass
    }

    /// One line: name, status and what was found.
    pub fn summary(&self) -> String {
        match (&self.status, &self.message) {
            (TestStatus::Error, Some(m)) => format!("test {} could not run: {m}", self.test),
            _ => format!(
                "test {} {} ({} failing row{})",
                self.test,
                if self.status == TestStatus::Pass {
                    "passed"
                } else {
                    "failed"
                },
                self.failing_rows,
                if self.failing_rows == 1 { "" } else { "s" }
            ),
        }
    }
}

/// Runs every data test of `model` over `this`, appending to `results`.
pub async fn run_tests(
    session: &Session,
    model: &Model,
    this: &Subject<'_>,
    results: &mut Vec<TestResult>,
) {
    for test in &model.header.tests {
        let started = Utc::now();
        let clock = Instant::now();
        let outcome = match test.failing_rows(this.this()) {
            Ok(sql) => count_rows(session, &this.wrap(&sql)).await,
            Err(e) => Err(e),
        };
        let (status, failing_rows, message) = match outcome {
            Ok(0) => (TestStatus::Pass, 0, None),
            Ok(n) => (TestStatus::Fail, n, None),
            Err(e) => (TestStatus::Error, 0, Some(e)),
        };
        results.push(TestResult {
            test: test.label(),
            severity: test.severity,
            status,
            failing_rows,
            message,
            started,
            duration: clock.elapsed(),
        });
    }
}

async fn count_rows(session: &Session, sql: &str) -> Result<u64, String> {
    let (_, stream) = super::query::rows(session, sql, "a test").await?;
    stream
        .try_fold(
            0u64,
            |n, batch| async move { Ok(n + batch.num_rows() as u64) },
        )
        .await
        .map_err(|e| e.to_string())
}
