//! Data tests declared in a model's header (`[[test]]` tables): each becomes one query that
//! returns the failing rows, so a test passes when its query returns none. Tests of severity
//! `error` (the default) block the model's publication; `warn` tests are only reported.

use serde::Deserialize;

/// How much a failing test matters.
#[derive(Debug, Clone, Copy, Default, Deserialize, serde::Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The model is not published when the test fails.
    #[default]
    Error,
    /// Reported only.
    Warn,
}

impl Severity {
    /// The word shown in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warn => "warn",
        }
    }
}

/// One `[[test]]` table as written; [`DataTest::check`] says whether it is complete.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct DataTest {
    /// not_null, unique, accepted_values, relationships, freshness, row_count or sql.
    #[serde(rename = "type")]
    pub kind: String,
    /// A name for reports (defaults to the type and its columns).
    pub name: Option<String>,
    /// error (default) or warn.
    pub severity: Severity,
    /// Columns of not_null (each) and unique (together).
    pub columns: Vec<String>,
    /// The column of accepted_values, relationships and freshness.
    pub column: Option<String>,
    /// The values accepted_values allows (compared as text).
    pub values: Vec<String>,
    /// relationships: the table that must hold each value (`zone.table`).
    pub to: Option<String>,
    /// relationships: the column of `to` (defaults to `column`).
    pub field: Option<String>,
    /// freshness: how old the newest value may be, as a PostgreSQL interval (`2 days`).
    pub max_age: Option<String>,
    /// row_count: fewest rows allowed.
    pub min: Option<u64>,
    /// row_count: most rows allowed.
    pub max: Option<u64>,
    /// sql: a query returning the failing rows; `{this}` stands for the model's table.
    pub query: Option<String>,
}

fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// `zone.table` as a quoted reference.
fn table(name: &str) -> String {
    name.split('.').map(ident).collect::<Vec<_>>().join(".")
}

impl DataTest {
    /// The name reports use.
    pub fn label(&self) -> String {
        if let Some(n) = &self.name {
            return n.clone();
        }
        let cols = if self.columns.is_empty() {
            self.column.clone().unwrap_or_default()
        } else {
            self.columns.join(", ")
        };
        if cols.is_empty() {
            self.kind.clone()
        } else {
            format!("{}({cols})", self.kind)
        }
    }

    /// Whether the test names all it needs; the error says what is missing.
    pub fn check(&self) -> Result<(), String> {
        self.failing_rows("t").map(|_| ())
    }

    /// Tables other than the model's that the test reads (relationships' target).
    pub fn reads(&self) -> Option<&str> {
        (self.kind == "relationships")
            .then_some(self.to.as_deref())
            .flatten()
    }

