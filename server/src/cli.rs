//! The command line: `aloe serve` and its flags.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Aloe: a SQL-first lakehouse server that speaks PostgreSQL.
#[derive(Debug, Parser)]
#[command(name = "aloe", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the lake over the PostgreSQL wire protocol (psql, JDBC, Metabase, Grafana...).
    Serve(ServeArgs),
}

/// Flags of `aloe serve`; each overrides aloe.toml and the ALOE_* variables.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Configuration file [default: aloe.toml in the working directory, if present].
    #[arg(long, short = 'c', env = "ALOE_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Address to listen on, e.g. 127.0.0.1:5433 (port 0 picks a free port) [default: 127.0.0.1:5433].
    #[arg(long, env = "ALOE_LISTEN", value_name = "HOST:PORT")]
    pub listen: Option<SocketAddr>,
    /// Root folder of the local lake [default: ./data].
    #[arg(long, env = "ALOE_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Do not serve the built-in demo data set (schema gen).
    #[arg(long)]
    pub no_demo: bool,
    /// Most client connections at once [default: 100].
    #[arg(long, env = "ALOE_MAX_CONNECTIONS", value_name = "N")]
    pub max_connections: Option<usize>,
}
