//! Configuration: `aloe.toml`, overridden by `ALOE_*` environment variables, overridden by
//! command-line flags. No file at all is the embedded default.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The file read from the working directory when no `--config` is given.
pub const DEFAULT_CONFIG_FILE: &str = "aloe.toml";

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file named by `--config` is missing or unreadable.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file or an environment variable does not fit the schema.
    #[error("invalid configuration{origin}: {message}")]
    Invalid {
        /// Where the bad value came from.
        origin: String,
        /// What is wrong, naming the key.
        message: String,
    },
}

/// All of Aloe's settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address of the PostgreSQL listener.
    pub listen: SocketAddr,
    /// Root folder of the local lake (the zones live below it).
    pub data_dir: PathBuf,
    /// The database name clients connect to.
    pub database: String,
    /// Serve the generated business (sized by `[generate]`) in schema `gen`.
    pub gen_schema: bool,
    /// Most client connections at once; more are refused with SQLSTATE 53300.
    pub max_connections: usize,
    /// Memory, message size and timeouts (`[limits]`).
    pub limits: aloe_engine::limits::Limits,
    /// Where each zone lives; unset zones are folders under `data_dir`.
    pub zones: aloe_connectors::lake::ZoneRoots,
    /// How to reach S3/MinIO for `s3://` zones.
    pub s3: aloe_connectors::lake::S3Options,
    /// Tables declared by hand.
    pub tables: Vec<aloe_connectors::lake::TableDecl>,
    /// Size, period and seed of the generated business.
    pub generate: aloe_connectors::generate::GenerateConfig,
    /// Serve Prometheus metrics over HTTP.
    pub metrics: bool,
    /// Address of the metrics port (`/metrics`, `/health`); loopback unless set otherwise.
    pub metrics_listen: SocketAddr,
    /// The folder of SQL models (`silver/*.sql`, `gold/*.sql`).
    pub models_dir: PathBuf,
    /// Most models built at once.
    pub model_threads: usize,
    /// Days a model run stays in `aloe.runs` and `aloe.test_results` (kept in the lake).
    pub run_history_days: u32,
    /// Kafka topics served in schema `kafka` (`[[kafka]]`).
    pub kafka: Vec<aloe_connectors::kafka::KafkaTableDecl>,
    /// At start, land the generated business (`[generate]`) in bronze when bronze holds none
    /// of it. Defaults to on without a configuration file (the embedded default), off with one.
    pub seed_bronze: Option<bool>,
    /// At start, build (in the background) the models whose tables do not exist yet.
    pub build_missing_models: bool,
    /// Model runs on a schedule (`[[schedule]]`: `cron`, `select`).
    pub schedule: Vec<crate::models::schedule::ScheduleDecl>,
    /// Users with SCRAM-SHA-256 verifiers (`[[users]]`); with any, every connection logs in.
    pub users: Vec<aloe_wire::auth::UserDecl>,
    /// Loopback trust and the password method (`[auth]`).
    pub auth: aloe_wire::auth::AuthConfig,
    /// TLS for the PostgreSQL port (`[tls]`: `cert`, `key`, PEM files).
    pub tls: Option<TlsConfig>,
}

/// `[tls]`: the server's certificate chain and private key.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// PEM file with the certificate chain, the server's first.
    pub cert: PathBuf,
    /// PEM file with the private key.
    pub key: PathBuf,
    /// Refuse clients that do not ask for TLS (28000), as `hostssl` lines in pg_hba.conf do.
    #[serde(default)]
    pub required: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 5433)),
            data_dir: PathBuf::from("data"),
            database: "aloe".into(),
            gen_schema: true,
            max_connections: 100,
            limits: Default::default(),
            zones: Default::default(),
            s3: Default::default(),
            tables: vec![],
            generate: Default::default(),
            kafka: vec![],
            metrics: true,
            metrics_listen: SocketAddr::from(([127, 0, 0, 1], 9464)),
            models_dir: PathBuf::from("sql"),
            model_threads: 2,
            run_history_days: 30,
            seed_bronze: None,
            build_missing_models: true,
            schedule: vec![],
            users: vec![],
            auth: Default::default(),
            tls: None,
        }
    }
}

impl Config {
    /// Loads `path`, or `aloe.toml` if present, or the defaults; then applies `ALOE_*`
    /// variables from `env`.
    pub fn load(
        path: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let (text, origin) = match path {
            Some(p) => (
                std::fs::read_to_string(p).map_err(|source| ConfigError::Read {
                    path: p.to_owned(),
                    source,
                })?,
                format!(" in {}", p.display()),
            ),
            None => match std::fs::read_to_string(DEFAULT_CONFIG_FILE) {
                Ok(t) => (t, format!(" in {DEFAULT_CONFIG_FILE}")),
                Err(_) => (String::new(), String::new()),
            },
        };
        let mut table: toml::Table =
            text.parse()
                .map_err(|e: toml::de::Error| ConfigError::Invalid {
                    origin: origin.clone(),
                    message: e.to_string(),
                })?;
        for (name, value) in env {
            let Some(key) = name.strip_prefix("ALOE_") else {
                continue;
            };
            if key == "LOG" {
                continue;
            }
            set_path(&mut table, &key.to_ascii_lowercase(), &value);
        }
        let mut config: Self =
            table
                .try_into()
                .map_err(|e: toml::de::Error| ConfigError::Invalid {
                    origin: if origin.is_empty() {
                        " (from ALOE_* variables)".into()
                    } else {
                        format!("{origin} or ALOE_* variables")
                    },
                    message: e.to_string(),
                })?;
        // No file is the embedded default: a newcomer gets bronze filled and gold built.
        config.seed_bronze.get_or_insert(origin.is_empty());
        // Trust is configured, never assumed: only the embedded default (no file, no users)
        // turns it on by itself, and only for loopback clients.
        config
            .auth
            .trust
            .get_or_insert(origin.is_empty() && config.users.is_empty());
        aloe_wire::auth::Users::new(&config.users, config.auth.method).map_err(|message| {
            ConfigError::Invalid {
                origin: origin.clone(),
                message,
            }
        })?;
        for s in &config.schedule {
            s.validate().map_err(|message| ConfigError::Invalid {
                origin: origin.clone(),
                message,
            })?;
        }
        Ok(config)
    }
}

