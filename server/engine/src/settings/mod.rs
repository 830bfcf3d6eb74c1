//! PostgreSQL run-time settings (GUCs) of one session: their defaults, validation, and which
//! ones are reported to the client with ParameterStatus when they change.

use std::collections::BTreeMap;
use std::str::FromStr;

use datafusion::arrow::array::timezone::Tz;

use crate::error::{EngineError, EngineResult, sqlstate};

pub mod startup_options;

/// Startup-packet keys that are not settings: who logs in, where, and the `options`
/// switches (read by [`startup_options`]).
const STARTUP_ONLY: &[&str] = &["user", "database", "options", "replication"];

/// The PostgreSQL version Aloe presents itself as; clients branch on it.
pub const SERVER_VERSION: &str = "15.8";
/// `server_version_num` matching [`SERVER_VERSION`].
pub const SERVER_VERSION_NUM: &str = "150008";

/// One known setting: canonical name, default value, whether clients are told of changes
/// (GUC_REPORT in PostgreSQL), whether clients may change it, and its description.
struct Known {
    name: &'static str,
    default: &'static str,
    report: bool,
    settable: bool,
    description: &'static str,
}

const fn k(
    name: &'static str,
    default: &'static str,
    report: bool,
    settable: bool,
    description: &'static str,
) -> Known {
    Known {
        name,
        default,
        report,
        settable,
        description,
    }
}

const KNOWN: &[Known] = &[
    k(
        "application_name",
        "",
        true,
        true,
        "Sets the application name to be reported in statistics and logs.",
    ),
    k(
        "bytea_output",
        "hex",
        false,
        true,
        "Sets the output format for bytea.",
    ),
    k(
        "client_encoding",
        "UTF8",
        true,
        true,
        "Sets the client's character set encoding.",
    ),
    k(
        "client_min_messages",
        "notice",
        false,
        true,
        "Sets the message levels that are sent to the client.",
    ),
    k(
        "DateStyle",
        "ISO, MDY",
        true,
        true,
        "Sets the display format for date and time values.",
    ),
    k(
        "default_transaction_isolation",
        "read committed",
        false,
        true,
        "Sets the transaction isolation level of each new transaction.",
    ),
    k(
        "default_transaction_read_only",
        "off",
        true,
        true,
        "Sets the default read-only status of new transactions.",
    ),
    k(
        "extra_float_digits",
        "1",
        false,
        true,
        "Sets the number of digits displayed for floating-point values.",
    ),
    k(
        "idle_in_transaction_session_timeout",
        "0",
        false,
        true,
        "Sets the maximum allowed idle time between queries, when in a transaction.",
    ),
    k(
        "idle_session_timeout",
        "0",
        false,
        true,
        "Sets the maximum allowed idle time between queries, when not in a transaction.",
    ),
    k(
        "in_hot_standby",
        "off",
        true,
        false,
        "Shows whether hot standby is currently active.",
    ),
    k(
        "integer_datetimes",
        "on",
        true,
        false,
        "Shows whether datetimes are integer based.",
    ),
    k(
        "IntervalStyle",
        "postgres",
        true,
        true,
        "Sets the display format for interval values.",
    ),
    k(
        "is_superuser",
        "on",
        true,
        false,
        "Shows whether the current user is a superuser.",
    ),
    k("jit", "off", false, true, "Allow JIT compilation."),
    k(
        "lc_collate",
        "C.UTF-8",
        false,
        false,
        "Shows the collation order locale.",
    ),
    k(
        "lc_ctype",
        "C.UTF-8",
        false,
        false,
        "Shows the character classification and case conversion locale.",
    ),
    k(
        "lc_messages",
        "C.UTF-8",
        false,
        true,
        "Sets the language in which messages are displayed.",
    ),
    k(
        "lc_monetary",
        "C.UTF-8",
        false,
        true,
        "Sets the locale for formatting monetary amounts.",
    ),
    k(
        "lc_numeric",
        "C.UTF-8",
        false,
        true,
        "Sets the locale for formatting numbers.",
    ),
    k(
        "lc_time",
        "C.UTF-8",
        false,
        true,
        "Sets the locale for formatting date and time values.",
    ),
    k(
        "lock_timeout",
        "0",
        false,
        true,
        "Sets the maximum allowed duration of any wait for a lock.",
    ),
    k(
        "max_identifier_length",
        "63",
        false,
        false,
        "Shows the maximum identifier length.",
    ),
    k(
        "max_index_keys",
        "32",
        false,
        false,
        "Shows the maximum number of index keys.",
    ),
    k(
        "search_path",
        "public",
        true,
        true,
        "Sets the schema search order for names that are not schema-qualified.",
    ),
    k(
        "server_encoding",
        "UTF8",
        true,
        false,
        "Shows the server (database) character set encoding.",
    ),
    k(
        "server_version",
        SERVER_VERSION,
        true,
        false,
        "Shows the server version.",
    ),
    k(
        "server_version_num",
        SERVER_VERSION_NUM,
        false,
        false,
        "Shows the server version as an integer.",
    ),
    k(
        "session_authorization",
        "aloe",
        true,
        false,
        "Sets the session user name.",
    ),
    k(
        "standard_conforming_strings",
        "on",
        true,
        false,
        "Causes '...' strings to treat backslashes literally.",
    ),
    k(
        "statement_timeout",
        "0",
        false,
        true,
        "Sets the maximum allowed duration of any statement (milliseconds).",
    ),
    k(
        "synchronous_commit",
        "on",
        false,
        true,
        "Sets the current transaction's synchronization level.",
    ),
    k(
        "TimeZone",
        "UTC",
        true,
        true,
        "Sets the time zone for displaying and interpreting time stamps.",
    ),
    k(
        "transaction_isolation",
        "read committed",
        false,
        true,
        "Sets the current transaction's isolation level.",
    ),
    k(
        "transaction_read_only",
        "off",
        false,
        true,
        "Sets the current transaction's read-only status.",
    ),
    k(
        "work_mem",
        "4MB",
        false,
        true,
        "Sets the maximum memory to be used for query workspaces.",
    ),
];

