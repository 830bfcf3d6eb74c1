//! The SQL behaviour suite: the `.slt` files beside this one, whose expected answers were taken
//! from PostgreSQL 15, run twice: in process over an engine session, and over the wire against
//! the `aloe` binary (tokio-postgres, simple query protocol, PostgreSQL's text format).
//!
//! To take the expected answers from PostgreSQL again (after adding a file or a case), point
//! `ALOE_SLT_POSTGRES` at a throwaway PostgreSQL 15 and run this suite: it rewrites the files
//! from PostgreSQL's answers instead of checking Aloe, e.g.
//! `ALOE_SLT_POSTGRES="host=127.0.0.1 port=55432 user=postgres dbname=postgres" cargo test --test slt`.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use aloe_engine::{EngineError, Outcome, Session};
use async_trait::async_trait;
use datafusion::arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use futures::StreamExt;
use sqllogictest::{DBOutput, DefaultColumnType, default_column_validator, default_validator};

/// The suite's files, in name order.
fn files() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/slt");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("the slt folder")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "slt"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .slt files in {}", dir.display());
    files
}

/// An error of either database, with its SQLSTATE.
#[derive(Debug, thiserror::Error)]
#[error("{message} ({code})")]
struct SqlError {
    code: String,
    message: String,
}

impl From<EngineError> for SqlError {
    fn from(e: EngineError) -> Self {
        Self {
            code: e.code.to_owned(),
            message: e.message,
        }
    }
}

impl From<tokio_postgres::Error> for SqlError {
    fn from(e: tokio_postgres::Error) -> Self {
        Self {
            code: e.code().map(|c| c.code().to_owned()).unwrap_or_default(),
            message: e
                .as_db_error()
                .map(|d| d.message().to_owned())
                .unwrap_or_else(|| e.to_string()),
        }
    }
}

/// A value as sqllogictest writes PostgreSQL's text format: NULL, and `(empty)` for ''.
fn cell(text: Option<&str>) -> String {
    match text {
        None => "NULL".into(),
        Some("") => "(empty)".into(),
        Some(t) => t.to_owned(),
    }
}

/// An engine session of its own, with its lake in a temporary folder.
struct InProcess {
    session: Session,
    _engine: std::sync::Arc<aloe_engine::Engine>,
    _dir: tempfile::TempDir,
}

impl InProcess {
    async fn open() -> Self {
        let dir = tempfile::tempdir().expect("scratch folder");
        let mut config =
            aloe_server::config::Config::load(None, std::iter::empty()).expect("defaults");
        config.data_dir = dir.path().join("data");
        config.gen_schema = false;
        config.seed_bronze = Some(false);
        config.build_missing_models = false;
        let opened = aloe_server::serve::open_engine(&config)
            .await
            .expect("the engine opens");
        let session = opened
            .engine
            .session("aloe", &Default::default())
            .expect("a session");
        Self {
            session,
            _engine: opened.engine,
            _dir: dir,
        }
    }
}

/// PostgreSQL's text form of one value of `array` (what the wire's text encoding sends).
fn pg_text(array: &ArrayRef, row: usize) -> Option<String> {
    if array.is_null(row) {
        return None;
    }
    Some(match array.data_type() {
        DataType::Boolean => if array.as_boolean().value(row) {
            "t"
        } else {
            "f"
        }
        .to_owned(),
        // The wire's own text output, so both runs print floats and times alike.
        t if aloe_engine::output::text::written(t) => {
            aloe_engine::output::text::as_text(&array.slice(row, 1))
                .expect("a text form")
                .value(0)
                .to_owned()
        }
        DataType::List(_) => {
            let list = array.as_list::<i32>().value(row);
            let items: Vec<String> = (0..list.len())
                .map(|i| match pg_text(&list, i) {
                    None => "NULL".to_owned(),
                    Some(t) => array_item(t),
                })
                .collect();
            format!("{{{}}}", items.join(","))
        }
        _ => ArrayFormatter::try_new(array.as_ref(), &FormatOptions::default())
            .expect("a formatter")
            .value(row)
            .to_string(),
    })
}

#[async_trait]
impl sqllogictest::AsyncDB for InProcess {
    type Error = SqlError;
    type ColumnType = DefaultColumnType;

    async fn run(&mut self, sql: &str) -> Result<DBOutput<DefaultColumnType>, SqlError> {
        let mut last = DBOutput::StatementComplete(0);
        for statement in self.session.parse(sql)? {
            last = match self.session.execute(&statement, None).await? {
                Outcome::Rows { stream, .. } => {
                    let batches: Vec<RecordBatch> = stream
                        .map(|b| b.map_err(EngineError::from))
                        .collect::<Vec<_>>()
                        .await
                        .into_iter()
                        .collect::<Result<_, _>>()?;
                    let mut rows = Vec::new();
                    for batch in &batches {
                        for r in 0..batch.num_rows() {
                            rows.push(
                                batch
                                    .columns()
                                    .iter()
                                    .map(|c| cell(pg_text(c, r).as_deref()))
                                    .collect(),
                            );
                        }
                    }
                    let width = batches.first().map_or(0, |b| b.num_columns());
                    DBOutput::Rows {
                        types: vec![DefaultColumnType::Any; width],
                        rows,
                    }
                }
                Outcome::Command { tag, .. } => DBOutput::StatementComplete(count(&tag)),
                _ => DBOutput::StatementComplete(0),
            };
        }
        Ok(last)
    }

    async fn shutdown(&mut self) {}

    fn engine_name(&self) -> &str {
        "aloe"
    }

