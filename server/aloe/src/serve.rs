//! `aloe serve`: prepares the lake folder and the catalog, then runs the listener until a
//! shutdown signal.

use std::sync::Arc;

use aloe_connectors::generate::gen_schema;
use aloe_connectors::lake::Lake;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::config::Config;
use crate::models::Models;
use aloe_engine::{Engine, EngineError};
use aloe_wire::{ServerOptions, serve};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The listen address is not on loopback and no authentication is configured.
    #[error(
        "refusing to listen on {0} without authentication: only loopback addresses \
         (127.0.0.1, ::1) may serve without passwords; listen on loopback or configure users"
    )]
    Unprotected(std::net::SocketAddr),
    /// No users are declared and trust is off: nobody could log in.
    #[error(
        "nobody could log in: declare [[users]] (`aloe passwd` prints an entry), or set \
         trust = true under [auth] to let loopback clients in without a password"
    )]
    NoLogin,
    /// A declared user is not usable.
    #[error("{0}")]
    Users(String),
    /// TLS is configured and cannot be served.
    #[error("{0}; not starting without the TLS that was asked for")]
    Tls(String),
    /// The lake cannot be opened (a zone unreachable, a bad table declaration).
    #[error("cannot open the lake: {0}")]
    Lake(#[from] aloe_connectors::lake::LakeError),
    /// The catalog could not be built.
    #[error("cannot build the catalog: {0}")]
    Catalog(#[from] EngineError),
    /// The address cannot be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: std::net::SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

/// The engine and the models that build on it: what `serve` and `run` both start from.
#[derive(Debug, Clone)]
pub struct Opened {
    /// The engine over the configured lake.
    pub engine: Arc<Engine>,
    /// The SQL models, registered with the engine as `CALL aloe.run` and schema `aloe`.
    pub models: Arc<Models>,
}

/// The engine over the configured lake, with schema `gen` and the lake's tables and views
/// loaded, and the models registered: what `serve` and `run` both start from.
pub async fn open_engine(config: &Config) -> Result<Opened, StartError> {
    let lake = Lake::open(
        &config.zones,
        &config.data_dir,
        &config.s3,
        config.tables.clone(),
    )?;
    let engine = Arc::new(Engine::new(&config.database, lake, &config.limits)?);
    let models = Arc::new(Models::new(
        engine.clone(),
        config.models_dir.clone(),
        config.model_threads,
        config.schedule.clone(),
        config.run_history_days,
    ));
    models.restore_history().await;
    engine.register_schema(crate::models::staging::SCHEMA, models.staging().schema())?;
    engine.register_schema(
        "aloe",
        crate::system::schema(engine.kafka().clone(), models.clone()).map_err(EngineError::from)?,
    )?;
    engine.procedures().register(
        crate::models::procedure::NAME,
        Arc::new(crate::models::procedure::RunModels::new(&models)),
    );
    if config.gen_schema {
        engine.register_schema(
            "gen",
            gen_schema(config.generate.clone()).map_err(EngineError::from)?,
        )?;
    }
    engine.open_lake().await?;
    Ok(Opened { engine, models })
}

/// Starts the server and returns once `shutdown` fires.
pub async fn run(config: Config, shutdown: watch::Receiver<bool>) -> Result<(), StartError> {
    let users = aloe_wire::auth::Users::new(&config.users, config.auth.method)
        .map_err(StartError::Users)?;
    if !config.listen.ip().is_loopback() && !users.required() {
        return Err(StartError::Unprotected(config.listen));
    }
    let trust = config.auth.trust.unwrap_or(false);
    if !users.required() && !trust {
        return Err(StartError::NoLogin);
    }
    let tls = match &config.tls {
        Some(t) => Some(aloe_wire::tls::acceptor(&t.cert, &t.key).map_err(StartError::Tls)?),
        None => None,
    };
    let Opened { engine, models } = open_engine(&config).await?;
    if let Some(why) = models.missing() {
        tracing::warn!("{why}; silver and gold will not be built");
    }
    engine.start_kafka(&config.kafka).await?;
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| StartError::Bind {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| StartError::Bind {
        addr: config.listen,
        source,
    })?;
    // Tests and scripts read this line to learn the port when they asked for port 0.
    println!("aloe listening on {addr}");
    // A wildcard address is where the server listens, not where a client connects.
    let host = if addr.ip().is_unspecified() {
        std::net::IpAddr::from([127, 0, 0, 1])
    } else {
        addr.ip()
    };
    let user = config.users.first().map_or("aloe", |u| u.name.as_str());
    println!(
        "connect with: psql \"host={host} port={} user={user} dbname={}\"",
        addr.port(),
        config.database
    );
    tracing::info!(%addr, data_dir = %config.data_dir.display(), "serving");
    if config.metrics
        && let Some(metrics_listener) = crate::metrics::http::bind(config.metrics_listen).await
    {
        if let Ok(at) = metrics_listener.local_addr() {
            println!("aloe metrics on http://{at}/metrics");
        }
        let metrics = Arc::new(crate::metrics::Metrics::new(engine.clone(), models.clone()));
        tokio::spawn(crate::metrics::http::serve(
            metrics_listener,
            metrics,
            shutdown.clone(),
        ));
    }
    tokio::spawn(crate::models::schedule::run(
        models.clone(),
        shutdown.clone(),
    ));
    tokio::spawn(crate::bootstrap::run(
        engine.clone(),
        models.clone(),
        config.clone(),
    ));
    let options = ServerOptions {
        max_connections: config.max_connections,
        users: Arc::new(users),
        login: aloe_wire::LoginPolicy {
            trust_loopback: trust,
            method: config.auth.method,
            tls_required: config.tls.as_ref().is_some_and(|t| t.required),
        },
        tls,
        limits: aloe_wire::WireLimits {
            max_message: config.limits.max_message_bytes(),
            startup_timeout: config.limits.startup_timeout,
            shutdown_grace: config.limits.shutdown_grace,
        },
    };
    let served = serve(listener, engine.clone(), options, shutdown).await;
    // Ingesters finish the commit in progress; what they had not committed is read again at
    // the next start.
    engine.kafka().stop().await;
    served.map_err(|source| StartError::Bind {
        addr: config.listen,
        source,
    })
}
