//! PostgreSQL's input functions for the literal text of date/time, interval and numeric
//! types, where PostgreSQL accepts forms that Arrow's casts do not; `sql/rewrite/literals.rs`
//! applies them to a statement's literals.

pub mod datetime;
pub mod infinity;
pub mod interval;
pub mod numeric;
