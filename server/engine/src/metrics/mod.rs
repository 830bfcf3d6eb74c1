//! The counters the engine and the front end keep as they work (statements, connections, rows
//! sent); the binary exports them with its own on `/metrics`.

pub mod metered;
pub mod server;
