//! What the engine adds to the connectors' lake: its zones as the catalog sees them, the state
//! of sources and the partition-replacing writes incremental models use.

pub mod partitions;
pub mod zones;
