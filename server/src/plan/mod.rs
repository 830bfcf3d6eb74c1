//! Aloe's own physical plan rules, run after DataFusion's.

pub mod compact_views;
pub mod statistics;