    /// The query returning the failing rows of `this` (a quoted table reference).
    pub fn failing_rows(&self, this: &str) -> Result<String, String> {
        let label = self.label();
        let need = |what: &str| format!("test {label}: {} needs `{what}`", self.kind);
        let column = || {
            self.column
                .as_deref()
                .map(ident)
                .ok_or_else(|| need("column"))
        };
        let columns = || {
            if self.columns.is_empty() {
                Err(need("columns"))
            } else {
                Ok(self.columns.iter().map(|c| ident(c)).collect::<Vec<_>>())
            }
        };
        Ok(match self.kind.as_str() {
            "not_null" => {
                let nulls: Vec<String> =
                    columns()?.iter().map(|c| format!("{c} IS NULL")).collect();
                format!("SELECT * FROM {this} WHERE {}", nulls.join(" OR "))
            }
            "unique" => {
                let cols = columns()?.join(", ");
                format!(
                    "SELECT {cols}, count(*) AS duplicates FROM {this} GROUP BY {cols} \
                     HAVING count(*) > 1"
                )
            }
            "accepted_values" => {
                let column = column()?;
                if self.values.is_empty() {
                    return Err(need("values"));
                }
                let values: Vec<String> = self.values.iter().map(|v| literal(v)).collect();
                format!(
                    "SELECT * FROM {this} WHERE {column} IS NOT NULL \
                     AND CAST({column} AS VARCHAR) NOT IN ({})",
                    values.join(", ")
                )
            }
            "relationships" => {
                let column = column()?;
                let to = self.to.as_deref().ok_or_else(|| need("to"))?;
                let field = self
                    .field
                    .as_deref()
                    .map(ident)
                    .unwrap_or_else(|| column.clone());
                format!(
                    "SELECT t.* FROM {this} t LEFT JOIN (SELECT DISTINCT {field} AS aloe_key \
                     FROM {}) p ON t.{column} = p.aloe_key \
                     WHERE t.{column} IS NOT NULL AND p.aloe_key IS NULL",
                    table(to)
                )
            }
            "freshness" => {
                let column = column()?;
                let age = self.max_age.as_deref().ok_or_else(|| need("max_age"))?;
                format!(
                    "SELECT max({column}) AS newest FROM {this} HAVING max({column}) IS NULL \
                     OR max({column}) < now() - INTERVAL {}",
                    literal(age)
                )
            }
            "row_count" => {
                if self.min.is_none() && self.max.is_none() {
                    return Err(need("min` or `max"));
                }
                let mut bad = Vec::new();
                if let Some(min) = self.min {
                    bad.push(format!("count(*) < {min}"));
                }
                if let Some(max) = self.max {
                    bad.push(format!("count(*) > {max}"));
                }
                format!(
                    "SELECT count(*) AS row_count FROM {this} HAVING {}",
                    bad.join(" OR ")
                )
            }
            "sql" => {
                let query = self.query.as_deref().ok_or_else(|| need("query"))?;
                if !query.contains("{this}") {
                    return Err(format!(
                        "test {label}: the query must read the model's table as {{this}}"
                    ));
                }
                query.trim().trim_end_matches(';').replace("{this}", this)
            }
            "" => return Err("a [[test]] needs `type`".into()),
            other => {
                return Err(format!(
                    "test {label}: unknown type {other:?} (not_null, unique, accepted_values, \
                     relationships, freshness, row_count, sql)"
                ));
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test(toml_text: &str) -> DataTest {
        toml::from_str(toml_text).unwrap()
    }

    #[test]
    fn each_type_compiles_to_a_query_of_failing_rows() {
        let t = test("type = \"not_null\"\ncolumns = [\"a\", \"b\"]");
        assert_eq!(
            t.failing_rows("x").unwrap(),
            "SELECT * FROM x WHERE \"a\" IS NULL OR \"b\" IS NULL"
        );
        assert_eq!(t.label(), "not_null(a, b)");
        let t = test("type = \"accepted_values\"\ncolumn = \"s\"\nvalues = [\"it's\"]");
        assert!(t.failing_rows("x").unwrap().contains("NOT IN ('it''s')"));
        let t = test("type = \"relationships\"\ncolumn = \"c\"\nto = \"silver.customers\"");
        assert!(
            t.failing_rows("x")
                .unwrap()
                .contains("FROM \"silver\".\"customers\"")
        );
        assert_eq!(t.reads(), Some("silver.customers"));
        let t = test("type = \"row_count\"\nmin = 1");
        assert!(
            t.failing_rows("x")
                .unwrap()
                .ends_with("HAVING count(*) < 1")
        );
        let t =
            test("type = \"sql\"\nname = \"neg\"\nquery = \"SELECT * FROM {this} WHERE v < 0;\"");
        assert_eq!(t.failing_rows("x").unwrap(), "SELECT * FROM x WHERE v < 0");
        assert_eq!(t.label(), "neg");
        assert_eq!(t.severity, Severity::Error);
    }

    #[test]
    fn incomplete_tests_say_what_is_missing() {
        for (text, missing) in [
            ("type = \"not_null\"", "columns"),
            ("type = \"accepted_values\"\ncolumn = \"a\"", "values"),
            ("type = \"relationships\"\ncolumn = \"a\"", "to"),
            ("type = \"freshness\"\ncolumn = \"a\"", "max_age"),
            ("type = \"row_count\"", "min"),
            ("type = \"sql\"\nquery = \"SELECT 1\"", "{this}"),
            ("type = \"always\"", "unknown type"),
            ("columns = [\"a\"]", "needs `type`"),
        ] {
            let err = test(text).check().unwrap_err();
            assert!(err.contains(missing), "{text}: {err}");
        }
        assert!(toml::from_str::<DataTest>("type = \"unique\"\ncolunms = [\"a\"]").is_err());
        assert!(toml::from_str::<DataTest>("type = \"unique\"\nseverity = \"fatal\"").is_err());
    }
}
