//! Kafka topics as tables: the `kafka` schema (topics), `live` (the tail not yet ingested) and
//! the ingesters that land them in bronze.

pub mod tables;
