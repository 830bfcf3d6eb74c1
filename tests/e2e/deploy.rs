//! The deployment files: docker-compose.yml validates, Prometheus accepts its config, Aloe
//! accepts the stack's configuration, Grafana's dashboard asks for metrics Aloe exports, and the
//! Dockerfile builds the binary with the README's command.

use std::path::PathBuf;
use std::process::Command;

fn root() -> PathBuf {
    crate::harness::repo()
}

fn succeeds(cmd: &mut Command) {
    let out = cmd
        .output()
        .expect("the tool is installed by the test command");
    assert!(
        out.status.success(),
        "{cmd:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn compose_prometheus_and_aloe_configs_are_valid() {
    let root = root();
    succeeds(
        Command::new("docker-compose")
            .args(["-f", "docker-compose.yml", "config", "-q"])
            .current_dir(&root),
    );
    succeeds(
        Command::new("promtool")
            .args(["check", "config", "deploy/prometheus/prometheus.yml"])
            .current_dir(&root),
    );
    let config = aloe_server::config::Config::load(
        Some(&root.join("deploy/aloe/aloe.toml")),
        std::iter::empty(),
    )
    .expect("the stack's aloe.toml loads");
    assert_eq!(config.kafka.len(), 1);
    assert_eq!(config.seed_bronze, Some(true));
    // Reachable from the other containers, so it declares a user to log in as.
    assert!(!config.listen.ip().is_loopback());
    assert_eq!(config.users.len(), 2);
    assert!(
        config
            .users
            .iter()
            .any(|u| u.role == aloe_engine::privileges::Role::Reader)
    );
}

#[test]
fn the_dashboard_asks_for_metrics_aloe_exports() {
    let root = root();
    let text =
        std::fs::read_to_string(root.join("deploy/grafana/dashboards/aloe-health.json")).unwrap();
    let dashboard: serde_json::Value = serde_json::from_str(&text).unwrap();
    let panels = dashboard["panels"].as_array().unwrap();
    assert!(panels.len() >= 8);
    // Every metric a panel names is declared in Aloe's metrics code.
    let mut declared = String::new();
    for dir in ["server/aloe/src/metrics", "server/engine/src/metrics"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            declared += &std::fs::read_to_string(entry.unwrap().path()).unwrap();
        }
    }
    let mut names = 0;
    for panel in panels {
        for target in panel["targets"].as_array().unwrap() {
            let expr = target["expr"].as_str().unwrap();
            for word in expr.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
                if let Some(name) = word.strip_prefix("aloe_") {
                    let base = ["_bucket", "_count", "_sum"]
                        .iter()
                        .find_map(|s| name.strip_suffix(s))
                        .unwrap_or(name);
                    assert!(
                        declared.contains(&format!("\"aloe_{base}\"")),
                        "{word} in panel {}",
                        panel["title"]
                    );
                    names += 1;
                }
            }
        }
    }
    assert!(names >= 10);
}

#[test]
fn the_dockerfile_builds_as_the_readme_says() {
    let root = root();
    let dockerfile = std::fs::read_to_string(root.join("deploy/aloe/Dockerfile")).unwrap();
    let build = dockerfile
        .lines()
        .find_map(|l| {
            l.strip_prefix("RUN ")
                .filter(|c| c.starts_with("cargo build"))
        })
        .expect("a cargo build step");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    assert!(readme.contains(build), "the README does not show `{build}`");
}

#[test]
fn the_readme_configuration_and_the_security_examples_load() {
    let root = crate::harness::repo();
    let dir = tempfile::tempdir().unwrap();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let block = readme
        .split("```toml\n# aloe.toml\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("the README's aloe.toml block");
    let file = dir.path().join("aloe.toml");
    std::fs::write(&file, block).unwrap();
    let config = aloe_server::config::Config::load(Some(&file), std::iter::empty())
        .unwrap_or_else(|e| panic!("the README's aloe.toml does not load: {e}"));
    assert_eq!(config.limits.max_message_bytes(), 64 << 20);
    assert_eq!(config.auth.trust, Some(false));
    let security = std::fs::read_to_string(root.join("docs/security.md")).unwrap();
    let examples: Vec<&str> = security
        .split("```toml\n")
        .skip(1)
        .filter_map(|rest| rest.split("```").next())
        .collect();
    assert!(examples.len() >= 2);
    for example in examples {
        // The examples elide verifiers; a real one stands in.
        let verifier = aloe_wire::auth::scram::Verifier::generate("pw").to_string();
        let text = example.replace("SCRAM-SHA-256$4096:...$...:...", &verifier);
        std::fs::write(&file, text).unwrap();
        aloe_server::config::Config::load(Some(&file), std::iter::empty())
            .unwrap_or_else(|e| panic!("docs/security.md example does not load: {e}\n{example}"));
    }
}

/// `1.95.0` or `1.95` as (major, minor).
fn version(text: &str) -> (u32, u32) {
    let mut parts = text
        .trim()
        .split('.')
        .map(|p| p.parse::<u32>().expect("a number"));
    (parts.next().expect("major"), parts.next().unwrap_or(0))
}

/// The image's toolchain is at least the workspace's declared minimum, and that minimum is
/// at least every locked crate's `rust-version` (read from `cargo metadata`): an image on an
/// older Rust cannot build the locked crates, and a declared minimum below theirs is untrue.
#[test]
fn the_image_toolchain_and_declared_minimum_fit_every_locked_crate() {
    // This machine's platform: the crates of other platforms are not downloaded here.
    let rustc = Command::new("rustc")
        .arg("-vV")
        .output()
        .expect("rustc -vV");
    let host = String::from_utf8_lossy(&rustc.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_owned))
        .expect("rustc names its host");
    let out = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--locked", "--offline"])
        .args(["--filter-platform", &host])
        .current_dir(root())
        .output()
        .expect("cargo metadata");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let metadata: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let packages = metadata["packages"].as_array().expect("packages");
    let (needed, by) = packages
        .iter()
        .filter_map(|p| Some((version(p["rust_version"].as_str()?), p["name"].as_str()?)))
        .max()
        .expect("some crate declares a rust-version");
    let workspace_toml = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let declared = workspace_toml
        .lines()
        .find_map(|l| l.strip_prefix("rust-version = "))
        .map(|v| version(v.trim_matches('"')))
        .expect("the workspace declares rust-version");
    assert!(
        declared >= needed,
        "the workspace declares Rust {declared:?}, but {by} needs {needed:?}"
    );
    let dockerfile = std::fs::read_to_string(root().join("deploy/aloe/Dockerfile")).unwrap();
    let image = dockerfile
        .lines()
        .find_map(|l| l.strip_prefix("FROM rust:"))
        .and_then(|rest| rest.split('-').next())
        .map(version)
        .expect("the Dockerfile builds FROM rust:<version>-...");
    assert!(
        image >= declared,
        "the image's Rust {image:?} is older than the declared minimum {declared:?}"
    );
}
