//! SET, SHOW, RESET and DISCARD: the session's PostgreSQL settings (and DataFusion's own
//! `datafusion.*` options), each change reported to the client as ParameterStatus.

use datafusion::sql::parser::{ResetStatement, Statement as DFStatement};
use datafusion::sql::sqlparser::ast::{
    Expr as SqlExpr, Ident, Set, Statement, TransactionAccessMode, TransactionIsolationLevel,
    TransactionMode, Value,
};

use crate::error::{EngineError, EngineResult, sqlstate};
use crate::session::Session;
use crate::session::outcome::Outcome;
use crate::session::show::{text_schema, text_table};
use crate::settings::Settings;

/// Runs one statement of the family.
pub(crate) async fn run(session: &Session, statement: &DFStatement) -> EngineResult<Outcome> {
    match statement {
        DFStatement::Reset(ResetStatement::Variable(name)) => session.reset(&name.to_string()),
        DFStatement::Statement(s) => match s.as_ref() {
            Statement::Set(set) => session.set(set).await,
            Statement::ShowVariable { variable } => session.show(variable).await,
            Statement::Discard { .. } => {
                session.cursors.lock().await.close_all();
                let reported = session.settings.lock().expect("settings lock").reset_all();
                session.apply_settings();
                Ok(Outcome::Command {
                    tag: "DISCARD ALL".into(),
                    reported,
                })
            }
            other => Err(EngineError::internal(format!(
                "not a variable statement: {other}"
            ))),
        },
        other => Err(EngineError::internal(format!(
            "not a variable statement: {other}"
        ))),
    }
}

impl Session {
    pub(crate) async fn set(&self, set: &Set) -> EngineResult<Outcome> {
        let assignments: Vec<(String, Option<String>)> = match set {
            Set::SingleAssignment {
                variable, values, ..
            } => {
                let name = variable.to_string();
                if name.to_ascii_lowercase().starts_with("datafusion.") {
                    let statement = DFStatement::Statement(Box::new(Statement::Set(set.clone())));
                    let guard = self.begin_statement();
                    return self.run_sql(statement, None, &guard).await;
                }
                vec![(name, set_value(values))]
            }
            Set::SetTimeZone { value, .. } => {
                vec![("TimeZone".into(), set_value(std::slice::from_ref(value)))]
            }
            Set::SetNames { charset_name, .. } => {
                vec![("client_encoding".into(), Some(charset_name.value.clone()))]
            }
            Set::SetTransaction { modes, session, .. } => {
                let prefix = if *session { "default_" } else { "" };
                modes
                    .iter()
                    .map(|m| match m {
                        TransactionMode::IsolationLevel(level) => (
                            format!("{prefix}transaction_isolation"),
                            Some(isolation_name(level).to_owned()),
                        ),
                        TransactionMode::AccessMode(mode) => (
                            format!("{prefix}transaction_read_only"),
                            Some(matches!(mode, TransactionAccessMode::ReadOnly).to_string()),
                        ),
                    })
                    .collect()
            }
            Set::SetRole { .. } | Set::SetSessionAuthorization(_) => {
                // Roles arrive with authentication; until then every session has one user.
                return Ok(Outcome::command("SET"));
            }
            other => {
                return Err(EngineError::not_supported(format!(
                    "this form of SET is not supported: {other}"
                )));
            }
        };
        let mut reported = Vec::new();
        {
            let mut settings = self.settings.lock().expect("settings lock");
            for (name, value) in assignments {
                reported.extend(match value {
                    Some(v) => settings.set(&name, &v)?,
                    None => settings.reset(&name)?,
                });
            }
        }
        self.apply_settings();
        Ok(Outcome::Command {
            tag: "SET".into(),
            reported,
        })
    }

    pub(crate) fn reset(&self, name: &str) -> EngineResult<Outcome> {
        let reported = {
            let mut settings = self.settings.lock().expect("settings lock");
            if name.eq_ignore_ascii_case("all") {
                settings.reset_all()
            } else {
                settings.reset(name)?
            }
        };
        self.apply_settings();
        Ok(Outcome::Command {
            tag: "RESET".into(),
            reported,
        })
    }

