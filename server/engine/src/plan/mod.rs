//! What Aloe adds to DataFusion's planning: PostgreSQL type names, row estimates and physical
//! rules run after DataFusion's own, PostgreSQL's overflow and division-by-zero errors,
//! correlated subqueries DataFusion cannot unnest, integer literals typed as PostgreSQL types
//! them.

pub mod argument_check;
pub mod char_length;
pub mod checked_arithmetic;
pub mod compact_views;
pub mod datetime_input;
pub mod decorrelate;
pub mod infinity_casts;
pub mod integer_literals;
pub mod statistics;
pub mod text_input;
pub mod text_output;
pub mod types;
