//! End-to-end tests: the real `aloe` binary on a free port, driven by real clients
//! (tokio-postgres, psql) and by raw sockets for what no well-behaved client sends.

mod auth;
mod business_models;
mod catalog;
mod copy;
mod cursors;
mod data_tests;
mod deploy;
mod errors;
mod extended;
mod fuzz;
mod generate;
mod grafana;
mod harness;
mod incremental;
mod jdbc;
mod join_order;
mod kafka;
mod lake;
mod lake_s3;
mod limits;
mod load;
mod malformed;
mod metrics;
mod models;
mod parameters;
mod python;
mod raw;
mod result_cache;
mod scram;
mod sessions;
mod shutdown;
mod simple_query;
mod startup_options;
mod streaming;
mod tls;
