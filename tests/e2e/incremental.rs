//! Incremental models: a run rebuilds only the partitions whose source folders changed (added,
//! rewritten or deleted files), nothing when nothing changed, and the whole table the first
//! time; other partitions' files are not touched.

use std::path::{Path, PathBuf};

use crate::harness::{Server, aloe};

const MODEL: &str = "/*\nmaterialized = \"incremental\"\npartition_by = \"event_date\"\n\
[[test]]\ntype = \"unique\"\ncolumns = [\"event_date\", \"event_type\"]\n*/\n\
SELECT CAST(event_date AS DATE) AS event_date, event_type, count(*) AS events\n\
FROM bronze.web_events GROUP BY 1, 2\n";

fn run(dir: &Path) -> String {
    let out = aloe(dir, &["run"]);
    let report = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{report}");
    report
}

fn day_files(dir: &Path, day: &str) -> Vec<PathBuf> {
    let folder = dir.join(format!("data/silver/daily_events/event_date={day}"));
    let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
        .unwrap_or_else(|e| panic!("{}: {e}", folder.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

/// Cuts the first file of a day's folder down to its first `n` events.
fn keep_first_events(day: &std::path::Path, n: usize) {
    let file = std::fs::read_dir(day)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let text = std::fs::read_to_string(&file).unwrap();
    let kept: String = text.lines().take(n).map(|l| format!("{l}\n")).collect();
    std::fs::write(&file, kept).unwrap();
}

async fn counts(c: &tokio_postgres::Client, table: &str) -> Vec<(String, i64)> {
    let sql = if table == "bronze" {
        "SELECT dt, count(*) FROM bronze.web_events GROUP BY 1 ORDER BY 1".to_string()
    } else {
        "SELECT CAST(event_date AS VARCHAR), CAST(sum(events) AS BIGINT) FROM silver.daily_events \
         GROUP BY 1 ORDER BY 1"
            .to_string()
    };
    c.query(&sql, &[])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

#[tokio::test]
async fn only_changed_partitions_are_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let out = aloe(
        dir.path(),
        &[
            "generate",
            "web",
            "--start-date",
            "2025-11-26",
            "--end-date",
            "2025-11-28",
            "--events-per-day",
            "500",
            "--initial-customers",
            "100",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let model = dir.path().join("sql/silver/daily_events.sql");
    std::fs::create_dir_all(model.parent().unwrap()).unwrap();
    std::fs::write(&model, MODEL).unwrap();

    let first = run(dir.path());
    assert!(
        first.contains("incremental: full build (first build)"),
        "{first}"
    );
    let again = run(dir.path());
    assert!(again.contains("no source partition changed"), "{again}");
    let untouched = day_files(dir.path(), "2025-11-26");

    // Rewrite one day's file with its first ten events, and delete another day.
    let bronze = dir.path().join("data/bronze/web_events");
    keep_first_events(&bronze.join("dt=2025-11-27"), 10);
    std::fs::remove_dir_all(bronze.join("dt=2025-11-28")).unwrap();
    let changed = run(dir.path());
    assert!(
        changed.contains("incremental: 2 partitions rebuilt (2025-11-27, 2025-11-28)"),
        "{changed}"
    );
    assert_eq!(
        day_files(dir.path(), "2025-11-26"),
        untouched,
        "an unchanged partition's files are not rewritten"
    );

    let server = Server::start_in(dir.path(), &[], &[]);
    let c = server.connect().await;
    let bronze_counts = counts(&c, "bronze").await;
    assert_eq!(bronze_counts.len(), 2);
    assert_eq!(bronze_counts[1], ("2025-11-27".to_string(), 10));
    assert_eq!(counts(&c, "silver").await, bronze_counts);
    let kind: String = c
        .query_one(
            "SELECT materialized FROM aloe.models WHERE name = 'daily_events'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(kind, "incremental");

    // An incremental run inside the server replaces partitions outside the planned-write
    // path; results cached before it must not survive it.
    let before = counts(&c, "silver").await;
    assert_eq!(counts(&c, "silver").await, before);
    keep_first_events(&bronze.join("dt=2025-11-26"), 5);
    c.batch_execute("CALL aloe.run('silver.daily_events')")
        .await
        .unwrap();
    let after = counts(&c, "silver").await;
    assert_eq!(after[0], ("2025-11-26".to_string(), 5), "{after:?}");
}

#[tokio::test]
async fn an_incremental_model_without_partition_by_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("sql/silver/x.sql");
    std::fs::create_dir_all(model.parent().unwrap()).unwrap();
    std::fs::write(
        &model,
        "/* materialized = \"incremental\" */\nSELECT 1 AS x",
    )
    .unwrap();
    let out = aloe(dir.path(), &["run"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("x.sql") && stderr.contains("partition_by"),
        "{stderr}"
    );
    // A partition column the result does not have fails the model, naming the column.
    std::fs::write(
        &model,
        "/*\nmaterialized = \"incremental\"\npartition_by = \"day\"\n*/\nSELECT 1 AS x",
    )
    .unwrap();
    let out = aloe(dir.path(), &["run"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("\"day\" is not in the model's result"),
        "{stderr}"
    );
}
