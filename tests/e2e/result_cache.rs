//! The result cache: a repeated query over gold is answered from it, a write through any
//! session ends it, and queries over bronze or with now() always run.

use crate::harness::{Server, one_i64};

fn counter(server: &Server, name: &str) -> i64 {
    let (_, body) = server.http_get("/metrics");
    body.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .map_or(0, |v| v.trim().parse().unwrap())
}

#[tokio::test]
async fn repeated_gold_queries_come_from_the_cache_until_a_write() {
    let server = Server::start();
    let writer = server.connect().await;
    let reader = server.connect().await;
    writer
        .batch_execute(
            "CREATE TABLE gold.scores AS SELECT * FROM (VALUES (1, 10), (2, 20)) AS t(id, points);\
             CREATE TABLE bronze.raw AS SELECT 1 AS id",
        )
        .await
        .unwrap();
    let sql = "SELECT sum(points)::bigint FROM gold.scores";
    assert_eq!(one_i64(&reader, sql).await, 30);
    let hits = counter(&server, "aloe_result_cache_hits_total");
    for _ in 0..3 {
        assert_eq!(one_i64(&reader, sql).await, 30);
    }
    assert_eq!(counter(&server, "aloe_result_cache_hits_total"), hits + 3);
    assert!(counter(&server, "aloe_result_cache_bytes") > 0);

    // A write from another session: the next read sees it.
    writer
        .batch_execute("INSERT INTO gold.scores VALUES (3, 12)")
        .await
        .unwrap();
    assert_eq!(one_i64(&reader, sql).await, 42);
    writer
        .batch_execute(
            "CREATE OR REPLACE TABLE gold.scores AS SELECT * FROM (VALUES (1, 5)) AS t(id, points)",
        )
        .await
        .unwrap();
    assert_eq!(one_i64(&reader, sql).await, 5);
    // Parameters are part of the key.
    let by_id = "SELECT points::bigint FROM gold.scores WHERE id = $1";
    let one: i64 = reader.query_one(by_id, &[&1i64]).await.unwrap().get(0);
    assert_eq!(one, 5);
    assert!(reader.query_opt(by_id, &[&2i64]).await.unwrap().is_none());

    // Never cached: bronze, and functions whose value changes.
    let hits = counter(&server, "aloe_result_cache_hits_total");
    for _ in 0..2 {
        one_i64(&reader, "SELECT count(*) FROM bronze.raw").await;
        reader
            .query_one("SELECT now(), sum(points) FROM gold.scores", &[])
            .await
            .unwrap();
    }
    assert_eq!(counter(&server, "aloe_result_cache_hits_total"), hits);
}

#[tokio::test]
async fn repeated_catalog_queries_come_from_the_cache_until_the_catalog_changes() {
    let server = Server::start();
    let writer = server.connect().await;
    let reader = server.connect().await;
    let sql = "SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n \
               ON n.oid = c.relnamespace WHERE n.nspname = 'gold'";
    let before = one_i64(&reader, sql).await;
    let hits = counter(&server, "aloe_result_cache_hits_total");
    assert_eq!(one_i64(&reader, sql).await, before);
    assert_eq!(one_i64(&reader, sql).await, before);
    assert_eq!(counter(&server, "aloe_result_cache_hits_total"), hits + 2);

    writer
        .batch_execute("CREATE TABLE gold.listed AS SELECT 1 AS id")
        .await
        .unwrap();
    assert_eq!(one_i64(&reader, sql).await, before + 1);
    writer
        .batch_execute("DROP TABLE gold.listed")
        .await
        .unwrap();
    assert_eq!(one_i64(&reader, sql).await, before);

    // pg_settings is the reading session's own: never cached.
    let settings = "SELECT setting FROM pg_catalog.pg_settings WHERE name = 'search_path'";
    let first: String = reader.query_one(settings, &[]).await.unwrap().get(0);
    reader
        .batch_execute("SET search_path = gold")
        .await
        .unwrap();
    let second: String = reader.query_one(settings, &[]).await.unwrap().get(0);
    assert_ne!(first, second);
    assert_eq!(second, "gold");
}
