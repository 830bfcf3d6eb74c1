//! What Aloe adds to DataFusion's planning: PostgreSQL type names, row estimates and physical
//! rules run after DataFusion's own.

pub mod compact_views;
pub mod statistics;
pub mod types;
