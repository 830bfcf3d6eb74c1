//! The `aloe` binary's library: configuration, the command line, serving, bootstrapping the
//! lake, the SQL models, the system tables and the metrics endpoint, on top of the engine
//! (`aloe-engine`) and the PostgreSQL front end (`aloe-wire`).

pub mod bootstrap;
pub mod cli;
pub mod config;
pub mod generate;
pub mod metrics;
pub mod models;
pub mod serve;
pub mod system;
