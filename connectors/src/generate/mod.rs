//! The synthetic organic-cosmetics business, served as tables in schema `gen`.

mod demo;

pub use demo::{DEMO_SEED, demo_schema};
