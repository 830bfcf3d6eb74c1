//! The lake on local disk: tables found by listing the zones, every write statement persisted
//! and there again after a restart, paths confined to the zones, and a write interrupted by
//! killing the server leaving the table as it was.

use std::path::Path;
use std::time::Duration;

use tokio_postgres::Client;

use crate::harness::{Server, sqlstate};

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

async fn count(client: &Client, table: &str) -> i64 {
    client
        .query_one(&format!("SELECT count(*) FROM {table}"), &[])
        .await
        .unwrap_or_else(|e| panic!("count {table}: {e}"))
        .get(0)
}

/// The first column of every row `sql` returns.
async fn column<T>(client: &Client, sql: &str) -> Vec<T>
where
    T: for<'a> tokio_postgres::types::FromSql<'a>,
{
    client
        .query(sql, &[])
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .iter()
        .map(|r| r.get(0))
        .collect()
}

async fn refused(client: &Client, sql: &str) -> (String, String) {
    let e = client
        .batch_execute(sql)
        .await
        .expect_err(&format!("{sql} should fail"));
    let message = e
        .as_db_error()
        .map(|d| d.message().to_owned())
        .unwrap_or_default();
    (sqlstate(&e), message)
}

#[tokio::test]
async fn tables_are_found_by_listing_each_format() {
    let dir = tempfile::tempdir().unwrap();
    let bronze = dir.path().join("data/bronze");
    // JSON lines in hive partitions: dt becomes a column.
    write(
        &bronze.join("events/dt=2025-01-01/part-1.jsonl"),
        "{\"user\":\"a\",\"page\":\"/\"}\n{\"user\":\"b\",\"page\":\"/shop\"}\n",
    );
    write(
        &bronze.join("events/dt=2025-01-02/part-1.jsonl"),
        "{\"user\":\"a\",\"page\":\"/cart\"}\n",
    );
    // CSV with a header.
    write(
        &bronze.join("spend/2025-01.csv"),
        "day,channel,eur\n2025-01-01,search,12.5\n2025-01-01,social,7.25\n",
    );
    // CSV without a header, described by a table file.
    write(
        &bronze.join("influencers/posts.csv"),
        "1;anna;2025-01-03\n2;ben;2025-01-04\n3;cleo;2025-01-05\n",
    );
    write(
        &bronze.join("influencers/_aloe_table.toml"),
        "format = 'csv'\ndescription = 'Influencer posts as exported'\n\
         [options]\ndelimiter = ';'\nheader = 'false'\n\
         [[columns]]\nname = 'post_id'\ntype = 'bigint'\n\
         [[columns]]\nname = 'handle'\ntype = 'text'\n\
         [[columns]]\nname = 'posted'\ntype = 'date'\n",
    );
    // A data file directly under the zone is a table named by its stem.
    write(&bronze.join("rates.csv"), "currency,rate\nUSD,1.08\n");
    // Aloe's own folders and hidden files are never tables.
    write(&bronze.join("_scratch/x.csv"), "a\n1\n");
    write(&bronze.join(".hidden.csv"), "a\n1\n");

    // Parquet and Delta are made by a first server, then found by a second one.
    {
        let server = Server::start_in(dir.path(), &[], &[]);
        let client = server.connect().await;
        client
            .batch_execute(
                "COPY (SELECT * FROM gen.products) TO 'bronze/products/p.parquet' (FORMAT parquet);
                 CREATE TABLE silver.orders AS SELECT * FROM gen.orders",
            )
            .await
            .unwrap();
    }
    let server = Server::start_in(dir.path(), &[], &[]);
    let client = server.connect().await;

    let events = client
        .query(
            "SELECT dt, count(*) FROM bronze.events GROUP BY dt ORDER BY dt",
            &[],
        )
        .await
        .unwrap();
    let by_day: Vec<(String, i64)> = events.iter().map(|r| (r.get(0), r.get(1))).collect();
    assert_eq!(
        by_day,
        vec![("2025-01-01".to_owned(), 2), ("2025-01-02".to_owned(), 1)]
    );
    let spend: f64 = client
        .query_one("SELECT sum(eur) FROM bronze.spend", &[])
        .await
        .unwrap()
        .get(0);
    assert!((spend - 19.75).abs() < 1e-9, "{spend}");
    let handles: Vec<String> = column(
        &client,
        "SELECT handle FROM bronze.influencers WHERE posted > DATE '2025-01-03' ORDER BY post_id",
    )
    .await;
    assert_eq!(handles, ["ben", "cleo"]);
    assert_eq!(count(&client, "bronze.rates").await, 1);
    assert_eq!(count(&client, "bronze.products").await, 120);
    assert_eq!(
        count(&client, "silver.orders").await,
        count(&client, "gen.orders").await
    );

    let names: Vec<String> = column(
        &client,
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'bronze' \
             ORDER BY table_name",
    )
    .await;
    assert_eq!(
        names,
        ["events", "influencers", "products", "rates", "spend"]
    );
    let description: Option<String> = client
        .query_one(
            "SELECT obj_description('bronze.influencers'::regclass, 'pg_class')",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(description.as_deref(), Some("Influencer posts as exported"));
}

#[tokio::test]
async fn files_landed_in_a_raw_folder_after_a_scan_are_read_by_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let bronze = dir.path().join("data/bronze");
    write(&bronze.join("exports/dt=2025-01-01/part.csv"), "n\n1\n2\n");
    let server = Server::start_in(dir.path(), &[], &[]);
    let client = server.connect().await;
    assert_eq!(count(&client, "bronze.exports").await, 2);
    // The next day's export, in a new partition folder and as a second file of the first.
    write(&bronze.join("exports/dt=2025-01-02/part.csv"), "n\n3\n");
    write(&bronze.join("exports/dt=2025-01-01/late.csv"), "n\n4\n");
    assert_eq!(count(&client, "bronze.exports").await, 4);
    std::fs::remove_file(bronze.join("exports/dt=2025-01-01/part.csv")).unwrap();
    assert_eq!(count(&client, "bronze.exports").await, 2);
}

