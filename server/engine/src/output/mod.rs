//! PostgreSQL's output functions for the values whose text Arrow writes otherwise.

pub mod text;
