//! A statement's row stream that keeps the server's counters: rows produced, and the
//! statement's latency and outcome once its last row is out (or the client stops reading).

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::error::Result;
use datafusion::physical_plan::{RecordBatchStream, SendableRecordBatchStream};
use futures::Stream;

use super::server::ServerMetrics;

/// One statement being measured.
#[derive(Debug)]
pub struct Statement {
    metrics: Arc<ServerMetrics>,
    kind: &'static str,
    started: Instant,
    finished: bool,
}

impl Statement {
    /// Starts measuring a statement of `kind`.
    pub fn start(metrics: Arc<ServerMetrics>, kind: &'static str) -> Self {
        metrics.running.inc();
        Self {
            metrics,
            kind,
            started: Instant::now(),
            finished: false,
        }
    }

    /// Records the outcome (`ok`, `error`, `cancelled`) once.
    pub fn finish(&mut self, outcome: &str) {
        if std::mem::replace(&mut self.finished, true) {
            return;
        }
        self.metrics.running.dec();
        self.metrics
            .statements
            .with_label_values(&[self.kind, outcome])
            .inc();
        self.metrics
            .statement_seconds
            .with_label_values(&[self.kind])
            .observe(self.started.elapsed().as_secs_f64());
    }
}

impl Drop for Statement {
    fn drop(&mut self) {
        // A stream dropped before its end: the client stopped reading or cancelled.
        self.finish("cancelled");
    }
}

/// `inner`, counted.
pub struct Metered {
    inner: SendableRecordBatchStream,
    statement: Statement,
}

impl Metered {
    /// Wraps `inner`; `statement` is finished when it ends.
    pub fn wrap(
        inner: SendableRecordBatchStream,
        statement: Statement,
    ) -> SendableRecordBatchStream {
        Box::pin(Self { inner, statement })
    }
}

impl Stream for Metered {
    type Item = Result<RecordBatch>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let polled = self.inner.as_mut().poll_next(cx);
        match &polled {
            Poll::Ready(Some(Ok(batch))) => {
                self.statement
                    .metrics
                    .rows_sent
                    .inc_by(batch.num_rows() as u64);
            }
            Poll::Ready(Some(Err(_))) => self.statement.finish("error"),
            Poll::Ready(None) => self.statement.finish("ok"),
            Poll::Pending => {}
        }
        polled
    }
}

impl RecordBatchStream for Metered {
    fn schema(&self) -> SchemaRef {
        self.inner.schema()
    }
}
