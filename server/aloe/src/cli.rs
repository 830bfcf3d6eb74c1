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
    /// Write the synthetic business into the lake's bronze zone, as real exports look (CRM as
    /// CSV, ad platforms as JSON, web logs as JSON lines, one folder per day), or stream live
    /// web events to Kafka (--mode stream).
    Generate(GenerateArgs),
    /// Build the SQL models of sql/silver and sql/gold into the lake, dependencies first.
    Run(RunArgs),
    /// Print a SCRAM-SHA-256 verifier of a password (read from standard input) for a
    /// `[[users]]` entry of aloe.toml; the password itself is never stored.
    Passwd(PasswdArgs),
}

/// Flags of `aloe passwd`.
#[derive(Debug, Args)]
pub struct PasswdArgs {
    /// The user's login name, for the printed `[[users]]` entry.
    #[arg(long, default_value = "aloe")]
    pub user: String,
    /// Print an md5 hash instead of a SCRAM-SHA-256 verifier: only for `[auth] method = "md5"`,
    /// for clients that cannot do SCRAM (the hash is as good as the password to a thief).
    #[arg(long)]
    pub md5: bool,
}

/// Flags of `aloe run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Models to build: `gold.campaign_daily` or `campaign_daily`; `name+` adds what depends on
    /// it, `+name` what it reads. None builds every model.
    #[arg(value_name = "MODEL")]
    pub models: Vec<String>,
    /// More selections, as for MODEL.
    #[arg(long, value_name = "SELECTION")]
    pub select: Vec<String>,
    /// Configuration file [default: aloe.toml, if present].
    #[arg(long, short = 'c', env = "ALOE_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Root folder of the local lake [default: ./data].
    #[arg(long, env = "ALOE_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Folder of the models [default: ./sql].
    #[arg(long, env = "ALOE_MODELS_DIR", value_name = "DIR")]
    pub models_dir: Option<PathBuf>,
}

/// Which part of the business `aloe generate` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GeneratePart {
    /// Customers, orders, order lines, products, promotions (bronze.crm_*).
    Crm,
    /// Campaigns, daily ad delivery, influencers, posts (bronze.ads_*, bronze.influencer*).
    Advertising,
    /// Web events (bronze.web_events).
    Web,
    /// All of the above.
    All,
}

/// Flags of `aloe generate`; each overrides the `[generate]` part of aloe.toml.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// What to write.
    #[arg(value_enum)]
    pub part: GeneratePart,
    /// First day, YYYY-MM-DD [default: 2025-09-01].
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub start_date: Option<chrono::NaiveDate>,
    /// Last day (inclusive), YYYY-MM-DD [default: 2025-12-01].
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub end_date: Option<chrono::NaiveDate>,
    /// Web events on an average day [default: 20000].
    #[arg(long, value_name = "N")]
    pub events_per_day: Option<u64>,
    /// Customers who exist before the first day [default: 5000].
    #[arg(long, value_name = "N")]
    pub initial_customers: Option<u64>,
    /// How files are cut: one folder per day (the only frequency so far).
    #[arg(long, value_enum, default_value = "daily")]
    pub frequency: Frequency,
    /// Seed: the same seed writes the same rows [default: 42].
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Configuration file (for the lake's zones) [default: aloe.toml, if present].
    #[arg(long, short = 'c', env = "ALOE_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Root folder of the local lake [default: ./data].
    #[arg(long, env = "ALOE_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// `batch` writes the period's files into bronze; `stream` sends live web events to Kafka
    /// (web only).
    #[arg(long, value_enum, default_value = "batch")]
    pub mode: GenerateMode,
    /// Stream mode: events per minute to hold.
    #[arg(long, value_name = "N", default_value_t = 6000)]
    pub events_per_minute: u64,
    /// Stream mode: stop after this many seconds (Ctrl-C stops sooner).
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub duration: u64,
    /// Stream mode: the brokers, host:port[,host:port...].
    #[arg(long, value_name = "BROKERS", required_if_eq("mode", "stream"))]
    pub kafka: Option<String>,
    /// Stream mode: the topic.
    #[arg(long, value_name = "TOPIC", default_value = "web_events")]
    pub topic: String,
}

/// Where `aloe generate` puts what it makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GenerateMode {
    /// Files in bronze, a folder per day.
    Batch,
    /// Live web events to a Kafka topic.
    Stream,
}

/// How generated files are cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Frequency {
    /// One `dt=YYYY-MM-DD` folder per day.
    Daily,
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
    /// Address of the Prometheus metrics port, e.g. 127.0.0.1:9464 (port 0 picks a free one)
    /// [default: 127.0.0.1:9464].
    #[arg(long, env = "ALOE_METRICS_LISTEN", value_name = "HOST:PORT")]
    pub metrics_listen: Option<SocketAddr>,
    /// Do not serve the generated business in schema gen.
    #[arg(long)]
    pub no_gen: bool,
    /// Do not land the generated business in an empty bronze at start (on by default only
    /// without a configuration file).
    #[arg(long)]
    pub no_seed: bool,
    /// Do not build the models whose tables are missing at start.
    #[arg(long)]
    pub no_build_missing: bool,
    /// Most client connections at once [default: 100].
    #[arg(long, env = "ALOE_MAX_CONNECTIONS", value_name = "N")]
    pub max_connections: Option<usize>,
}
