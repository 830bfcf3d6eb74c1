//! One counter that moves whenever the lake's data or the catalog may have changed. What is
//! kept between statements (query results, computed catalog rows) remembers the count it was
//! made at and is stale once the count has moved on.

use std::sync::atomic::{AtomicU64, Ordering};

/// The count of changes to data and catalog since the engine started.
#[derive(Debug, Default)]
pub struct Changes(AtomicU64);

impl Changes {
    /// The count now; read it before computing anything that will be kept.
    pub fn current(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }

    /// Records a change (or one that may have happened: a failed write counts too).
    pub fn record(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}