fn known(name: &str) -> Option<&'static Known> {
    KNOWN.iter().find(|k| k.name.eq_ignore_ascii_case(name))
}

/// A change a SET made that the client must hear of (ParameterStatus).
pub type Reported = Vec<(String, String)>;

/// The settings of one session.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Current values by canonical name; custom (dotted) settings by lower-case name.
    values: BTreeMap<String, String>,
    /// The server's own defaults (`[limits]`) where they differ from PostgreSQL's; RESET
    /// goes back to these.
    server_defaults: BTreeMap<String, String>,
}

impl Settings {
    /// Defaults, with the startup parameters the client sent applied on top.
    pub fn new(user: &str, startup: &BTreeMap<String, String>) -> EngineResult<Self> {
        Self::with_server_defaults(user, &[], startup)
    }

    /// Defaults, then the server's defaults for some settings, then the settings of the
    /// startup packet's `options`, then its other parameters (PostgreSQL's order, so
    /// `application_name=x` beats `options=-c application_name=y`). A setting that does not
    /// exist, cannot be changed or gets a bad value refuses the login, as in PostgreSQL.
    pub fn with_server_defaults(
        user: &str,
        server_defaults: &[(&str, String)],
        startup: &BTreeMap<String, String>,
    ) -> EngineResult<Self> {
        let mut values: BTreeMap<String, String> = KNOWN
            .iter()
            .map(|k| (k.name.to_owned(), k.default.to_owned()))
            .collect();
        values.insert("session_authorization".into(), user.to_owned());
        let mut settings = Self {
            values,
            server_defaults: BTreeMap::new(),
        };
        for (name, value) in server_defaults {
            if let Some(k) = known(name)
                && let Ok(v) = normalize(k.name, value)
            {
                settings.values.insert(k.name.to_owned(), v.clone());
                settings.server_defaults.insert(k.name.to_owned(), v);
            }
        }
        let options = match startup.get("options") {
            Some(options) => startup_options::parse(options)?,
            None => Vec::new(),
        };
        let parameters = startup
            .iter()
            // `_pq_.` names ask for protocol extensions, which the protocol answers.
            .filter(|(name, _)| {
                !STARTUP_ONLY.contains(&name.as_str()) && !name.starts_with("_pq_.")
            })
            .map(|(name, value)| (name.clone(), value.clone()));
        for (name, value) in options.into_iter().chain(parameters) {
            settings.set(&name, &value)?;
        }
        Ok(settings)
    }

