//! Aloe's server: configuration, the engine (sessions over DataFusion) and the PostgreSQL
//! wire front end.

pub mod auth;
pub mod bootstrap;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod engine;
pub mod functions;
pub mod generate;
pub mod limits;
pub mod metrics;
pub mod models;
pub mod plan;
pub mod serve;
pub mod system;
pub mod wire;
