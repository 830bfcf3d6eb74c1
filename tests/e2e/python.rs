//! Python's PostgreSQL clients against the real server: tests/clients/python_clients.py
//! (psycopg 3, SQLAlchemy 2, pandas), run with the interpreter that ./scripts/test-all
//! prepares (TEST_CLIENTS_PYTHON, else its default venv under ~/.cache/aloe, else python3).

use std::process::Command;

use crate::harness::Server;

#[test]
fn psycopg_sqlalchemy_and_pandas_work() {
    let server = Server::start();
    let python = crate::harness::python();
    let script = crate::harness::repo().join("tests/clients/python_clients.py");
    let out = Command::new(&python)
        .arg(script)
        .arg(server.addr.ip().to_string())
        .arg(server.addr.port().to_string())
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run {python}: {e}; ./scripts/test-all installs the Python clients")
        });
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "python clients failed (interpreter {python}; ./scripts/test-all installs psycopg, \
         SQLAlchemy and pandas):\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("all python client checks passed"),
        "{stdout}"
    );
}
