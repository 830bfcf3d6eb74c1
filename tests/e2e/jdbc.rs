//! pgjdbc (Debian's libpostgresql-jdbc-java) against the real server: the programs in
//! tests/clients/ are compiled by these tests and run strictly (every check must pass).

use std::process::Command;

use crate::harness::Server;

const DRIVER: &str = "/usr/share/java/postgresql.jar";

/// Compiles tests/clients/<class>.java and runs it against a fresh server; returns stdout.
fn run_java(class: &str) -> String {
    run_java_on(class, &Server::start(), &[])
}

/// Compiles tests/clients/<class>.java and runs it against `server` with `extra` arguments
/// after host and port; returns stdout.
pub(crate) fn run_java_on(class: &str, server: &Server, extra: &[&str]) -> String {
    assert!(
        std::path::Path::new(DRIVER).exists(),
        "{DRIVER} is missing: ./scripts/test-all installs libpostgresql-jdbc-java"
    );
    let classes = tempfile::tempdir().unwrap();
    let source = crate::harness::repo().join(format!("tests/clients/{class}.java"));
    let javac = Command::new("javac")
        .args([
            "-d",
            classes.path().to_str().unwrap(),
            "-cp",
            DRIVER,
            source.to_str().expect("a UTF-8 path"),
        ])
        .output()
        .expect("javac is installed");
    assert!(
        javac.status.success(),
        "{}",
        String::from_utf8_lossy(&javac.stderr)
    );
    let classpath = format!("{DRIVER}:{}", classes.path().display());
    let out = Command::new("java")
        .args(["-cp", &classpath, class])
        .arg(server.addr.ip().to_string())
        .arg(server.addr.port().to_string())
        .args(extra)
        .output()
        .expect("java is installed");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn pgjdbc_queries_prepares_pages_cancels_and_reads_metadata() {
    let stdout = run_java("JdbcClient");
    assert!(stdout.contains("all jdbc checks passed"), "{stdout}");
}

/// Where pgjdbc's parameter matrix still differs from PostgreSQL 15, with Aloe's answer (see
/// `answers_as_expected`): `coalesce` of a `setString` parameter (declared varchar) and a
/// text column is described as text where PostgreSQL says varchar, since DataFusion's
/// coalesce does not keep the parameter's type tag.
const MATRIX_DIFFERENCES: &[(&str, &str)] = &[
    ("t function text", "[String aloe text]"),
    ("t function prepared", "[String aloe text]"),
];

/// pgjdbc's parameters, each core type in each position (select list, comparison, function
/// argument, INSERT values), unprepared and server-prepared, through setObject with java.time
/// types and setBigDecimal, against PostgreSQL 15's answers (JdbcParamMatrix.expected).
#[test]
fn pgjdbc_parameter_matrix_answers_as_postgresql() {
    let stdout = run_java("JdbcParamMatrix");
    crate::harness::answers_as_expected(
        &stdout,
        "tests/clients/JdbcParamMatrix.expected",
        MATRIX_DIFFERENCES,
    );
}

#[test]
fn metabase_adds_syncs_and_queries_the_database() {
    let stdout = run_java("MetabaseReplay");
    assert!(stdout.contains("all metabase checks passed"), "{stdout}");
}

#[test]
fn metabase_syncs_as_a_reader_with_a_password() {
    let dir = tempfile::tempdir().unwrap();
    let mut passwd = Command::new(env!("CARGO_BIN_EXE_aloe"))
        .args(["passwd", "--user", "metabase"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut passwd.stdin.take().unwrap(), b"dash-boards\n").unwrap();
    let entry = String::from_utf8(passwd.wait_with_output().unwrap().stdout).unwrap();
    crate::harness::write(
        dir.path(),
        "aloe.toml",
        &format!("{entry}role = \"reader\"\n"),
    );
    let server = Server::start_in(dir.path(), &[], &[]);
    let stdout = run_java_on("MetabaseReplay", &server, &["metabase", "dash-boards"]);
    assert!(stdout.contains("all metabase checks passed"), "{stdout}");
}
