//! The synthetic organic-cosmetics business, served as tables in schema `gen`.

pub mod business;
pub mod calendar;
pub mod calibration;
pub mod catalogue;
pub mod config;
pub mod daily;
pub mod export;
pub mod landing;
pub mod marketing;
pub mod orders;
pub mod rng;
pub mod stream;
pub mod truth;
pub mod web;

pub use business::gen_schema;
pub use config::GenerateConfig;
