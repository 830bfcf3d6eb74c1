//! The synthetic organic-cosmetics business, served as tables in schema `gen`.

pub mod calendar;
pub mod catalogue;
pub mod config;
mod demo;
pub mod marketing;
pub mod rng;

pub use config::GenerateConfig;
pub use demo::{DEMO_SEED, demo_schema};
