//! Logins: with users declared (SCRAM-SHA-256 verifiers from `aloe passwd`), every connection
//! authenticates, psql, tokio-postgres and psycopg log in with the password, and a wrong
//! password or an unknown user gets 28P01; the server may then listen beyond loopback.
//! Loopback trust only when configured; md5 and cleartext passwords only when asked for.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::harness::{Server, aloe, python_prints, write};

/// `aloe passwd --user USER` fed `password` on standard input.
pub(crate) fn verifier_entry(dir: &std::path::Path, user: &str, password: &str) -> String {
    passwd_entry(dir, user, password, &[])
}

/// `aloe passwd --user USER EXTRA...` fed `password` on standard input.
fn passwd_entry(dir: &std::path::Path, user: &str, password: &str, extra: &[&str]) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_aloe"))
        .args(["passwd", "--user", user])
        .args(extra)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{password}\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn conninfo(server: &Server, user: &str, password: &str) -> String {
    format!(
        "host=127.0.0.1 port={} user={user} password='{password}' dbname=aloe",
        server.addr.port()
    )
}

async fn login(
    server: &Server,
    user: &str,
    password: &str,
) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
    let (client, connection) =
        tokio_postgres::connect(&conninfo(server, user, password), tokio_postgres::NoTls).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(client)
}

#[tokio::test]
async fn users_log_in_with_scram_and_nobody_else_does() {
    let dir = tempfile::tempdir().unwrap();
    let entry = verifier_entry(dir.path(), "analyst", "c0rrect horse");
    assert!(entry.contains("SCRAM-SHA-256$4096:"), "{entry}");
    assert!(
        !entry.contains("c0rrect"),
        "the password itself is not printed"
    );
    let reader = verifier_entry(dir.path(), "metabase", "read-only");
    write(
        dir.path(),
        "aloe.toml",
        &format!("listen = \"0.0.0.0:0\"\n{entry}\n{reader}role = \"reader\"\n"),
    );
    // Reachable beyond loopback: allowed now that a user is declared.
    let server = Server::start_in(dir.path(), &[], &[]);

    let c = login(&server, "analyst", "c0rrect horse").await.unwrap();
    let who: String = c
        .query_one("SELECT current_user", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(who, "analyst");

    for (user, password) in [("analyst", "wrong"), ("nobody", "c0rrect horse")] {
        let Err(err) = login(&server, user, password).await else {
            panic!("{user} logged in with a wrong password");
        };
        let db = err.as_db_error().expect("a server error");
        assert_eq!(db.code().code(), "28P01", "{user}");
        assert_eq!(
            db.message(),
            format!("password authentication failed for user \"{user}\"")
        );
    }
    // The server is still there for the right password after the failures.
    assert!(login(&server, "analyst", "c0rrect horse").await.is_ok());

    // A reader queries, sets and reads the catalog, and writes nothing.
    let r = login(&server, "metabase", "read-only").await.unwrap();
    r.batch_execute("SET search_path = gen; BEGIN; COMMIT")
        .await
        .unwrap();
    let n: i64 = r
        .query_one("SELECT count(*) FROM products", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 120);
    for write in [
        "CREATE TABLE bronze.x AS SELECT 1 AS a",
        "CALL aloe.run()",
        "COPY (SELECT 1) TO 'bronze/x.csv'",
        "DROP TABLE IF EXISTS bronze.nothing",
        "CREATE SCHEMA analytics",
        "DROP SCHEMA IF EXISTS analytics",
    ] {
        let err = r.batch_execute(write).await.unwrap_err();
        let db = err.as_db_error().unwrap();
        assert_eq!(db.code().code(), "42501", "{write}");
        assert!(
            db.message().contains("\"metabase\" is a reader"),
            "{}",
            db.message()
        );
    }
    let privileges = "SELECT has_table_privilege('gen.products', 'SELECT'), \
                      has_table_privilege('gen.products', 'INSERT'), \
                      has_schema_privilege('gold', 'CREATE')";
    let row = r.query_one(privileges, &[]).await.unwrap();
    assert_eq!(
        (
            row.get::<_, bool>(0),
            row.get::<_, bool>(1),
            row.get::<_, bool>(2)
        ),
        (true, false, false)
    );
    let row = c.query_one(privileges, &[]).await.unwrap();
    assert_eq!(
        (
            row.get::<_, bool>(0),
            row.get::<_, bool>(1),
            row.get::<_, bool>(2)
        ),
        (true, true, true)
    );
    // The refused writes left nothing behind.
    assert!(c.query("SELECT * FROM bronze.x", &[]).await.is_err());

    let psql = |password: &str| {
        Command::new("psql")
            .arg(format!(
                "host=127.0.0.1 port={} user=analyst dbname=aloe",
                server.addr.port()
            ))
            .args(["-X", "-w", "-Atc", "SELECT 40 + 2"])
            .env("PGPASSWORD", password)
            .output()
            .unwrap()
    };
    let ok = psql("c0rrect horse");
    assert_eq!(String::from_utf8_lossy(&ok.stdout).trim(), "42", "{ok:?}");
    let refused = psql("nope");
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("password authentication failed"));

    let script = format!(
        "import psycopg\n\
         with psycopg.connect({:?}) as c:\n    print(c.execute('SELECT 7').fetchone()[0])\n\
         try:\n    psycopg.connect({:?})\nexcept psycopg.OperationalError as e:\n    print('refused' if 'password authentication failed' in str(e) else e)\n\
         with psycopg.connect({:?}) as r:\n    \
         print(r.execute('SELECT count(*) FROM gen.products').fetchone()[0])\n    \
         try:\n        r.execute('CREATE TABLE bronze.py AS SELECT 1 AS a')\n    \
         except psycopg.errors.InsufficientPrivilege as e:\n        print(e.sqlstate)\n",
        conninfo(&server, "analyst", "c0rrect horse"),
        conninfo(&server, "analyst", "bad"),
        conninfo(&server, "metabase", "read-only")
    );
    python_prints(&script, "7\nrefused\n120\n42501\n");
}