#[tokio::test]
async fn every_write_statement_persists_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    {
        let server = Server::start_in(dir.path(), &[], &[]);
        let client = server.connect().await;
        client
            .batch_execute(
                "CREATE TABLE silver.orders AS SELECT * FROM gen.orders WHERE order_id <= 100;
                 CREATE TABLE IF NOT EXISTS silver.orders AS SELECT * FROM gen.orders;
                 INSERT INTO silver.orders SELECT * FROM gen.orders WHERE order_id BETWEEN 101 AND 150;
                 CREATE OR REPLACE TABLE gold.payments AS SELECT 'none' AS payment_method;
                 CREATE OR REPLACE TABLE gold.payments AS
                     SELECT payment_method, count(*) AS orders FROM silver.orders GROUP BY payment_method;
                 CREATE TABLE customers (id BIGINT, name VARCHAR, since DATE, spend NUMERIC(10,2));
                 INSERT INTO customers VALUES (1, 'Ada', DATE '2024-02-01', 12.50), (2, 'Bo', NULL, 0);
                 INSERT INTO customers (id, name) VALUES (3, 'Cy');
                 CREATE TABLE bronze.scratch AS SELECT 1 AS x;
                 DROP TABLE bronze.scratch;
                 DROP TABLE IF EXISTS bronze.never_was;
                 CREATE VIEW gold.big_orders AS SELECT order_id, revenue FROM silver.orders WHERE revenue > 100;
                 CREATE OR REPLACE VIEW gold.big_orders AS SELECT order_id, revenue FROM silver.orders WHERE revenue > 50;
                 CREATE VIEW gold.gone AS SELECT 1 AS x;
                 DROP VIEW gold.gone;
                 COPY (SELECT * FROM gen.products) TO 'bronze/exports/products.parquet' (FORMAT parquet);
                 COPY (SELECT * FROM gen.products) TO 'bronze/csv_exports/products.csv' (FORMAT csv, HEADER);
                 COPY (SELECT * FROM gen.products) TO 'bronze/json_exports/products.json' (FORMAT json);",
            )
            .await
            .unwrap();
        // CREATE INDEX is accepted with a notice; DROP INDEX forgets it.
        client
            .batch_execute(
                "CREATE INDEX customers_name ON customers (name);
                 CREATE INDEX orders_customer ON silver.orders (customer_id);
                 DROP INDEX customers_name;
                 COMMENT ON TABLE silver.orders IS 'Orders, cleaned';",
            )
            .await
            .unwrap();
        assert_eq!(count(&client, "silver.orders").await, 150);
    }
    let server = Server::start_in(dir.path(), &[], &[]);
    let client = server.connect().await;
    assert_eq!(count(&client, "silver.orders").await, 150);
    // Row counts known from the Delta log, as clients read them from pg_stat_user_tables.
    let live: Vec<(String, i64)> = client
        .query(
            "SELECT schemaname || '.' || relname, n_live_tup FROM pg_stat_user_tables \
             WHERE schemaname IN ('silver', 'public') ORDER BY 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(
        live,
        vec![
            ("public.customers".into(), 3),
            ("silver.orders".into(), 150)
        ]
    );
    let payment_total: i64 = client
        .query_one("SELECT sum(orders)::BIGINT FROM gold.payments", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(payment_total, 150);
    let customers = client
        .query(
            "SELECT id, name, spend::TEXT FROM customers ORDER BY id",
            &[],
        )
        .await
        .unwrap();
    let rows: Vec<(i64, String, Option<String>)> = customers
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(
        rows,
        vec![
            (1, "Ada".into(), Some("12.50".into())),
            (2, "Bo".into(), Some("0.00".into())),
            (3, "Cy".into(), None)
        ]
    );
    let (code, _) = refused(&client, "SELECT * FROM bronze.scratch").await;
    assert_eq!(code, "42P01");
    let (code, _) = refused(&client, "SELECT * FROM gold.gone").await;
    assert_eq!(code, "42P01");
    let big = count(&client, "gold.big_orders").await;
    let expected = client
        .query_one("SELECT count(*) FROM silver.orders WHERE revenue > 50", &[])
        .await
        .unwrap()
        .get::<_, i64>(0);
    assert_eq!(big, expected);
    // The view reads its table as it is now, not as it was when the view was made.
    client
        .batch_execute(
            "INSERT INTO silver.orders SELECT * FROM gen.orders WHERE order_id BETWEEN 151 AND 400",
        )
        .await
        .unwrap();
    let after = count(&client, "gold.big_orders").await;
    assert!(after > big, "{after} > {big}");
    assert_eq!(count(&client, "bronze.exports").await, 120);
    assert_eq!(count(&client, "bronze.csv_exports").await, 120);
    assert_eq!(count(&client, "bronze.json_exports").await, 120);
    let indexes: Vec<String> = column(
        &client,
        "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid ORDER BY 1",
    )
    .await;
    assert_eq!(indexes, ["orders_customer"]);
    // psql shows the notice CREATE INDEX sends.
    let out = server.psql(&[
        "-c",
        "CREATE INDEX orders_day ON silver.orders (order_date)",
    ]);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("NOTICE:") && stderr.contains("scans columnar data"),
        "{stderr}"
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "CREATE INDEX");
    let description: Option<String> = client
        .query_one(
            "SELECT obj_description('silver.orders'::regclass, 'pg_class')",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(description.as_deref(), Some("Orders, cleaned"));
}