    /// The canonical spelling of a known setting (`timezone` → `TimeZone`).
    pub fn canonical(name: &str) -> Option<&'static str> {
        known(name).map(|k| k.name)
    }

    /// The current value, or 42704 for a setting that does not exist.
    pub fn get(&self, name: &str) -> EngineResult<String> {
        let key = Self::canonical(name)
            .map(str::to_owned)
            .unwrap_or_else(|| name.to_ascii_lowercase());
        self.values.get(&key).cloned().ok_or_else(|| {
            EngineError::new(
                sqlstate::UNDEFINED_PARAMETER,
                format!("unrecognized configuration parameter \"{name}\""),
            )
        })
    }

    /// Sets a value after validating it; returns what the client must be told.
    pub fn set(&mut self, name: &str, value: &str) -> EngineResult<Reported> {
        let Some(k) = known(name) else {
            // PostgreSQL accepts any two-part name as a custom placeholder setting.
            if name.contains('.') {
                self.values
                    .insert(name.to_ascii_lowercase(), value.to_owned());
                return Ok(vec![]);
            }
            return Err(EngineError::new(
                sqlstate::UNDEFINED_PARAMETER,
                format!("unrecognized configuration parameter \"{name}\""),
            ));
        };
        if !k.settable {
            return Err(EngineError::new(
                sqlstate::CANT_CHANGE_RUNTIME_PARAM,
                format!("parameter \"{}\" cannot be changed", k.name),
            ));
        }
        let normalized = normalize(k.name, value)?;
        self.values.insert(k.name.to_owned(), normalized.clone());
        Ok(if k.report {
            vec![(k.name.to_owned(), normalized)]
        } else {
            vec![]
        })
    }

    /// Back to the default; returns what the client must be told.
    pub fn reset(&mut self, name: &str) -> EngineResult<Reported> {
        match known(name) {
            Some(k) => {
                let default = self.default_of(k);
                self.set(k.name, &default)
            }
            None if name.contains('.') => {
                self.values.remove(&name.to_ascii_lowercase());
                Ok(vec![])
            }
            None => Err(EngineError::new(
                sqlstate::UNDEFINED_PARAMETER,
                format!("unrecognized configuration parameter \"{name}\""),
            )),
        }
    }

    /// Every setting back to its default.
    pub fn reset_all(&mut self) -> Reported {
        KNOWN
            .iter()
            .filter(|k| k.settable)
            .flat_map(|k| {
                let default = self.default_of(k);
                self.set(k.name, &default).unwrap_or_default()
            })
            .collect()
    }

    fn default_of(&self, k: &Known) -> String {
        self.server_defaults
            .get(k.name)
            .cloned()
            .unwrap_or_else(|| k.default.to_owned())
    }

    /// The settings reported to the client right after authentication.
    pub fn reported(&self) -> Reported {
        KNOWN
            .iter()
            .filter(|k| k.report)
            .map(|k| (k.name.to_owned(), self.values[k.name].clone()))
            .collect()
    }

    /// Every setting as (name, value, description), for SHOW ALL and pg_settings.
    pub fn all(&self) -> Vec<(String, String, String)> {
        self.values
            .iter()
            .map(|(name, value)| {
                let description = known(name).map(|k| k.description).unwrap_or("");
                (name.clone(), value.clone(), description.to_owned())
            })
            .collect()
    }

    /// The statement timeout in milliseconds; 0 means none.
    pub fn statement_timeout_ms(&self) -> u64 {
        self.values["statement_timeout"].parse().unwrap_or(0)
    }

    /// How long the session may sit idle, in milliseconds: `idle_in_transaction_session_timeout`
    /// inside a transaction, `idle_session_timeout` outside; 0 means forever.
    pub fn idle_timeout_ms(&self, in_transaction: bool) -> u64 {
        let name = if in_transaction {
            "idle_in_transaction_session_timeout"
        } else {
            "idle_session_timeout"
        };
        self.values[name].parse().unwrap_or(0)
    }

    /// The session's time zone name, as DataFusion should interpret it.
    pub fn time_zone(&self) -> &str {
        &self.values["TimeZone"]
    }

    /// Schemas of search_path in order, without `$user` and `pg_catalog`.
    pub fn search_path(&self) -> Vec<String> {
        self.values["search_path"]
            .split(',')
            .map(|s| s.trim().trim_matches('"').to_owned())
            .filter(|s| !s.is_empty() && s != "$user")
            .collect()
    }
}