#[test]
fn bad_user_declarations_stop_the_start() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "aloe.toml",
        "[[users]]\nname = \"analyst\"\npassword = \"plain-text\"\n",
    );
    let out = aloe(dir.path(), &["serve", "--listen", "127.0.0.1:0"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("user analyst") && stderr.contains("aloe passwd"),
        "{stderr}"
    );
    // An empty password gets no verifier.
    let mut child = Command::new(env!("CARGO_BIN_EXE_aloe"))
        .arg("passwd")
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("empty password"));
}

/// psql as `user` with `password` (none when empty): its exit status, stdout and stderr.
fn psql_as(server: &Server, user: &str, password: &str, sql: &str) -> (bool, String, String) {
    let mut cmd = Command::new("psql");
    cmd.arg(format!(
        "host=127.0.0.1 port={} user={user} dbname=aloe",
        server.addr.port()
    ))
    .args(["-X", "-w", "-Atc", sql]);
    if password.is_empty() {
        cmd.env_remove("PGPASSWORD");
    } else {
        cmd.env("PGPASSWORD", password);
    }
    let out = cmd.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_configuration_without_users_or_trust_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "aloe.toml", "database = \"aloe\"\n");
    let out = aloe(dir.path(), &["serve", "--listen", "127.0.0.1:0"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("nobody could log in") && stderr.contains("trust = true"),
        "{stderr}"
    );
}

#[test]
fn trust_lets_loopback_clients_in_as_declared_users_only() {
    let dir = tempfile::tempdir().unwrap();
    let admin = verifier_entry(dir.path(), "analyst", "unused-here");
    let reader = verifier_entry(dir.path(), "metabase", "unused-too");
    write(
        dir.path(),
        "aloe.toml",
        &format!("{admin}\n{reader}role = \"reader\"\n[auth]\ntrust = true\n"),
    );
    let server = Server::start_in(dir.path(), &[], &[]);
    let (ok, who, err) = psql_as(&server, "analyst", "", "SELECT current_user");
    assert!(ok, "{err}");
    assert_eq!(who, "analyst");
    // Trust skips the password, not the role.
    let (ok, _, err) = psql_as(
        &server,
        "metabase",
        "",
        "CREATE TABLE bronze.t AS SELECT 1 AS a",
    );
    assert!(!ok);
    assert!(err.contains("is a reader"), "{err}");
    let (ok, _, err) = psql_as(&server, "stranger", "", "SELECT 1");
    assert!(!ok);
    assert!(err.contains("role \"stranger\" does not exist"), "{err}");
}

#[test]
fn md5_and_cleartext_passwords_only_when_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let legacy = passwd_entry(dir.path(), "legacy", "old-client", &["--md5"]);
    assert!(legacy.contains("password = \"md5"), "{legacy}");
    let modern = verifier_entry(dir.path(), "analyst", "c0rrect horse");

    // An md5 hash without the md5 method: refused at start, saying what to do.
    write(dir.path(), "aloe.toml", &format!("{legacy}\n"));
    let out = aloe(dir.path(), &["serve", "--listen", "127.0.0.1:0"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("method = \"md5\""), "{stderr}");

    // method = "md5": the md5 user answers an md5 challenge, the SCRAM user still uses SCRAM.
    write(
        dir.path(),
        "aloe.toml",
        &format!("{legacy}\n{modern}\n[auth]\nmethod = \"md5\"\n"),
    );
    {
        let server = Server::start_in(dir.path(), &[], &[]);
        assert_eq!(
            psql_as(&server, "legacy", "old-client", "SELECT current_user").1,
            "legacy"
        );
        assert_eq!(
            psql_as(&server, "analyst", "c0rrect horse", "SELECT 42").1,
            "42"
        );
        let (ok, _, err) = psql_as(&server, "legacy", "wrong", "SELECT 1");
        assert!(!ok);
        assert!(err.contains("password authentication failed"), "{err}");
    }

    // method = "password": the password in clear, checked against either kind of secret.
    write(
        dir.path(),
        "aloe.toml",
        &format!("{legacy}\n{modern}\n[auth]\nmethod = \"password\"\n"),
    );
    let server = Server::start_in(dir.path(), &[], &[]);
    assert_eq!(
        psql_as(&server, "legacy", "old-client", "SELECT current_user").1,
        "legacy"
    );
    assert_eq!(
        psql_as(&server, "analyst", "c0rrect horse", "SELECT current_user").1,
        "analyst"
    );
    for (user, password) in [("analyst", "c0rrect"), ("nobody", "c0rrect horse")] {
        let (ok, _, err) = psql_as(&server, user, password, "SELECT 1");
        assert!(!ok, "{user}");
        assert!(err.contains("password authentication failed"), "{err}");
    }
}
