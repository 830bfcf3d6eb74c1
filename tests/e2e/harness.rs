//! Starts the real `aloe` binary on a free port in a scratch folder and connects clients.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use tokio_postgres::{Client, NoTls};

/// A running server; killed when dropped.
pub struct Server {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Where its metrics port listens.
    pub metrics: Option<SocketAddr>,
    /// Its working directory (the lake lives below it), when the server made it; removed when
    /// the server is dropped.
    _dir: Option<tempfile::TempDir>,
}

impl Server {
    /// The embedded default on a free loopback port.
    pub fn start() -> Server {
        Self::start_with(&[])
    }

    /// The embedded default plus extra `aloe serve` flags.
    pub fn start_with(extra: &[&str]) -> Server {
        let dir = tempfile::tempdir().expect("scratch folder");
        let mut server = Self::start_in(dir.path(), extra, &[]);
        server._dir = Some(dir);
        server
    }

    /// A server working in `dir` (kept after it stops, so another server can start on the
    /// same lake), with extra flags and environment variables.
    pub fn start_in(dir: &std::path::Path, extra: &[&str], env: &[(&str, &str)]) -> Server {
        Self::launch(dir, extra, env, false)
    }

    /// A server in `dir` that lands generated data and builds missing models at start, as
    /// its configuration says.
    pub fn start_bootstrapping(dir: &std::path::Path, env: &[(&str, &str)]) -> Server {
        Self::launch(dir, &[], env, true)
    }

    fn launch(
        dir: &std::path::Path,
        extra: &[&str],
        env: &[(&str, &str)],
        bootstrap: bool,
    ) -> Server {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_aloe"));
        cmd.arg("serve")
            .args(["--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0"])
            // What a server does by itself at start has tests of its own (start_bootstrapping).
            .args(if bootstrap {
                &[][..]
            } else {
                &["--no-seed", "--no-build-missing"][..]
            })
            .args(extra)
            .current_dir(dir)
            .stdout(Stdio::piped())
            .stderr(server_log());
        for (k, _) in std::env::vars() {
            if k.starts_with("ALOE_") {
                cmd.env_remove(k);
            }
        }
        cmd.envs(env.iter().copied());
        let mut child = cmd.spawn().expect("start aloe");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut addr = None;
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(a) = line.strip_prefix("aloe listening on ") {
                    addr = Some(a.parse::<SocketAddr>().expect("address"));
                }
                // The metrics line follows the listening line.
                if let Some(m) = line.strip_prefix("aloe metrics on http://") {
                    let m = m.trim_end_matches("/metrics").parse::<SocketAddr>().ok();
                    let _ = tx.send((addr.expect("listening line first"), m));
                }
            }
        });
        let (addr, metrics) = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("aloe did not report its addresses within 60 s");
        Server {
            child,
            addr,
            metrics,
            _dir: None,
        }
    }

    /// libpq-style connection string.
    pub fn conninfo(&self) -> String {
        format!(
            "host={} port={} user=aloe dbname=aloe",
            self.addr.ip(),
            self.addr.port()
        )
    }

    /// A tokio-postgres client; its connection task runs in the background.
    pub async fn connect(&self) -> Client {
        let (client, connection) = tokio_postgres::connect(&self.conninfo(), NoTls)
            .await
            .expect("connect");
        tokio::spawn(async move {
            let _ = connection.await;
        });
        client
    }

    /// Runs psql with these arguments against the server.
    pub fn psql(&self, args: &[&str]) -> Output {
        Command::new("psql")
            .arg(self.conninfo())
            .args(["-X", "-v", "ON_ERROR_STOP=1"])
            .args(args)
            .output()
            .expect("psql is installed (the test command installs it)")
    }

    /// GET `path` on the metrics port: status line and body.
    pub fn http_get(&self, path: &str) -> (String, String) {
        use std::io::{Read, Write};
        let addr = self.metrics.expect("the metrics port is served");
        let mut s = std::net::TcpStream::connect(addr).expect("connect to the metrics port");
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut text = String::new();
        s.read_to_string(&mut text).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        (
            head.lines().next().unwrap_or_default().to_owned(),
            body.to_owned(),
        )
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills the process at once (SIGKILL), as a crash would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Sends SIGTERM, as `docker stop` or systemd would, and waits (at most a minute) for the
    /// process to exit; returns how it exited.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success(), "SIGTERM could not be sent");
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the server did not exit within a minute of SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().expect("wait").is_none()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where a server's log goes: the file `ALOE_TEST_SERVER_LOG` names (appended to, for looking
/// into a failure), or nowhere.
fn server_log() -> Stdio {
    match std::env::var_os("ALOE_TEST_SERVER_LOG") {
        Some(path) => std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map(Stdio::from)
            .expect("the server log file opens"),
        None => Stdio::null(),
    }
}

/// The SQLSTATE of a failed tokio-postgres call.
pub fn sqlstate(e: &tokio_postgres::Error) -> String {
    e.code()
        .map(|c| c.code().to_owned())
        .unwrap_or_else(|| format!("no SQLSTATE: {e}"))
}

/// The Python interpreter with the test clients: TEST_CLIENTS_PYTHON (set by
/// ./scripts/test-all), else its default venv under ~/.cache/aloe, else python3.
pub fn python() -> String {
    let default_venv = std::env::var("HOME")
        .map(|h| format!("{h}/.cache/aloe/test-venv/bin/python"))
        .ok()
        .filter(|p| std::path::Path::new(p).exists());
    std::env::var("TEST_CLIENTS_PYTHON")
        .ok()
        .or(default_venv)
        .unwrap_or_else(|| "python3".into())
}

/// Runs a Python `script` with the test clients and checks what it prints.
pub fn python_prints(script: &str, expected: &str) {
    let out = std::process::Command::new(python())
        .args(["-c", script])
        .output()
        .expect("python runs");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        expected,
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs `aloe ARGS` in `dir` to its end, without the caller's ALOE_* settings.
pub fn aloe(dir: &std::path::Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_aloe"));
    cmd.args(args).current_dir(dir);
    for (k, _) in std::env::vars() {
        if k.starts_with("ALOE_") {
            cmd.env_remove(k);
        }
    }
    cmd.output().expect("run aloe")
}

/// Writes `text` to `rel` under `dir`, creating folders.
pub fn write(dir: &std::path::Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().expect("a file in a folder")).expect("create folders");
    std::fs::write(path, text).expect("write the file");
}

/// The one BIGINT value `sql` answers.
pub async fn one_i64(c: &Client, sql: &str) -> i64 {
    c.query_one(sql, &[])
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e:?}"))
        .get(0)
}

