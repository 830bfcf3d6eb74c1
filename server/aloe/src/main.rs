//! The `aloe` binary: parses the command line and runs the chosen command.

use anyhow::Context;
use clap::Parser;
use tokio::sync::watch;
use tracing_subscriber::EnvFilter;

use aloe_connectors::generate::stream::StreamOptions;
use aloe_server::cli::{
    Cli, Command, GenerateArgs, GenerateMode, GeneratePart, RunArgs, ServeArgs,
};
use aloe_server::config::Config;
use aloe_server::models::RunStatus;

/// Aloe's own news at info; the libraries' only when something is wrong. The Delta kernel logs
/// every snapshot it builds, and reports a table that does not exist yet (which Aloe asks about
/// on purpose before a first write) as an error, so it is silenced; its real failures reach the
/// user through Aloe's errors. Delta stores timestamps in microseconds, PostgreSQL's own
/// precision, so its warning at each write of a nanosecond column tells a user nothing.
const DEFAULT_LOG: &str = "warn,aloe=info,aloe_server=info,aloe_connectors=info,\
    buoyant_kernel=off,delta_kernel=off,deltalake_core::kernel::schema::cast=error";

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("ALOE_LOG").unwrap_or_else(|_| EnvFilter::new(DEFAULT_LOG)),
        )
        .with_writer(std::io::stderr)
        // Colour codes only for a person at a terminal, not in log files and pipes.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let result = match cli.command {
        Command::Serve(args) => serve(args),
        Command::Generate(args) => generate(args),
        Command::Run(args) => run_models(args),
        Command::Passwd(args) => passwd(args),
    };
    // A person reads this: the cause chain, without a backtrace.
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let mut config = Config::load(args.config.as_deref(), std::env::vars())?;
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    if let Some(dir) = args.data_dir {
        config.data_dir = dir;
    }
    if args.no_gen {
        config.gen_schema = false;
    }
    if args.no_seed {
        config.seed_bronze = Some(false);
    }
    if args.no_build_missing {
        config.build_missing_models = false;
    }
    if let Some(addr) = args.metrics_listen {
        config.metrics_listen = addr;
    }
    if let Some(n) = args.max_connections {
        config.max_connections = n;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let (stop, stopped) = watch::channel(false);
        tokio::spawn(async move {
            shutdown_signal().await;
            tracing::info!("shutting down");
            let _ = stop.send(true);
        });
        aloe_server::serve::run(config, stopped).await
    })?;
    Ok(())
}

fn run_models(args: RunArgs) -> anyhow::Result<()> {
    let mut config = Config::load(args.config.as_deref(), std::env::vars())?;
    if let Some(dir) = args.data_dir {
        config.data_dir = dir;
    }
    if let Some(dir) = args.models_dir {
        config.models_dir = dir;
    }
    let selection: Vec<String> = args.models.into_iter().chain(args.select).collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let runs = runtime.block_on(async {
        let opened = aloe_server::serve::open_engine(&config).await?;
        let started = std::time::Instant::now();
        let runs = opened
            .models
            .run(&selection, |r| {
                let rows = r.rows.map(|n| format!("{n} rows")).unwrap_or_default();
                let why = r
                    .message
                    .as_deref()
                    .map(|m| format!(": {m}"))
                    .unwrap_or_default();
                eprintln!(
                    "{:<8} {:<40} {:>14} {:>7.1} s{why}",
                    r.status.as_str(),
                    r.model,
                    rows,
                    r.duration.as_secs_f64()
                );
                for t in &r.tests {
                    eprintln!(
                        "  {:<6} {:<5} {}",
                        t.status.as_str(),
                        t.severity.as_str(),
                        t.summary()
                    );
                }
            })
            .await?;
        eprintln!(
            "{} models in {:.1} s",
            runs.len(),
            started.elapsed().as_secs_f64()
        );
        anyhow::Ok(runs)
    })?;
    let failed = runs
        .iter()
        .filter(|r| r.status != RunStatus::Success)
        .count();
    if failed > 0 {
        anyhow::bail!("{failed} of {} models did not build", runs.len());
    }
    Ok(())
}

fn passwd(args: aloe_server::cli::PasswdArgs) -> anyhow::Result<()> {
    use std::io::{BufRead, IsTerminal};
    if std::io::stdin().is_terminal() {
        eprintln!("password for {} (echoed; or pipe it in):", args.user);
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let password = line.trim_end_matches(['\n', '\r']);
    if password.is_empty() {
        anyhow::bail!("an empty password is not a password");
    }
    let verifier = if args.md5 {
        aloe_wire::auth::md5::hash(password, &args.user)
    } else {
        aloe_wire::auth::scram::Verifier::generate(password).to_string()
    };
    println!(
        "[[users]]\nname = \"{}\"\npassword = \"{verifier}\"",
        args.user
    );
    Ok(())
}

fn generate(args: GenerateArgs) -> anyhow::Result<()> {
    let mut config = Config::load(args.config.as_deref(), std::env::vars())?;
    if let Some(dir) = args.data_dir {
        config.data_dir = dir;
    }
    let g = &mut config.generate;
    if let Some(d) = args.start_date {
        g.start_date = d;
    }
    if let Some(d) = args.end_date {
        g.end_date = d;
    }
    if let Some(n) = args.events_per_day {
        g.events_per_day = n;
    }
    if let Some(n) = args.initial_customers {
        g.initial_customers = n;
    }
    if let Some(n) = args.seed {
        g.seed = n;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    match args.mode {
        GenerateMode::Batch => {
            runtime.block_on(aloe_server::generate::run(&config, args.part))?;
        }
        GenerateMode::Stream => {
            if args.part != GeneratePart::Web {
                anyhow::bail!("--mode stream sends web events only: use `aloe generate web`");
            }
            let options = StreamOptions {
                brokers: args.kafka.context("--mode stream needs --kafka BROKERS")?,
                topic: args.topic,
                events_per_minute: args.events_per_minute,
                duration: std::time::Duration::from_secs(args.duration),
            };
            runtime.block_on(aloe_server::generate::stream(&config, options))?;
        }
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("installing a SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
