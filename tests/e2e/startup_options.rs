//! Settings a client gives at login: the `options` startup parameter (libpq's PGOPTIONS,
//! pgjdbc's `options`) with `-c name=value` switches, and pgjdbc's `currentSchema`. They hold
//! from the first query on; a bad one refuses the login with PostgreSQL's SQLSTATE and the
//! server goes on serving others.

use std::process::Command;

use crate::harness::Server;
use crate::jdbc::run_java_on;

/// psql with `PGOPTIONS`, running `sql`: (success, stdout, stderr).
fn psql_with_options(server: &Server, options: &str, sql: &str) -> (bool, String, String) {
    let out = Command::new("psql")
        .arg(server.conninfo())
        .args(["-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql])
        .env("PGOPTIONS", options)
        .output()
        .expect("psql is installed");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn pgoptions_set_the_session_before_its_first_query() {
    let server = Server::start();
    let (ok, out, err) = psql_with_options(
        &server,
        r"-c search_path=bronze,\ gold --statement-timeout=7s -c my.tag=a\ b",
        "SHOW search_path; SELECT current_schema(); SHOW statement_timeout; SHOW my.tag",
    );
    assert!(ok, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "bronze, gold");
    assert_eq!(lines[1], "bronze");
    assert_eq!(lines[3], "a b");
    // The timeout is in force, whatever SHOW's spelling of it.
    assert!(lines[2] == "7s" || lines[2] == "7000", "{}", lines[2]);
}

#[tokio::test]
async fn tokio_postgres_options_reach_the_session() {
    let server = Server::start();
    let mut config: tokio_postgres::Config = server.conninfo().parse().unwrap();
    config.options("-c search_path=gold -c TimeZone=Europe/Paris");
    let (client, connection) = config.connect(tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    let row = client
        .query_one(
            "SELECT current_setting('search_path'), current_schema()",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "gold");
    assert_eq!(row.get::<_, String>(1), "gold");
    let tz = client.simple_query("SHOW TimeZone").await.unwrap();
    let tz = match &tz[1] {
        tokio_postgres::SimpleQueryMessage::Row(r) => r.get(0).unwrap().to_owned(),
        other => panic!("{other:?}"),
    };
    assert_eq!(tz, "Europe/Paris");
}

#[test]
fn pgjdbc_current_schema_and_options_set_the_session() {
    let server = Server::start();
    let out = run_java_on(
        "JdbcStartup",
        &server,
        &["currentSchema=silver", "options=-c statement_timeout=3s"],
    );
    assert!(out.contains("search_path=silver "), "{out}");
    assert!(out.contains("schema=silver"), "{out}");
    assert!(out.contains("jdbc_schema=silver"), "{out}");
    assert!(
        out.contains("statement_timeout=3s") || out.contains("statement_timeout=3000"),
        "{out}"
    );
    let refused = run_java_on(
        "JdbcStartup",
        &server,
        &["options=-c statement_timeout=soon"],
    );
    assert!(refused.contains("sqlstate=22023"), "{refused}");
}

#[test]
fn bad_startup_settings_refuse_the_login_as_postgresql_does() {
    let server = Server::start();
    // (options, what PostgreSQL 15 says)
    let cases = [
        (
            "-c statement_timeout=abc",
            "invalid value for parameter \"statement_timeout\": \"abc\"",
        ),
        (
            "-c TimeZone=Nowhere/Atlantis",
            "invalid value for parameter \"TimeZone\"",
        ),
        (
            "-c nosuch=1",
            "unrecognized configuration parameter \"nosuch\"",
        ),
        (
            "-c server_version=1",
            "parameter \"server_version\" cannot be changed",
        ),
        ("-c search_path", "requires a value"),
        ("-X", "invalid command-line argument for server process: -X"),
    ];
    for (options, message) in cases {
        let (ok, _, err) = psql_with_options(&server, options, "SELECT 1");
        assert!(!ok, "{options} was accepted");
        assert!(
            err.contains("FATAL") && err.contains(message),
            "{options}: {err}"
        );
    }
    // The refusals took nothing down.
    let (ok, out, err) = psql_with_options(&server, "", "SELECT 40 + 2");
    assert!(ok, "{err}");
    assert_eq!(out.trim(), "42");
}