    async fn sleep(dur: Duration) {
        tokio::time::sleep(dur).await
    }

    fn error_sql_state(err: &SqlError) -> Option<String> {
        Some(err.code.clone())
    }
}

/// An array element as PostgreSQL writes it: quoted when it is empty or holds a separator,
/// quote, backslash, brace or space.
fn array_item(t: String) -> String {
    let plain = !t.is_empty()
        && !t.eq_ignore_ascii_case("null")
        && !t.contains([',', '"', '\\', '{', '}', ' ']);
    if plain {
        t
    } else {
        format!("\"{}\"", t.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

/// The row count at the end of a command tag (`INSERT 0 3`), or 0.
fn count(tag: &str) -> u64 {
    tag.rsplit(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// A connection over the wire: to the `aloe` binary, or to PostgreSQL when taking answers.
struct Wire {
    client: tokio_postgres::Client,
    name: &'static str,
}

impl Wire {
    async fn connect(conninfo: &str, name: &'static str) -> Self {
        let (client, connection) = tokio_postgres::connect(conninfo, tokio_postgres::NoTls)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to {conninfo}: {e}"));
        tokio::spawn(connection);
        Self { client, name }
    }
}

#[async_trait]
impl sqllogictest::AsyncDB for Wire {
    type Error = SqlError;
    type ColumnType = DefaultColumnType;

    async fn run(&mut self, sql: &str) -> Result<DBOutput<DefaultColumnType>, SqlError> {
        use tokio_postgres::SimpleQueryMessage;
        let mut rows = Vec::new();
        let mut width = None;
        let mut done = 0;
        for message in self.client.simple_query(sql).await? {
            match message {
                SimpleQueryMessage::RowDescription(columns) => {
                    width = Some(columns.len());
                    rows.clear();
                }
                SimpleQueryMessage::Row(row) => {
                    width = Some(row.len());
                    rows.push((0..row.len()).map(|i| cell(row.get(i))).collect());
                }
                SimpleQueryMessage::CommandComplete(n) => done = n,
                _ => {}
            }
        }
        Ok(match width {
            Some(width) => DBOutput::Rows {
                types: vec![DefaultColumnType::Any; width],
                rows,
            },
            None => DBOutput::StatementComplete(done),
        })
    }

    async fn shutdown(&mut self) {}

    fn engine_name(&self) -> &str {
        self.name
    }

    async fn sleep(dur: Duration) {
        tokio::time::sleep(dur).await
    }

    fn error_sql_state(err: &SqlError) -> Option<String> {
        Some(err.code.clone())
    }
}

/// The `aloe` binary on the embedded default, on a free loopback port, in a folder of its own.
struct Binary {
    child: Child,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Binary {
    fn start() -> Self {
        let dir = tempfile::tempdir().expect("scratch folder");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_aloe"));
        cmd.args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--metrics-listen",
            "127.0.0.1:0",
        ])
        .args(["--no-seed", "--no-build-missing", "--no-gen"])
        .current_dir(dir.path());
        for (k, _) in std::env::vars() {
            if k.starts_with("ALOE_") {
                cmd.env_remove(k);
            }
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start aloe");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        // Read every line, so that the server never writes to a closed pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(a) = line.strip_prefix("aloe listening on ") {
                    let _ = tx.send(a.parse::<SocketAddr>().expect("an address"));
                }
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("aloe reports where it listens within 60 s");
        Self {
            child,
            addr,
            _dir: dir,
        }
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs every file with a fresh database from `open`; returns what failed.
async fn run_all<D, F, Fut>(open: F) -> Vec<String>
where
    D: sqllogictest::AsyncDB + Send + 'static,
    F: Fn() -> Fut + Send + 'static + Clone,
    Fut: std::future::Future<Output = D> + Send,
{
    let mut failures = Vec::new();
    for file in files() {
        let open = open.clone();
        let mut runner = sqllogictest::Runner::new(move || {
            let open = open.clone();
            async move { Ok::<_, D::Error>(open().await) }
        });
        if let Err(e) = runner.run_file_async(&file).await {
            failures.push(format!("{}: {}", file.display(), e.display(false)));
        }
    }
    failures
}

#[tokio::test(flavor = "multi_thread")]
async fn sql_behaviour_in_process() {
    if std::env::var_os("ALOE_SLT_POSTGRES").is_some() {
        return take_answers_from_postgres().await;
    }
    let failures = run_all(InProcess::open).await;
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[tokio::test(flavor = "multi_thread")]
async fn sql_behaviour_over_the_wire() {
    if std::env::var_os("ALOE_SLT_POSTGRES").is_some() {
        return;
    }
    let binary = Binary::start();
    let conninfo = format!(
        "host={} port={} user=aloe dbname=aloe",
        binary.addr.ip(),
        binary.addr.port()
    );
    let failures = run_all(move || {
        let conninfo = conninfo.clone();
        async move { Wire::connect(&conninfo, "aloe").await }
    })
    .await;
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Rewrites every file's expected answers from the PostgreSQL that `ALOE_SLT_POSTGRES` names.
async fn take_answers_from_postgres() {
    let conninfo = std::env::var("ALOE_SLT_POSTGRES").expect("checked by the caller");
    for file in files() {
        let conninfo = conninfo.clone();
        let mut runner = sqllogictest::Runner::new(move || {
            let conninfo = conninfo.clone();
            async move { Ok::<_, SqlError>(Wire::connect(&conninfo, "postgres").await) }
        });
        runner
            .update_test_file(
                &file,
                " ",
                default_validator,
                sqllogictest::default_normalizer,
                default_column_validator,
            )
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    }
}
