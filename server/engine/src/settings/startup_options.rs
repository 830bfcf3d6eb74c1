//! The `options` startup parameter (libpq's `PGOPTIONS`, pgjdbc's `options`): server
//! command-line switches a client sends at login, read as PostgreSQL's `pg_split_opts` and
//! `process_postgres_switches` read them. Only the switches that set a run-time setting
//! (`-c name=value`, `-cname=value`, `--name=value`) mean anything to Aloe; the others tune a
//! PostgreSQL backend process that Aloe does not have, so they are refused rather than
//! silently dropped.

use crate::error::{EngineError, EngineResult, sqlstate};

/// The settings that `options` asks for, in order: (name, value).
pub fn parse(options: &str) -> EngineResult<Vec<(String, String)>> {
    let words = split(options);
    let mut settings = Vec::new();
    let mut words = words.into_iter();
    while let Some(word) = words.next() {
        let assignment = if let Some(long) = word.strip_prefix("--") {
            Switch::Long(long.to_owned())
        } else if word == "-c" {
            match words.next() {
                Some(next) => Switch::C(next),
                None => return Err(syntax("-c requires a value".to_owned())),
            }
        } else if let Some(rest) = word.strip_prefix("-c") {
            Switch::C(rest.to_owned())
        } else {
            return Err(syntax(format!(
                "invalid command-line argument for server process: {word} (the options \
                 startup parameter takes -c name=value and --name=value)"
            )));
        };
        settings.push(assignment.setting()?);
    }
    Ok(settings)
}

/// One switch that sets a setting.
enum Switch {
    /// `-c name=value`.
    C(String),
    /// `--name=value`.
    Long(String),
}

impl Switch {
    /// PostgreSQL's ParseLongOption: the name before the first `=`, dashes read as
    /// underscores.
    fn setting(self) -> EngineResult<(String, String)> {
        let (text, prefix) = match &self {
            Switch::C(text) => (text.as_str(), "-c "),
            Switch::Long(text) => (text.as_str(), "--"),
        };
        match text.split_once('=') {
            Some((name, value)) if !name.is_empty() => {
                Ok((name.replace('-', "_"), value.to_owned()))
            }
            _ => Err(syntax(format!("{prefix}{text} requires a value"))),
        }
    }
}

/// Splits at unescaped white space; a backslash takes the next character as it is.
fn split(options: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut chars = options.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_ascii_whitespace()).is_some() {}
        if chars.peek().is_none() {
            return words;
        }
        let mut word = String::new();
        while let Some(c) = chars.next_if(|c| !c.is_ascii_whitespace()) {
            if c == '\\' {
                if let Some(escaped) = chars.next() {
                    word.push(escaped);
                }
            } else {
                word.push(c);
            }
        }
        words.push(word);
    }
}

fn syntax(message: String) -> EngineError {
    EngineError::new(sqlstate::SYNTAX_ERROR, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(options: &str) -> Vec<(String, String)> {
        parse(options).unwrap()
    }

    #[test]
    fn reads_every_form_of_a_setting_switch() {
        assert_eq!(
            pairs("-c search_path=bronze  -cTimeZone=UTC --statement-timeout=7s"),
            vec![
                ("search_path".into(), "bronze".into()),
                ("TimeZone".into(), "UTC".into()),
                ("statement_timeout".into(), "7s".into()),
            ]
        );
    }

    #[test]
    fn a_backslash_keeps_a_space_in_the_value() {
        assert_eq!(
            pairs(r"-c application_name=a\ b\\c -c search_path=a,\ b"),
            vec![
                ("application_name".into(), r"a b\c".into()),
                ("search_path".into(), "a, b".into()),
            ]
        );
        assert_eq!(pairs("   "), vec![]);
    }

    #[test]
    fn the_first_equals_sign_ends_the_name() {
        assert_eq!(
            pairs("-c my.expr=a=b"),
            vec![("my.expr".into(), "a=b".into())]
        );
    }

    #[test]
    fn malformed_switches_are_syntax_errors() {
        for bad in ["-c", "-c search_path", "--jit", "-X", "bronze", "-c =1"] {
            let err = parse(bad).unwrap_err();
            assert_eq!(err.code, sqlstate::SYNTAX_ERROR, "{bad}: {}", err.message);
        }
        assert!(parse("-B 100").unwrap_err().message.contains("-B"));
    }
}
