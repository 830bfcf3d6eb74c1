//! TLS on the PostgreSQL port: with `[tls]` configured, psql and psycopg connect with
//! `sslmode=require` and the session is encrypted; a certificate that cannot be loaded stops
//! the start instead of serving plaintext.

use std::path::Path;
use std::process::Command;

use crate::harness::{Server, aloe, python_prints, write};

/// A self-signed certificate and key for localhost in `dir`, made by openssl.
fn self_signed(dir: &Path) {
    let out = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-keyout",
            "key.pem",
            "-out",
            "cert.pem",
        ])
        .current_dir(dir)
        .output()
        .expect("openssl is installed");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn clients_connect_over_tls_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    self_signed(dir.path());
    write(
        dir.path(),
        "aloe.toml",
        "[auth]\ntrust = true\n[tls]\ncert = \"cert.pem\"\nkey = \"key.pem\"\n",
    );
    let server = Server::start_in(dir.path(), &[], &[]);
    let conninfo = format!(
        "host=127.0.0.1 port={} user=aloe dbname=aloe sslmode=require",
        server.addr.port()
    );
    let out = Command::new("psql")
        .arg(&conninfo)
        .args(["-X", "-c", "SELECT 40 + 2 AS answer", "-c", "\\conninfo"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("42"), "{stdout}");
    assert!(
        stdout.contains("SSL connection (protocol: TLSv1."),
        "{stdout}"
    );

    let script = format!(
        "import psycopg\nwith psycopg.connect({conninfo:?}) as c:\n    \
         print(c.pgconn.ssl_in_use, c.execute('SELECT 7').fetchone()[0])\n"
    );
    python_prints(&script, "True 7\n");
    // Without TLS asked for, the same server still serves plaintext clients.
    let c = server.connect().await;
    let n: i64 = c.query_one("SELECT 1::bigint", &[]).await.unwrap().get(0);
    assert_eq!(n, 1);
}

#[test]
fn a_tls_configuration_that_cannot_load_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "aloe.toml",
        "[auth]\ntrust = true\n[tls]\ncert = \"missing.pem\"\nkey = \"key.pem\"\n",
    );
    let out = aloe(dir.path(), &["serve", "--listen", "127.0.0.1:0"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("missing.pem") && stderr.contains("not starting without the TLS"),
        "{stderr}"
    );
    // A key that does not belong to the certificate: refused too.
    self_signed(dir.path());
    let other = tempfile::tempdir().unwrap();
    self_signed(other.path());
    std::fs::copy(
        other.path().join("key.pem"),
        dir.path().join("other-key.pem"),
    )
    .unwrap();
    write(
        dir.path(),
        "aloe.toml",
        "[auth]\ntrust = true\n[tls]\ncert = \"cert.pem\"\nkey = \"other-key.pem\"\n",
    );
    let out = aloe(dir.path(), &["serve", "--listen", "127.0.0.1:0"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("TLS"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn tls_can_be_required_of_every_client() {
    let dir = tempfile::tempdir().unwrap();
    self_signed(dir.path());
    let entry = crate::auth::verifier_entry(dir.path(), "analyst", "s3cret-pass");
    write(
        dir.path(),
        "aloe.toml",
        &format!("{entry}\n[tls]\ncert = \"cert.pem\"\nkey = \"key.pem\"\nrequired = true\n"),
    );
    let server = Server::start_in(dir.path(), &[], &[]);
    let psql = |sslmode: &str| {
        Command::new("psql")
            .arg(format!(
                "host=127.0.0.1 port={} user=analyst dbname=aloe sslmode={sslmode}",
                server.addr.port()
            ))
            .args(["-X", "-At", "-c", "SELECT current_user"])
            .env("PGPASSWORD", "s3cret-pass")
            .output()
            .unwrap()
    };
    let plain = psql("disable");
    assert!(!plain.status.success());
    let stderr = String::from_utf8_lossy(&plain.stderr);
    assert!(stderr.contains("accepts only TLS"), "{stderr}");
    let tls = psql("require");
    assert_eq!(
        String::from_utf8_lossy(&tls.stdout).trim(),
        "analyst",
        "{}",
        String::from_utf8_lossy(&tls.stderr)
    );

    // pgjdbc: refused in plaintext with 28000, served over TLS.
    let port = server.addr.port().to_string();
    let jdbc = |sslmode: &str| {
        crate::jdbc::run_java_on("JdbcLogin", &server, &["analyst", "s3cret-pass", sslmode])
    };
    let refused = jdbc("disable");
    assert!(refused.contains("sqlstate=28000"), "{refused}");
    let served = jdbc("require");
    assert!(served.contains("user=analyst answer=42"), "{served}");

    // psycopg over TLS.
    let script = format!(
        "import psycopg\nwith psycopg.connect('host=127.0.0.1 port={port} user=analyst \
         password=s3cret-pass dbname=aloe sslmode=require') as c:\n    \
         print(c.pgconn.ssl_in_use, c.execute('SELECT current_user').fetchone()[0])\n"
    );
    python_prints(&script, "True analyst\n");
}
