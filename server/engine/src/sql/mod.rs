//! The SQL layer: parsing PostgreSQL's dialect and rewriting what DataFusion does not plan into
//! forms it does. It knows neither the catalog nor sessions: everything here is a function of
//! the statement's text or syntax tree.

pub mod call;
pub mod parse;
pub mod rewrite;