/// Sets `a__b` to the value, reading it as TOML when it parses (numbers, booleans, arrays)
/// and as a string otherwise, so `ALOE_DEMO=false` and `ALOE_LISTEN=0.0.0.0:5433` both work.
fn set_path(table: &mut toml::Table, key: &str, raw: &str) {
    let value = format!("v = {raw}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw.to_owned()));
    let mut parts = key.split("__").peekable();
    let mut current = table;
    while let Some(part) = parts.next() {
        if parts.peek().is_none() {
            current.insert(part.to_owned(), value);
            return;
        }
        let entry = current
            .entry(part.to_owned())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        if !entry.is_table() {
            *entry = toml::Value::Table(toml::Table::new());
        }
        current = entry.as_table_mut().expect("just made a table");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn environment_overrides_defaults() {
        let c = Config::load(
            None,
            env(&[
                ("ALOE_LISTEN", "127.0.0.1:7000"),
                ("ALOE_GEN_SCHEMA", "false"),
                ("PATH", "/bin"),
            ]),
        )
        .unwrap();
        assert_eq!(c.listen.port(), 7000);
        assert!(!c.gen_schema);
        assert_eq!(c.database, "aloe");
    }

    #[test]
    fn bronze_is_seeded_only_on_the_embedded_default() {
        assert_eq!(
            Config::load(None, env(&[])).unwrap().seed_bronze,
            Some(true)
        );
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("aloe.toml");
        std::fs::write(&file, "database = \"shop\"\n").unwrap();
        assert_eq!(
            Config::load(Some(&file), env(&[])).unwrap().seed_bronze,
            Some(false)
        );
        std::fs::write(&file, "seed_bronze = true\n").unwrap();
        assert_eq!(
            Config::load(Some(&file), env(&[])).unwrap().seed_bronze,
            Some(true)
        );
        let off = Config::load(None, env(&[("ALOE_SEED_BRONZE", "false")])).unwrap();
        assert_eq!(off.seed_bronze, Some(false));
    }

    #[test]
    fn trust_is_on_only_for_the_embedded_default_unless_configured() {
        assert_eq!(Config::load(None, env(&[])).unwrap().auth.trust, Some(true));
        let verifier = aloe_wire::auth::scram::Verifier::generate("pw").to_string();
        let with_user = env(&[(
            "ALOE_USERS",
            &format!("[{{ name = \"bi\", password = \"{verifier}\" }}]"),
        )]);
        assert_eq!(
            Config::load(None, with_user).unwrap().auth.trust,
            Some(false)
        );
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("aloe.toml");
        std::fs::write(&file, "database = \"shop\"\n").unwrap();
        assert_eq!(
            Config::load(Some(&file), env(&[])).unwrap().auth.trust,
            Some(false)
        );
        std::fs::write(&file, "[auth]\ntrust = true\nmethod = \"md5\"\n").unwrap();
        let c = Config::load(Some(&file), env(&[])).unwrap();
        assert_eq!(c.auth.trust, Some(true));
        assert_eq!(c.auth.method, aloe_wire::auth::Method::Md5);
        std::fs::write(&file, "[auth]\nmethod = \"plaintext\"\n").unwrap();
        assert!(Config::load(Some(&file), env(&[])).is_err());
    }

    #[test]
    fn users_come_from_the_environment_too() {
        let verifier = aloe_wire::auth::scram::Verifier::generate("pw").to_string();
        let c = Config::load(
            None,
            env(&[(
                "ALOE_USERS",
                &format!("[{{ name = \"bi\", password = \"{verifier}\", role = \"reader\" }}]"),
            )]),
        )
        .unwrap();
        assert_eq!(c.users.len(), 1);
        assert_eq!(c.users[0].role, aloe_engine::privileges::Role::Reader);
        let e = Config::load(
            None,
            env(&[("ALOE_USERS", "[{ name = \"bi\", password = \"pw\" }]")]),
        )
        .unwrap_err();
        assert!(e.to_string().contains("aloe passwd"), "{e}");
    }

    #[test]
    fn bad_values_name_the_key() {
        let e = Config::load(None, env(&[("ALOE_MAX_CONNECTIONS", "many")])).unwrap_err();
        assert!(e.to_string().contains("max_connections"), "{e}");
        let e = Config::load(None, env(&[("ALOE_NO_SUCH_KEY", "1")])).unwrap_err();
        assert!(e.to_string().contains("no_such_key"), "{e}");
    }

    #[test]
    fn a_missing_named_file_is_an_error() {
        let e = Config::load(Some(Path::new("does/not/exist.toml")), env(&[])).unwrap_err();
        assert!(matches!(e, ConfigError::Read { .. }));
    }
}
