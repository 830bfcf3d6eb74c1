//! Memory for queries: one pool shared by all, and a cap per session on top of it, so that one
//! greedy query spills or fails alone while the others go on.

use std::fmt;
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use datafusion::error::{DataFusionError, Result};
use datafusion::execution::memory_pool::{
    FairSpillPool, MemoryConsumer, MemoryLimit, MemoryPool, MemoryReservation, TrackConsumersPool,
};

/// How many of the biggest holders a "resources exhausted" error names.
const NAMED_CONSUMERS: NonZeroUsize = NonZeroUsize::new(5).unwrap();

/// The pool all queries share: spilling operators get fair shares of what the others leave.
/// It keeps track of who holds what so that running out names the biggest holders, which is
/// what a user needs to tell one greedy operator from many small ones.
pub fn shared_pool(bytes: usize) -> Arc<dyn MemoryPool> {
    Arc::new(TrackConsumersPool::new(
        FairSpillPool::new(bytes),
        NAMED_CONSUMERS,
    ))
}

/// Memory of this machine, or of its container (cgroup v2 `memory.max`) when that is smaller.
pub fn available_memory() -> Option<u64> {
    let machine = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
            let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(kib * 1024)
        });
    let container = std::fs::read_to_string("/sys/fs/cgroup/memory.max")
        .ok()
        .and_then(|t| t.trim().parse::<u64>().ok());
    match (machine, container) {
        (Some(m), Some(c)) => Some(m.min(c)),
        (m, c) => m.or(c),
    }
}

/// One session's view of the shared pool: every byte is charged to the shared pool too, and
/// a request that would take the session past its cap is refused, which makes a spilling
/// operator spill and any other fail with "resources exhausted" (53200).
#[derive(Debug)]
pub struct QueryPool {
    shared: Arc<dyn MemoryPool>,
    cap: usize,
    reserved: AtomicUsize,
}

impl QueryPool {
    /// A pool of at most `cap` bytes drawn from `shared`.
    pub fn new(shared: Arc<dyn MemoryPool>, cap: usize) -> Self {
        Self {
            shared,
            cap,
            reserved: AtomicUsize::new(0),
        }
    }
}

impl fmt::Display for QueryPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "query pool of {} bytes over {}", self.cap, self.shared)
    }
}

impl MemoryPool for QueryPool {
    fn name(&self) -> &str {
        "aloe_query"
    }

    fn register(&self, consumer: &MemoryConsumer) {
        self.shared.register(consumer);
    }

    fn unregister(&self, consumer: &MemoryConsumer) {
        self.shared.unregister(consumer);
    }

    fn grow(&self, reservation: &MemoryReservation, additional: usize) {
        self.shared.grow(reservation, additional);
        self.reserved.fetch_add(additional, Ordering::Relaxed);
    }

    fn shrink(&self, reservation: &MemoryReservation, shrink: usize) {
        self.shared.shrink(reservation, shrink);
        self.reserved.fetch_sub(shrink, Ordering::Relaxed);
    }

    fn try_grow(&self, reservation: &MemoryReservation, additional: usize) -> Result<()> {
        // Claim the bytes against the cap first, so that two operators of one query racing
        // for the last bytes cannot both get them.
        let claimed = self
            .reserved
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |held| {
                held.checked_add(additional)
                    .filter(|total| *total <= self.cap)
            });
        if let Err(held) = claimed {
            return Err(DataFusionError::ResourcesExhausted(format!(
                "the query needs more than its memory limit of {} (limits.query_memory): \
                 {} asked for {additional} more bytes while the query held {held}",
                bytesize::ByteSize::b(self.cap as u64),
                reservation.consumer().name(),
            )));
        }
        if let Err(e) = self.shared.try_grow(reservation, additional) {
            self.reserved.fetch_sub(additional, Ordering::Relaxed);
            return Err(e);
        }
        Ok(())
    }

    fn reserved(&self) -> usize {
        self.reserved.load(Ordering::Relaxed)
    }

    fn memory_limit(&self) -> MemoryLimit {
        MemoryLimit::Finite(self.cap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::execution::memory_pool::GreedyMemoryPool;

    #[test]
    fn a_session_is_refused_beyond_its_cap_and_charges_the_shared_pool() {
        let shared: Arc<dyn MemoryPool> = Arc::new(GreedyMemoryPool::new(1000));
        let a: Arc<dyn MemoryPool> = Arc::new(QueryPool::new(shared.clone(), 600));
        let b: Arc<dyn MemoryPool> = Arc::new(QueryPool::new(shared.clone(), 600));
        let ra = MemoryConsumer::new("sort").register(&a);
        let rb = MemoryConsumer::new("join").register(&b);
        ra.try_grow(500).unwrap();
        let e = ra.try_grow(200).unwrap_err().to_string();
        assert!(e.contains("memory limit"), "{e}");
        assert_eq!(a.reserved(), 500);
        assert_eq!(shared.reserved(), 500);
        // b is within its cap but the shared pool has only 500 left.
        assert!(rb.try_grow(600).is_err());
        assert_eq!(b.reserved(), 0, "a refused request holds nothing");
        rb.try_grow(400).unwrap();
        drop(ra);
        assert_eq!(shared.reserved(), 400);
        assert_eq!(a.reserved(), 0);
    }

    #[test]
    fn running_out_of_the_shared_pool_names_the_biggest_holders() {
        let shared = shared_pool(1000);
        let join = MemoryConsumer::new("HashJoinInput").register(&shared);
        join.try_grow(900).unwrap();
        let sort = MemoryConsumer::new("ExternalSorter")
            .with_can_spill(true)
            .register(&shared);
        let e = sort.try_grow(200).unwrap_err().to_string();
        assert!(e.contains("HashJoinInput") && e.contains("900"), "{e}");
    }

    #[test]
    fn this_machine_reports_its_memory() {
        assert!(available_memory().is_some_and(|m| m > 0));
    }
}
