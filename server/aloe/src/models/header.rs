//! A model file: an optional header, TOML inside the file's leading `/* ... */` comment, then
//! one SELECT. The comment keeps the file plain SQL that anyone can run by hand.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::data_tests::DataTest;

/// How a model's result is kept.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Materialized {
    /// A Delta table, rebuilt whole in one commit.
    #[default]
    Table,
    /// A view, planned again at every query.
    View,
    /// A Delta table partitioned by `partition_by`, of which each run rebuilds only the
    /// partitions whose source files changed.
    Incremental,
}

impl Materialized {
    /// The word used in headers and system tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Table => "table",
            Self::View => "view",
            Self::Incremental => "incremental",
        }
    }
}

/// What the header says.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Header {
    /// Table or view.
    pub materialized: Materialized,
    /// The partition column of an incremental model (a column of its result).
    pub partition_by: Option<String>,
    /// Cron schedule (`min hour day month weekday`) on which the server rebuilds the model.
    pub schedule: Option<String>,
    /// The table's comment.
    pub description: Option<String>,
    /// Column comments, by column.
    pub columns: BTreeMap<String, String>,
    /// Data tests run after each build (`[[test]]` tables).
    #[serde(rename = "test")]
    pub tests: Vec<DataTest>,
}

/// A model file split into header and query.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelText {
    /// The header (defaults when there is none).
    pub header: Header,
    /// The SELECT, without the header comment or a trailing semicolon.
    pub query: String,
}

/// Splits and reads `text`; `path` names the file in errors.
pub fn read(text: &str, path: &str) -> Result<ModelText, String> {
    let trimmed = text.trim_start();
    let (header, rest) = match trimmed.strip_prefix("/*") {
        Some(after) => {
            let end = after
                .find("*/")
                .ok_or_else(|| format!("{path}: the header comment is not closed with */"))?;
            let header: Header =
                toml::from_str(&after[..end]).map_err(|e| format!("{path}: header: {e}"))?;
            for test in &header.tests {
                test.check().map_err(|e| format!("{path}: {e}"))?;
            }
            match (header.materialized, &header.partition_by) {
                (Materialized::Incremental, None) => {
                    return Err(format!(
                        "{path}: an incremental model needs partition_by (the column each run rebuilds by)"
                    ));
                }
                (Materialized::Table | Materialized::View, Some(_)) => {
                    return Err(format!(
                        "{path}: partition_by is for materialized = \"incremental\""
                    ));
                }
                _ => {}
            }
            (header, &after[end + 2..])
        }
        None => (Header::default(), trimmed),
    };
    let query = rest.trim().trim_end_matches(';').trim().to_owned();
    if query.is_empty() {
        return Err(format!("{path}: no query after the header"));
    }
    Ok(ModelText { header, query })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_and_query() {
        let m = read(
            "/*\nmaterialized = \"view\"\ndescription = \"Daily\"\n[columns]\nday = \"The day\"\n*/\nSELECT 1 AS day;\n",
            "m.sql",
        )
        .unwrap();
        assert_eq!(m.header.materialized, Materialized::View);
        assert_eq!(m.header.columns["day"], "The day");
        assert_eq!(m.query, "SELECT 1 AS day");
        let plain = read("-- just a comment\nSELECT 2", "p.sql").unwrap();
        assert_eq!(plain.header, Header::default());
        assert!(
            read("/* materialized = \"cube\" */ SELECT 1", "x.sql")
                .unwrap_err()
                .contains("cube")
        );
        assert!(
            read("/* x = 1 ", "x.sql")
                .unwrap_err()
                .contains("not closed")
        );
        assert!(read("/* */ ;", "x.sql").unwrap_err().contains("no query"));
    }
}