fn invalid(name: &str, value: &str, hint: &str) -> EngineError {
    EngineError::new(
        sqlstate::INVALID_PARAMETER_VALUE,
        format!("invalid value for parameter \"{name}\": \"{value}\"{hint}"),
    )
}

/// Validates a value and brings it to the form PostgreSQL would SHOW.
fn normalize(name: &str, value: &str) -> EngineResult<String> {
    let v = value.trim();
    match name {
        "TimeZone" => {
            let canonical = match v.to_ascii_lowercase().as_str() {
                "utc" | "z" | "zulu" | "gmt" | "etc/utc" | "universal" => "UTC".to_owned(),
                _ => v.to_owned(),
            };
            Tz::from_str(&canonical)
                .map(|_| canonical)
                .map_err(|_| invalid(name, v, ": unknown time zone"))
        }
        "DateStyle" => {
            let upper = v.to_ascii_uppercase();
            if !upper.split(',').any(|p| p.trim() == "ISO") && !upper.is_empty() {
                // Aloe formats dates only as ISO 8601; pretending otherwise would corrupt
                // what clients parse.
                return Err(EngineError::not_supported(format!(
                    "DateStyle \"{v}\" is not supported: Aloe writes dates in ISO format only"
                )));
            }
            let order = ["MDY", "DMY", "YMD"]
                .into_iter()
                .find(|o| upper.contains(o))
                .unwrap_or("MDY");
            Ok(format!("ISO, {order}"))
        }
        "IntervalStyle" => match v.to_ascii_lowercase().as_str() {
            "postgres" => Ok("postgres".into()),
            "iso_8601" | "sql_standard" | "postgres_verbose" => {
                Err(EngineError::not_supported(format!(
                    "IntervalStyle \"{v}\" is not supported: Aloe writes intervals in postgres style only"
                )))
            }
            _ => Err(invalid(name, v, "")),
        },
        "client_encoding" => match v.to_ascii_uppercase().replace('-', "").as_str() {
            "UTF8" | "UNICODE" => Ok("UTF8".into()),
            _ => Err(EngineError::not_supported(format!(
                "client_encoding \"{v}\" is not supported: Aloe speaks UTF8 only"
            ))),
        },
        "extra_float_digits" => match v.parse::<i32>() {
            Ok(n) if (-15..=3).contains(&n) => Ok(n.to_string()),
            _ => Err(invalid(name, v, ": must be an integer from -15 to 3")),
        },
        "statement_timeout"
        | "lock_timeout"
        | "idle_in_transaction_session_timeout"
        | "idle_session_timeout" => {
            parse_duration_ms(v)
                .map(|ms| ms.to_string())
                .ok_or_else(|| {
                    invalid(
                        name,
                        v,
                        ": expected milliseconds or a value with a unit (ms, s, min, h)",
                    )
                })
        }
        "default_transaction_isolation" | "transaction_isolation" => {
            let l = v.to_ascii_lowercase();
            match l.as_str() {
                "read uncommitted" | "read committed" | "repeatable read" | "serializable" => Ok(l),
                _ => Err(invalid(name, v, "")),
            }
        }
        "default_transaction_read_only"
        | "transaction_read_only"
        | "jit"
        | "synchronous_commit" => match v.to_ascii_lowercase().as_str() {
            "on" | "true" | "yes" | "1" => Ok("on".into()),
            "off" | "false" | "no" | "0" => Ok("off".into()),
            other if name == "synchronous_commit" => Ok(other.to_owned()),
            _ => Err(invalid(name, v, ": expected a Boolean")),
        },
        _ => Ok(v.to_owned()),
    }
}