#[tokio::test]
async fn bad_writes_get_their_sqlstate_and_change_nothing() {
    let server = Server::start();
    let client = server.connect().await;
    client
        .batch_execute(
            "CREATE TABLE silver.t AS SELECT 1 AS x;
             COPY (SELECT 1 AS a) TO 'bronze/raw/one.csv' (FORMAT csv, HEADER)",
        )
        .await
        .unwrap();
    let cases = [
        ("CREATE TABLE silver.t AS SELECT 2 AS x", "42P07"),
        ("DROP TABLE silver.nope", "42P01"),
        ("DROP VIEW silver.t", "42809"),
        ("INSERT INTO gen.orders SELECT * FROM gen.orders", "42501"),
        ("CREATE TABLE gen.mine AS SELECT 1", "42501"),
        ("CREATE TABLE nowhere.t AS SELECT 1", "3F000"),
        ("CREATE SCHEMA silver", "42P06"),
        ("UPDATE silver.t SET x = 3", "0A000"),
        ("DELETE FROM silver.t", "0A000"),
        ("CREATE TEMPORARY TABLE tmp AS SELECT 1", "0A000"),
        ("DROP INDEX no_such_index", "42704"),
        (
            "CREATE OR REPLACE TABLE bronze.raw AS SELECT 2 AS a",
            "42809",
        ),
        ("COPY (SELECT 1) TO 'bronze/x.txt' (FORMAT text)", "0A000"),
        ("COMMENT ON TABLE silver.nope IS 'x'", "42P01"),
        ("COMMENT ON COLUMN silver.t.x IS 'x'", "0A000"),
        ("CREATE INDEX ON silver.nope (x)", "42P01"),
        ("INSERT INTO silver.t SELECT 1 / 0", "22012"),
        (
            "CREATE OR REPLACE TABLE silver.t AS SELECT 1 / 0 AS x",
            "22012",
        ),
    ];
    for (sql, expected) in cases {
        let (code, message) = refused(&client, sql).await;
        assert_eq!(code, expected, "{sql}: {message}");
        assert!(!message.is_empty());
    }
    let x: Vec<i64> = client
        .query("SELECT x FROM silver.t", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(x, [1], "failed writes left the table as it was");
}

#[tokio::test]
async fn paths_outside_the_zones_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let outside = dir.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("secret.csv"), "a\n1\n").unwrap();
    let server = Server::start_in(dir.path(), &[], &[]);
    let client = server.connect().await;
    let outside_url = format!("file://{}/secret.csv", outside.display());
    let statements = [
        "COPY (SELECT 1) TO '/tmp/aloe-escape.csv'".to_owned(),
        "COPY (SELECT 1) TO '../outside/x.csv'".to_owned(),
        "COPY (SELECT 1) TO 'gold/../../outside/x.csv'".to_owned(),
        "COPY (SELECT 1) TO 'gold/%2e%2e/x.csv'".to_owned(),
        "COPY (SELECT 1) TO 's3://someone-elses-bucket/x.csv'".to_owned(),
        "COPY (SELECT 1) TO 'platinum/x.csv'".to_owned(),
        "COPY (SELECT 1 AS a) TO '../outside/df.csv' STORED AS CSV".to_owned(),
        format!("CREATE EXTERNAL TABLE bronze.secret STORED AS CSV LOCATION '{outside_url}'"),
        "CREATE EXTERNAL TABLE bronze.passwd STORED AS CSV LOCATION '/etc/passwd'".to_owned(),
        "CREATE EXTERNAL TABLE bronze.up STORED AS CSV LOCATION 'bronze/../../outside/'".to_owned(),
        "CREATE EXTERNAL TABLE bronze.cross STORED AS CSV LOCATION 'gold/somewhere/'".to_owned(),
    ];
    for sql in &statements {
        let (code, message) = refused(&client, sql).await;
        assert_eq!(code, "42501", "{sql}: {message}");
    }
    assert!(!outside.join("x.csv").exists());
    assert!(!outside.join("df.csv").exists());
    assert!(!Path::new("/tmp/aloe-escape.csv").exists());
    // Nothing was registered, and the server still answers. A path in FROM is a table name,
    // never a file (DataFusion's URL tables stay off).
    let (code, _) = refused(&client, "SELECT * FROM bronze.secret").await;
    assert_eq!(code, "42P01");
    let (code, _) = refused(&client, "SELECT * FROM '/etc/passwd'").await;
    assert_eq!(code, "42P01");
    let (code, _) = refused(&client, &format!("SELECT * FROM '{outside_url}'")).await;
    assert_eq!(code, "42P01");
    // Inside the zones the same statements work.
    client
        .batch_execute(
            "COPY (SELECT 1 AS a) TO 'bronze/landing/one.csv' (FORMAT csv, HEADER);
             CREATE EXTERNAL TABLE bronze.landed STORED AS CSV LOCATION 'bronze/landing/'
                 OPTIONS ('format.has_header' 'true')",
        )
        .await
        .unwrap();
    assert_eq!(count(&client, "bronze.landed").await, 1);
    // Dropping the external table forgets it; the files it pointed at stay.
    client
        .batch_execute("DROP TABLE bronze.landed")
        .await
        .unwrap();
    let (code, _) = refused(&client, "SELECT * FROM bronze.landed").await;
    assert_eq!(code, "42P01");
    assert!(dir.path().join("data/bronze/landing/one.csv").exists());
}

