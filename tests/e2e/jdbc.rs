//! pgjdbc (Debian's libpostgresql-jdbc-java) against the real server: tests/clients/
//! JdbcClient.java, compiled by this test and run strictly (every claimed check must pass).

use std::process::Command;

use crate::harness::Server;

const DRIVER: &str = "/usr/share/java/postgresql.jar";

#[test]
fn pgjdbc_queries_prepares_pages_cancels_and_reads_metadata() {
    assert!(
        std::path::Path::new(DRIVER).exists(),
        "{DRIVER} is missing: ./scripts/test-all installs libpostgresql-jdbc-java"
    );
    let server = Server::start();
    let classes = tempfile::tempdir().unwrap();
    let source = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/clients/JdbcClient.java"
    );
    let javac = Command::new("javac")
        .args([
            "-d",
            classes.path().to_str().unwrap(),
            "-cp",
            DRIVER,
            source,
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
        .args(["-cp", &classpath, "JdbcClient"])
        .arg(server.addr.ip().to_string())
        .arg(server.addr.port().to_string())
        .output()
        .expect("java is installed");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("all jdbc checks passed"), "{stdout}");
}
