//! COPY ... TO STDOUT (psql's `\copy ... to`) and COPY ... TO '<zone>/<path>' (a file in the
//! lake): the query or table to write, and the format. COPY FROM and the binary format are not
//! supported yet and say so.

use datafusion::sql::sqlparser::ast::{
    CopyLegacyCsvOption, CopyLegacyOption, CopyOption, CopySource, CopyTarget, Query, Statement,
};
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::parser::Parser;

use datafusion::sql::parser::Statement as DFStatement;

use crate::error::{EngineError, EngineResult};
use crate::session::Session;
use crate::session::outcome::{CopyFormat, Outcome};
use crate::session::stream::Guard;
use aloe_connectors::lake::paths;
use datafusion::dataframe::DataFrameWriteOptions;
use datafusion::prelude::DataFrame;

/// Runs a COPY: its rows to the client as COPY data, or into a file of the lake.
pub(crate) async fn run(
    session: &Session,
    statement: &Statement,
    guard: &Guard,
) -> EngineResult<Outcome> {
    let copy = plan(statement)?;
    let query = DFStatement::Statement(Box::new(Statement::Query(copy.query)));
    if let Some((file, format)) = &copy.file {
        return session
            .copy_to_lake(query, file, format, copy.format.header, guard)
            .await;
    }
    match session.run_sql(query, None, guard).await? {
        Outcome::Rows { schema, stream, .. } => Ok(Outcome::CopyOut {
            schema,
            stream,
            format: copy.format,
        }),
        _ => Err(EngineError::syntax("COPY needs a query that returns rows")),
    }
}

/// What a COPY TO STDOUT reads and how it writes.
pub struct CopyOut {
    /// The rows to write, as a query.
    pub query: Box<Query>,
    /// Text or CSV.
    pub format: CopyFormat,
    /// `TO '<zone>/<path>'`: the file, and its format (parquet, csv or json).
    pub file: Option<(String, String)>,
}

/// Reads a COPY statement; only `COPY ... TO STDOUT` in text or CSV is accepted.
pub fn plan(statement: &Statement) -> EngineResult<CopyOut> {
    let Statement::Copy {
        source,
        to,
        target,
        options,
        legacy_options,
        ..
    } = statement
    else {
        unreachable!("plan is called with COPY statements only");
    };
    let file = match target {
        CopyTarget::Stdout if *to => None,
        CopyTarget::File { filename } if *to => Some(filename.clone()),
        _ => {
            return Err(EngineError::not_supported(
                "COPY FROM and COPY to programs are not supported; use COPY ... TO STDOUT \
                 (psql: \\copy ... to), COPY ... TO '<zone>/<path>', or CREATE TABLE ... AS / \
                 INSERT to load data",
            ));
        }
    };
    let mut file_format = "csv".to_owned();
    let query = match source {
        CopySource::Query(q) => q.clone(),
        CopySource::Table {
            table_name,
            columns,
        } => {
            let cols = if columns.is_empty() {
                "*".to_owned()
            } else {
                columns
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            Parser::new(&PostgreSqlDialect {})
                .try_with_sql(&format!("SELECT {cols} FROM {table_name}"))
                .and_then(|mut p| p.parse_query())
                .map_err(EngineError::from)?
        }
    };
    let mut format = CopyFormat::default();
    for option in options {
        match option {
            CopyOption::Format(f) => match f.value.to_ascii_lowercase().as_str() {
                "csv" => format.csv = true,
                "text" if file.is_none() => format.csv = false,
                f @ ("parquet" | "json") if file.is_some() => file_format = f.to_owned(),
                other => {
                    return Err(EngineError::not_supported(format!(
                        "COPY format {other} is not supported: use text or csv (to STDOUT), \
                         parquet, csv or json (to a file in the lake)"
                    )));
                }
            },
            CopyOption::Header(h) => format.header = *h,
            CopyOption::Delimiter(d) => format.delimiter = Some(*d),
            CopyOption::Null(n) => format.null = Some(n.clone()),
            CopyOption::Quote(q) => format.quote = Some(*q),
            CopyOption::Encoding(e)
                if e.eq_ignore_ascii_case("utf8") || e.eq_ignore_ascii_case("utf-8") => {}
            other => {
                return Err(EngineError::not_supported(format!(
                    "COPY option {other} is not supported"
                )));
            }
        }
    }
    for option in legacy_options {
        match option {
            CopyLegacyOption::Csv(csv_options) => {
                format.csv = true;
                for o in csv_options {
                    match o {
                        CopyLegacyCsvOption::Header => format.header = true,
                        CopyLegacyCsvOption::Quote(q) => format.quote = Some(*q),
                        other => {
                            return Err(EngineError::not_supported(format!(
                                "COPY option {other} is not supported"
                            )));
                        }
                    }
                }
            }
            CopyLegacyOption::Header => format.header = true,
            CopyLegacyOption::Delimiter(d) => format.delimiter = Some(*d),
            CopyLegacyOption::Null(n) => format.null = Some(n.clone()),
            CopyLegacyOption::Binary => {
                return Err(EngineError::not_supported(
                    "COPY in binary format is not supported: use text or csv",
                ));
            }
            other => {
                return Err(EngineError::not_supported(format!(
                    "COPY option {other} is not supported"
                )));
            }
        }
    }
    Ok(CopyOut {
        query,
        file: file.map(|f| (f, file_format)),
        format,
    })
}

impl Session {
    /// `COPY (query) TO '<zone>/<path>' (FORMAT parquet|csv|json)`: one file, written whole.
    pub(crate) async fn copy_to_lake(
        &self,
        query: DFStatement,
        target: &str,
        format: &str,
        header: bool,
        guard: &Guard,
    ) -> EngineResult<Outcome> {
        let zones = self.lake().zones();
        let (zone, url) = paths::resolve(&zones, target)?;
        let state = self.state();
        let plan = guard
            .run(async { Ok(state.statement_to_plan(query).await?) })
            .await?;
        let df = DataFrame::new(state, plan);
        let options = DataFrameWriteOptions::new().with_single_file_output(true);
        let path = url.to_string();
        let batches = guard
            .run(async {
                Ok(match format {
                    "parquet" => df.write_parquet(&path, options, None).await?,
                    "json" => df.write_json(&path, options, None).await?,
                    _ => {
                        let csv = datafusion::common::config::CsvOptions::default()
                            .with_has_header(header);
                        df.write_csv(&path, options, Some(csv)).await?
                    }
                })
            })
            .await?;
        let rows = crate::statements::query::affected_rows(&batches);
        self.refresh_zone(&zone.name).await?;
        Ok(Outcome::command(format!("COPY {rows}")))
    }
}