#[tokio::test]
async fn a_write_interrupted_by_killing_the_server_leaves_the_table_as_before() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start_in(dir.path(), &[], &[]);
    let client = server.connect().await;
    client
        .batch_execute(
            "CREATE TABLE silver.facts AS SELECT value AS id FROM generate_series(1, 1000)",
        )
        .await
        .unwrap();
    // A replacement big enough to still be running when the server is killed.
    let writer = tokio::spawn(async move {
        client
            .batch_execute(
                "CREATE OR REPLACE TABLE silver.facts AS \
                 SELECT value AS id, md5(CAST(value AS VARCHAR)) AS h \
                 FROM generate_series(1, 200000000)",
            )
            .await
    });
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(!writer.is_finished(), "the write finished before the kill");
    server.kill();
    assert!(
        writer.await.unwrap().is_err(),
        "the client saw the connection die"
    );

    let server = Server::start_in(dir.path(), &[], &[]);
    let client = server.connect().await;
    let row = client
        .query_one("SELECT count(*), sum(id) FROM silver.facts", &[])
        .await
        .unwrap();
    assert_eq!(row.get::<_, i64>(0), 1000);
    assert_eq!(row.get::<_, i64>(1), 500_500);
    let columns = client
        .query_one("SELECT * FROM silver.facts LIMIT 1", &[])
        .await
        .unwrap()
        .len();
    assert_eq!(columns, 1, "the old schema is still the table's");
}
