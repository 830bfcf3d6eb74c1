//! CREATE SCHEMA and DROP SCHEMA as dbt and PostgreSQL users send them: schemas kept in the
//! lake beside the zones, served after a restart, listed where clients look, and refused with
//! PostgreSQL's SQLSTATEs where PostgreSQL refuses (duplicate, missing, not empty), or where a
//! name would leave the lake.

use crate::harness::{Server, one_i64, sqlstate};

#[tokio::test]
async fn schemas_are_kept_in_the_lake_and_dropped_as_postgres_drops_them() {
    let dir = tempfile::tempdir().unwrap();
    {
        let server = Server::start_in(dir.path(), &[], &[]);
        let c = server.connect().await;
        c.batch_execute(
            "CREATE SCHEMA IF NOT EXISTS \"analytics_marts\";
             CREATE SCHEMA IF NOT EXISTS analytics_marts;
             CREATE TABLE analytics_marts.orders AS SELECT * FROM gen.orders WHERE order_id <= 40;
             CREATE VIEW analytics_marts.big AS SELECT * FROM analytics_marts.orders WHERE revenue > 50;
             CREATE SCHEMA aloe.empty_one;",
        )
        .await
        .unwrap();
        // What PostgreSQL 15 answers to each of these.
        for (sql, code) in [
            ("CREATE SCHEMA analytics_marts", "42P06"),
            ("CREATE SCHEMA gold", "42P06"),
            ("DROP SCHEMA nowhere", "3F000"),
            ("DROP SCHEMA analytics_marts", "2BP01"),
            ("DROP SCHEMA analytics_marts RESTRICT", "2BP01"),
            // Aloe's own refusals: the zones and the server's schemas stay, and a name that is
            // not one plain folder name would leave the lake.
            ("DROP SCHEMA gold", "0A000"),
            ("DROP SCHEMA gen CASCADE", "0A000"),
            ("CREATE SCHEMA \"../outside\"", "42501"),
            ("CREATE SCHEMA \"_views\"", "42501"),
        ] {
            let e = c.batch_execute(sql).await.unwrap_err();
            assert_eq!(sqlstate(&e), code, "{sql}: {e:?}");
        }
        c.batch_execute("DROP SCHEMA IF EXISTS nowhere")
            .await
            .unwrap();
        assert!(!dir.path().join("outside").exists());
    }

    // After a restart: the schemas, their table and view, listed as clients list them.
    let server = Server::start_in(dir.path(), &[], &[]);
    let c = server.connect().await;
    assert_eq!(
        one_i64(&c, "SELECT count(*) FROM analytics_marts.orders").await,
        40
    );
    assert_eq!(
        one_i64(
            &c,
            "SELECT count(*) FROM analytics_marts.big WHERE revenue <= 50"
        )
        .await,
        0
    );
    assert_eq!(
        one_i64(
            &c,
            "SELECT count(*) FROM pg_namespace WHERE nspname IN ('analytics_marts', 'empty_one')"
        )
        .await,
        2
    );
    assert_eq!(
        one_i64(
            &c,
            "SELECT count(*) FROM information_schema.schemata \
             WHERE schema_name IN ('analytics_marts', 'empty_one')"
        )
        .await,
        2
    );
    let kinds: Vec<(String, String)> = c
        .query(
            "SELECT table_name, table_type FROM information_schema.tables \
             WHERE table_schema = 'analytics_marts' ORDER BY 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(
        kinds,
        [
            ("big".to_owned(), "VIEW".to_owned()),
            ("orders".to_owned(), "BASE TABLE".to_owned())
        ]
    );
    // The schemas' tables are not tables of public.
    assert_eq!(
        one_i64(
            &c,
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        )
        .await,
        0
    );
    c.batch_execute("DROP SCHEMA analytics_marts CASCADE; DROP SCHEMA empty_one")
        .await
        .unwrap();
    let e = c
        .batch_execute("SELECT * FROM analytics_marts.orders")
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&e), "42P01", "{e:?}");
    let left: Vec<_> = std::fs::read_dir(dir.path().join("data/public/_schemas"))
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "{left:?}");
    drop(c);
    drop(server);
    let server = Server::start_in(dir.path(), &[], &[]);
    let c = server.connect().await;
    assert_eq!(
        one_i64(
            &c,
            "SELECT count(*) FROM pg_namespace WHERE nspname IN ('analytics_marts', 'empty_one')"
        )
        .await,
        0
    );
}
