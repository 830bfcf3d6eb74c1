//! Query streams that stop on cancel or statement timeout, wherever execution is: a dropped
//! DataFusion stream aborts its tasks, so stopping the stream stops the work.

use std::future::Future;

use datafusion::error::DataFusionError;
use datafusion::physical_plan::SendableRecordBatchStream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use futures::StreamExt;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::error::{EngineError, EngineResult};

/// When a statement must stop: on a cancel request, or at its deadline.
#[derive(Debug, Clone)]
pub struct Guard {
    /// Fired by a CancelRequest for this connection.
    pub token: CancellationToken,
    /// From statement_timeout, when set.
    pub deadline: Option<Instant>,
    /// Fired when the server's shutdown grace period is over.
    pub shutdown: CancellationToken,
}

impl Guard {
    async fn expired(&self) -> EngineError {
        let deadline = self.deadline;
        tokio::select! {
            _ = self.shutdown.cancelled() => EngineError::shutting_down(),
            _ = self.token.cancelled() => EngineError::cancelled(),
            _ = async move {
                match deadline {
                    Some(d) => tokio::time::sleep_until(d).await,
                    None => std::future::pending().await,
                }
            } => EngineError::timed_out(),
        }
    }

    /// Runs `work` unless the guard fires first.
    pub async fn run<T>(&self, work: impl Future<Output = EngineResult<T>>) -> EngineResult<T> {
        tokio::select! {
            biased;
            e = self.expired() => Err(e),
            r = work => r,
        }
    }

    /// Wraps a stream so that it ends with the guard's error once the guard fires.
    pub fn stream(&self, inner: SendableRecordBatchStream) -> SendableRecordBatchStream {
        let schema = inner.schema();
        let guard = self.clone();
        let s = futures::stream::unfold(Some(inner), move |state| {
            let guard = guard.clone();
            async move {
                let mut inner = state?;
                let next = tokio::select! {
                    biased;
                    e = guard.expired() => Some(Err(DataFusionError::External(Box::new(e)))),
                    b = inner.next() => b,
                };
                match next {
                    None => None,
                    Some(Ok(batch)) => Some((Ok(batch), Some(inner))),
                    Some(Err(e)) => Some((Err(e), None)),
                }
            }
        });
        Box::pin(RecordBatchStreamAdapter::new(schema, s))
    }
}

/// Wraps a statement's rows so that an error while they stream fails the session's block, as
/// an error before the first row does.
pub fn fails_block(
    inner: SendableRecordBatchStream,
    tx: std::sync::Arc<std::sync::Mutex<crate::session::transaction::Transaction>>,
) -> SendableRecordBatchStream {
    let schema = inner.schema();
    let s = inner.inspect(move |item| {
        if item.is_err() {
            tx.lock().expect("transaction lock").fail();
        }
    });
    Box::pin(RecordBatchStreamAdapter::new(schema, s))
}