/// Fails unless `promtool check metrics` accepts `text` (Prometheus' text format).
pub fn promtool_check(text: &str) {
    use std::io::Write;
    let mut promtool = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool (Debian package prometheus) is installed by the test command");
    promtool
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("write to promtool");
    let out = promtool.wait_with_output().expect("promtool ends");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The plan `EXPLAIN ANALYZE sql` prints, one operator per line.
pub async fn explain_analyze(c: &Client, sql: &str) -> String {
    c.query(&format!("EXPLAIN ANALYZE {sql}"), &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<_, String>(1))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The count `metric` shows on a line of `EXPLAIN ANALYZE` (DataFusion writes 2000, 2.00 K or
/// 1.5 M).
pub fn plan_count(line: &str, metric: &str) -> u64 {
    let figure = line
        .split(&format!("{metric}="))
        .nth(1)
        .and_then(|s| s.split([',', ']']).next())
        .unwrap_or_else(|| panic!("{metric} in {line}"))
        .trim();
    let (number, scale) = match figure.split_once(' ') {
        Some((n, "K")) => (n, 1e3),
        Some((n, "M")) => (n, 1e6),
        _ => (figure, 1.0),
    };
    let n: f64 = number
        .parse()
        .unwrap_or_else(|_| panic!("a count for {metric}: {figure}"));
    (n * scale).round() as u64
}

/// The repository's root folder (the e2e suite is declared by `server/aloe`).
pub fn repo() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the repository root")
}

/// Fails unless `stdout` has the lines of the expected file `rel` (a client's output against
/// PostgreSQL 15, as `label: answer`), except the labels in `differences`, each of which must
/// still give the answer listed with it: a known difference that is fixed shows as a failure,
/// so the list stays true.
pub fn answers_as_expected(stdout: &str, rel: &str, differences: &[(&str, &str)]) {
    let expected = std::fs::read_to_string(repo().join(rel)).expect("the expected answers");
    let got: Vec<&str> = stdout.lines().collect();
    let want: Vec<&str> = expected.lines().collect();
    assert_eq!(got.len(), want.len(), "{stdout}");
    for (got, want) in got.iter().zip(&want) {
        let (label, _) = want.split_once(": ").expect("label: answer");
        match differences.iter().find(|(l, _)| *l == label) {
            Some((_, aloe)) => assert_eq!(*got, format!("{label}: {aloe}"), "known difference"),
            None => assert_eq!(got, want),
        }
    }
}
