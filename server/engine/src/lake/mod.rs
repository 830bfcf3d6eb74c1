//! What the engine adds to the connectors' lake: the state of sources and the partition-replacing
//! writes incremental models use.

pub mod partitions;
