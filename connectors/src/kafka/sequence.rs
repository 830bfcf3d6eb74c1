//! Keeps each partition's messages in offset order, once each, whatever the broker sends.
//!
//! A Kafka fetch at offset `o` answers with the record batch that holds `o`, and the client
//! drops the records before it. Not every Kafka-protocol broker does so: tansu 0.6 answers a
//! fetch that falls inside a stored batch with the batch after it (a resume at offset 4000
//! got 4325 first), and after librdkafka's request timeouts (`REQTMOUT`) it delivered a run
//! of messages twice. So the ingester resumes [`RESUME_LOOKBACK`] offsets before the
//! point bronze recorded, drops every message below the next offset it wants, and reports
//! the offsets a broker skipped (compaction and transaction markers skip some legitimately).

use std::collections::BTreeMap;

/// How many offsets before its resume point a partition is read from again: more than a
/// producer batch holds (librdkafka's `batch.num.messages` is 10,000 by default), so that
/// the batch holding the resume point is fetched whole.
pub const RESUME_LOOKBACK: i64 = 10_000;

/// What to do with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admit {
    /// The next one wanted: land it.
    Next,
    /// Before the next one wanted (a lookback or a repeat): drop it.
    Seen,
    /// After a run of offsets that never came (`missing` of them): land it, and say so.
    AfterGap {
        /// How many offsets were skipped.
        missing: i64,
    },
}

/// Per partition, the next offset to land.
#[derive(Debug, Default)]
pub struct Sequence {
    next: BTreeMap<i32, i64>,
}

impl Sequence {
    /// Starts where bronze stopped: `start` holds each partition's next offset; a partition
    /// not in it starts at the first message the broker has.
    pub fn new(start: &BTreeMap<i32, i64>) -> Self {
        Self {
            next: start.clone(),
        }
    }

    /// The offset to ask the broker for, for a partition that resumes at `next`.
    pub fn fetch_from(next: i64) -> i64 {
        (next - RESUME_LOOKBACK).max(0)
    }

    /// Whether a message at `offset` of `partition` is landed, and moves the partition on.
    pub fn admit(&mut self, partition: i32, offset: i64) -> Admit {
        let admit = match self.next.get(&partition) {
            Some(&want) if offset < want => return Admit::Seen,
            Some(&want) if offset > want => Admit::AfterGap {
                missing: offset - want,
            },
            _ => Admit::Next,
        };
        self.next.insert(partition, offset + 1);
        admit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookback_and_repeats_are_dropped_and_gaps_are_told() {
        let mut s = Sequence::new(&BTreeMap::from([(3, 4000)]));
        assert_eq!(Sequence::fetch_from(4000), 0);
        assert_eq!(Sequence::fetch_from(25_000), 15_000);
        // The batch that holds the resume point, fetched from before it.
        assert_eq!(s.admit(3, 3999), Admit::Seen);
        assert_eq!(s.admit(3, 4000), Admit::Next);
        assert_eq!(s.admit(3, 4001), Admit::Next);
        // A run delivered twice.
        assert_eq!(s.admit(3, 4000), Admit::Seen);
        assert_eq!(s.admit(3, 4001), Admit::Seen);
        assert_eq!(s.admit(3, 4002), Admit::Next);
        // A transaction marker's offset never comes as a message.
        assert_eq!(s.admit(3, 4004), Admit::AfterGap { missing: 1 });
        assert_eq!(s.admit(3, 4005), Admit::Next);
        // A partition bronze has not seen starts at whatever comes first.
        assert_eq!(s.admit(0, 17), Admit::Next);
        assert_eq!(s.admit(0, 17), Admit::Seen);
    }
}
