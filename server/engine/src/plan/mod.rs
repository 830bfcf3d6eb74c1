//! What Aloe adds to DataFusion's planning: PostgreSQL type names, row estimates and physical
//! rules run after DataFusion's own, PostgreSQL's overflow and division-by-zero errors.

pub mod checked_arithmetic;
pub mod compact_views;
pub mod statistics;
pub mod types;
