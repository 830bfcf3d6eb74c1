//! The synthetic organic-cosmetics business, served as tables in schema `gen`.

pub mod business;
pub mod calendar;
pub mod catalogue;
pub mod config;
pub mod daily;
mod demo;
pub mod export;
pub mod marketing;
pub mod orders;
pub mod rng;
pub mod truth;
pub mod web;

pub use config::GenerateConfig;
pub use demo::{DEMO_SEED, demo_schema};
