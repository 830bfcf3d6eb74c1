//! Server-wide limits (`[limits]`): memory for queries, the largest message, and the timeouts
//! of logins, statements and idle sessions.

pub mod memory;

use std::time::Duration;

use bytesize::ByteSize;
use serde::{Deserialize, Deserializer};

/// What one server lets its clients use.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Memory all running queries may hold together. Default: half of the memory of the
    /// machine, or of its container when that is smaller.
    pub memory: Option<ByteSize>,
    /// Memory one session's queries may hold; beyond it the query spills to disk where
    /// DataFusion can, or fails alone with 53200. Default: half of `memory`.
    pub query_memory: Option<ByteSize>,
    /// The largest message a client may send; a larger one ends its connection with 08P01.
    pub max_message_size: ByteSize,
    /// Memory for the results of repeated queries over silver, gold and gen (0: no cache).
    pub result_cache: ByteSize,
    /// How long a client may take from connecting to finishing its login.
    #[serde(deserialize_with = "duration")]
    pub startup_timeout: Duration,
    /// statement_timeout of new sessions (0: none); sessions may change their own.
    #[serde(deserialize_with = "duration")]
    pub statement_timeout: Duration,
    /// idle_session_timeout of new sessions (0: none): an idle connection is closed (57P05).
    #[serde(deserialize_with = "duration")]
    pub idle_session_timeout: Duration,
    /// idle_in_transaction_session_timeout of new sessions (0: none): a connection idle inside
    /// a transaction is closed (25P03).
    #[serde(deserialize_with = "duration")]
    pub idle_in_transaction_session_timeout: Duration,
    /// At shutdown, how long running statements may take to finish before they are stopped
    /// with 57P01.
    #[serde(deserialize_with = "duration")]
    pub shutdown_grace: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            memory: None,
            query_memory: None,
            max_message_size: ByteSize::mib(64),
            result_cache: ByteSize::mib(256),
            startup_timeout: Duration::from_secs(60),
            statement_timeout: Duration::ZERO,
            idle_session_timeout: Duration::ZERO,
            idle_in_transaction_session_timeout: Duration::ZERO,
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// The fallback when the machine's memory cannot be read.
const FALLBACK_MEMORY: u64 = 4 << 30;

impl Limits {
    /// Bytes all queries may hold together.
    pub fn memory_bytes(&self) -> usize {
        let bytes = match self.memory {
            Some(m) => m.as_u64(),
            None => memory::available_memory().unwrap_or(FALLBACK_MEMORY) / 2,
        };
        usize::try_from(bytes).unwrap_or(usize::MAX)
    }

    /// Bytes one session's queries may hold (never more than all queries together).
    pub fn query_memory_bytes(&self) -> usize {
        let all = self.memory_bytes();
        match self.query_memory {
            Some(m) => usize::try_from(m.as_u64()).unwrap_or(usize::MAX).min(all),
            None => all / 2,
        }
    }

    /// Bytes of cached query results.
    pub fn result_cache_bytes(&self) -> usize {
        usize::try_from(self.result_cache.as_u64()).unwrap_or(usize::MAX)
    }

    /// The largest frontend message, in bytes.
    pub fn max_message_bytes(&self) -> usize {
        usize::try_from(self.max_message_size.as_u64()).unwrap_or(usize::MAX)
    }

    /// Session settings whose defaults come from here, as (setting, milliseconds).
    pub fn session_defaults(&self) -> Vec<(&'static str, String)> {
        [
            ("statement_timeout", self.statement_timeout),
            ("idle_session_timeout", self.idle_session_timeout),
            (
                "idle_in_transaction_session_timeout",
                self.idle_in_transaction_session_timeout,
            ),
        ]
        .into_iter()
        .map(|(name, d)| (name, d.as_millis().to_string()))
        .collect()
    }
}

/// A duration as `"30s"`, `"5min"`, `"1h 30m"`, or a number of seconds.
fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Seconds(u64),
        Text(String),
    }
    match Raw::deserialize(d)? {
        Raw::Seconds(s) => Ok(Duration::from_secs(s)),
        Raw::Text(t) if t.trim() == "0" => Ok(Duration::ZERO),
        Raw::Text(t) => humantime::parse_duration(t.trim()).map_err(|e| {
            serde::de::Error::custom(format!(
                "\"{t}\" is not a duration ({e}); write e.g. \"30s\", \"5min\" or \"1h\""
            ))
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Limits, toml::de::Error> {
        toml::from_str(text)
    }

    #[test]
    fn sizes_and_durations_read_as_people_write_them() {
        let l = parse(
            "memory = \"2GiB\"\nquery_memory = \"512MiB\"\nmax_message_size = \"1MiB\"\n\
             startup_timeout = \"10s\"\nstatement_timeout = 30\nidle_session_timeout = \"1h\"\n",
        )
        .unwrap();
        assert_eq!(l.memory_bytes(), 2 << 30);
        assert_eq!(l.query_memory_bytes(), 512 << 20);
        assert_eq!(l.max_message_bytes(), 1 << 20);
        assert_eq!(l.startup_timeout, Duration::from_secs(10));
        let defaults = l.session_defaults();
        assert!(defaults.contains(&("statement_timeout", "30000".into())));
        assert!(defaults.contains(&("idle_session_timeout", "3600000".into())));
    }

    #[test]
    fn a_query_never_gets_more_than_all_queries() {
        let l = parse("memory = \"1GiB\"\nquery_memory = \"8GiB\"\n").unwrap();
        assert_eq!(l.query_memory_bytes(), 1 << 30);
        let l = parse("memory = \"1GiB\"\n").unwrap();
        assert_eq!(l.query_memory_bytes(), 512 << 20);
    }

    #[test]
    fn bad_values_name_what_is_wrong() {
        let e = parse("startup_timeout = \"soon\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a duration"), "{e}");
        assert!(parse("memory = \"lots\"\n").is_err());
        assert!(parse("memroy = \"1GiB\"\n").is_err());
    }

    #[test]
    fn defaults_fit_the_machine() {
        let l = Limits::default();
        assert!(l.memory_bytes() > 0);
        assert_eq!(l.query_memory_bytes(), l.memory_bytes() / 2);
        assert_eq!(l.max_message_bytes(), 64 << 20);
    }
}