/// PostgreSQL's time units for duration settings; a bare number is milliseconds.
fn parse_duration_ms(v: &str) -> Option<u64> {
    let v = v.trim().trim_matches('\'');
    let split = v
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(v.len());
    let (num, unit) = v.split_at(split);
    let n: f64 = num.parse().ok()?;
    let factor = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "ms" => 1.0,
        "s" => 1_000.0,
        "min" => 60_000.0,
        "h" => 3_600_000.0,
        "d" => 86_400_000.0,
        "us" => 0.001,
        _ => return None,
    };
    (n >= 0.0).then(|| (n * factor).round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fresh() -> Settings {
        Settings::new("aloe", &BTreeMap::new()).unwrap()
    }

    #[test]
    fn names_are_case_insensitive_and_canonical() {
        let mut s = fresh();
        let reported = s.set("timezone", "europe/berlin").err();
        assert!(
            reported.is_some(),
            "time zone names are case-sensitive in IANA"
        );
        let reported = s.set("timezone", "Europe/Berlin").unwrap();
        assert_eq!(
            reported,
            vec![("TimeZone".to_owned(), "Europe/Berlin".to_owned())]
        );
        assert_eq!(s.get("TIMEZONE").unwrap(), "Europe/Berlin");
    }

    #[test]
    fn server_defaults_apply_and_reset_returns_to_them() {
        let startup = BTreeMap::from([("statement_timeout".to_owned(), "5s".to_owned())]);
        let mut s = Settings::with_server_defaults(
            "aloe",
            &[
                ("statement_timeout", "60000".into()),
                ("idle_session_timeout", "3600000".into()),
            ],
            &startup,
        )
        .unwrap();
        assert_eq!(
            s.statement_timeout_ms(),
            5000,
            "the client's own value wins"
        );
        assert_eq!(s.idle_timeout_ms(false), 3_600_000);
        assert_eq!(s.idle_timeout_ms(true), 0);
        s.reset("statement_timeout").unwrap();
        assert_eq!(
            s.statement_timeout_ms(),
            60_000,
            "RESET goes to the server's default"
        );
        s.set("idle_session_timeout", "0").unwrap();
        s.reset_all();
        assert_eq!(s.idle_timeout_ms(false), 3_600_000);
    }

    fn started(parameters: &[(&str, &str)]) -> EngineResult<Settings> {
        let startup = parameters
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::new("aloe", &startup)
    }

    #[test]
    fn startup_options_apply_before_the_other_parameters() {
        let s = started(&[
            ("user", "aloe"),
            ("database", "aloe"),
            ("_pq_.some_extension", "1"),
            (
                "options",
                r"-c search_path=bronze,\ gold --statement-timeout=7s -c application_name=opt",
            ),
            ("application_name", "param"),
        ])
        .unwrap();
        assert_eq!(s.get("search_path").unwrap(), "bronze, gold");
        assert_eq!(s.search_path(), ["bronze", "gold"]);
        assert_eq!(s.statement_timeout_ms(), 7000);
        assert_eq!(s.get("application_name").unwrap(), "param");
    }

    #[test]
    fn startup_settings_are_refused_as_postgresql_refuses_them() {
        let code = |p: &[(&str, &str)]| started(p).err().map(|e| e.code);
        assert_eq!(
            code(&[("options", "-c statement_timeout=abc")]).unwrap(),
            "22023"
        );
        assert_eq!(code(&[("TimeZone", "Nowhere/Atlantis")]).unwrap(), "22023");
        assert_eq!(code(&[("options", "-c nosuch=1")]).unwrap(), "42704");
        assert_eq!(code(&[("nosuch", "1")]).unwrap(), "42704");
        assert_eq!(
            code(&[("options", "-c server_version=1")]).unwrap(),
            "55P02"
        );
        assert_eq!(code(&[("options", "-c search_path")]).unwrap(), "42601");
        assert_eq!(code(&[("options", "-c my.flag=on")]), None);
    }

    #[test]
    fn statement_timeout_accepts_units() {
        let mut s = fresh();
        s.set("statement_timeout", "2s").unwrap();
        assert_eq!(s.statement_timeout_ms(), 2000);
        s.set("statement_timeout", "150").unwrap();
        assert_eq!(s.statement_timeout_ms(), 150);
        assert!(s.set("statement_timeout", "soon").is_err());
    }

    #[test]
    fn unknown_and_read_only_settings_fail_with_codes() {
        let mut s = fresh();
        assert_eq!(s.set("no_such_thing", "1").unwrap_err().code, "42704");
        assert_eq!(s.set("server_version", "16").unwrap_err().code, "55P02");
        assert!(s.set("myapp.flag", "x").is_ok());
        assert_eq!(s.get("myapp.flag").unwrap(), "x");
    }

    #[test]
    fn datestyle_stays_iso() {
        let mut s = fresh();
        s.set("DateStyle", "ISO, DMY").unwrap();
        assert_eq!(s.get("datestyle").unwrap(), "ISO, DMY");
        assert_eq!(s.set("DateStyle", "SQL").unwrap_err().code, "0A000");
    }
}