    fn show_name(variable: &[Ident]) -> String {
        let words: Vec<String> = variable
            .iter()
            .map(|i| i.value.to_ascii_lowercase())
            .collect();
        match words.join(" ").as_str() {
            "transaction isolation level" => "transaction_isolation".into(),
            "time zone" => "TimeZone".into(),
            "session authorization" => "session_authorization".into(),
            _ => variable
                .iter()
                .map(|i| i.value.clone())
                .collect::<Vec<_>>()
                .join("."),
        }
    }

    pub(crate) fn show_schema(
        &self,
        variable: &[Ident],
    ) -> datafusion::arrow::datatypes::SchemaRef {
        let name = Self::show_name(variable);
        if name.eq_ignore_ascii_case("all") {
            let (schema, _) = text_table(&["name", "setting", "description"], vec![])
                .expect("an empty text table always builds");
            return schema;
        }
        text_schema(
            &Settings::canonical(&name)
                .map(str::to_owned)
                .unwrap_or(name),
        )
    }

    pub(crate) async fn show(&self, variable: &[Ident]) -> EngineResult<Outcome> {
        let name = Self::show_name(variable);
        if name.to_ascii_lowercase().starts_with("datafusion.") {
            // PostgreSQL's SHOW answers one column named after the setting; DataFusion's
            // answers two, which psql and drivers would misread.
            let key = name.to_ascii_lowercase();
            let entry = self
                .ctx
                .state()
                .config_options()
                .entries()
                .into_iter()
                .find(|e| e.key == key)
                .ok_or_else(|| {
                    EngineError::new(
                        sqlstate::UNDEFINED_PARAMETER,
                        format!("unrecognized configuration parameter \"{name}\""),
                    )
                })?;
            let (schema, stream) =
                text_table(&[key.as_str()], vec![vec![entry.value.unwrap_or_default()]])?;
            return Ok(Outcome::Rows {
                schema,
                stream,
                tag: "SHOW",
                binary: false,
            });
        }
        let (schema, stream) = if name.eq_ignore_ascii_case("all") {
            let mut rows: Vec<Vec<String>> = self
                .settings
                .lock()
                .expect("settings lock")
                .all()
                .into_iter()
                .map(|(n, v, d)| vec![n, v, d])
                .collect();
            for entry in self.ctx.state().config_options().entries() {
                rows.push(vec![
                    entry.key,
                    entry.value.unwrap_or_default(),
                    entry.description.to_owned(),
                ]);
            }
            text_table(&["name", "setting", "description"], rows)?
        } else {
            let value = self.settings.lock().expect("settings lock").get(&name)?;
            let column = Settings::canonical(&name)
                .map(str::to_owned)
                .unwrap_or(name);
            text_table(&[column.as_str()], vec![vec![value]])?
        };
        Ok(Outcome::Rows {
            schema,
            stream,
            tag: "SHOW",
            binary: false,
        })
    }
}

fn isolation_name(level: &TransactionIsolationLevel) -> &'static str {
    match level {
        TransactionIsolationLevel::ReadUncommitted => "read uncommitted",
        TransactionIsolationLevel::ReadCommitted => "read committed",
        TransactionIsolationLevel::RepeatableRead => "repeatable read",
        _ => "serializable",
    }
}

/// The value of `SET x = ...` as text; `None` for DEFAULT.
fn set_value(values: &[SqlExpr]) -> Option<String> {
    let parts: Vec<String> = values
        .iter()
        .map(|v| match v {
            SqlExpr::Value(v) => match &v.value {
                Value::SingleQuotedString(s) | Value::DoubleQuotedString(s) => s.clone(),
                other => other.to_string(),
            },
            SqlExpr::Identifier(i) => i.value.clone(),
            other => other.to_string(),
        })
        .collect();
    if parts.len() == 1 && parts[0].eq_ignore_ascii_case("default") {
        return None;
    }
    Some(parts.join(", "))
}
