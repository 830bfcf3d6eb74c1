//! pg_catalog as clients read it: psql's meta-commands, stable OIDs that agree between
//! catalog tables, and PostgreSQL's identity functions.

use crate::harness::{Server, one_i64, sqlstate};

fn psql_ok(server: &Server, args: &[&str]) -> String {
    let out = server.psql(args);
    assert!(
        out.status.success(),
        "psql {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn psql_lists_databases_schemas_tables_and_views() {
    let server = Server::start();
    let databases = psql_ok(&server, &["-c", "\\l"]);
    assert!(databases.contains(" aloe "), "{databases}");
    let schemas = psql_ok(&server, &["-c", "\\dn"]);
    for s in ["gen", "public"] {
        assert!(schemas.contains(&format!(" {s} ")), "{schemas}");
    }
    let tables = psql_ok(&server, &["-c", "\\dt gen.*"]);
    for t in [
        "customers",
        "orders",
        "order_items",
        "products",
        "web_events",
        "truth_campaign_daily",
    ] {
        assert!(tables.contains(&format!("| {t} ")), "{tables}");
    }
    psql_ok(
        &server,
        &[
            "-c",
            "CREATE VIEW public.big_orders AS SELECT * FROM gen.orders WHERE revenue > 50",
        ],
    );
    let views = psql_ok(&server, &["-c", "\\dv"]);
    assert!(
        views.contains("big_orders") && views.contains("view"),
        "{views}"
    );
    let described = psql_ok(&server, &["-c", "\\d gen.products"]);
    assert!(described.contains("Table \"gen.products\""), "{described}");
    for line in [
        // As PostgreSQL 15 shows a table of the same columns.
        " product_id  | bigint        |           | not null |",
        " price       | numeric(12,2) |           | not null |",
        " launch_date | date          |           | not null |",
    ] {
        assert!(described.contains(line), "{described}");
    }
    let functions = psql_ok(&server, &["-c", "\\df pg_catalog.upper"]);
    assert!(
        functions.contains("| upper | text             | text"),
        "{functions}"
    );
    let none = psql_ok(&server, &["-c", "\\df"]);
    assert!(
        none.contains("(0 rows)"),
        "Aloe defines no functions of its own: {none}"
    );
    let view = psql_ok(&server, &["-c", "\\d public.big_orders"]);
    assert!(view.contains("View \"public.big_orders\""), "{view}");
    let expanded = psql_ok(
        &server,
        &[
            "-c",
            "\\x on",
            "-c",
            "SELECT name, price FROM gen.products WHERE product_id = 1",
        ],
    );
    assert!(expanded.contains("-[ RECORD 1 ]"), "{expanded}");
    assert!(expanded.contains("Nourishing Oat Cleanser"), "{expanded}");
}

#[tokio::test]
async fn oids_agree_between_catalog_tables_and_sessions() {
    let server = Server::start();
    let a = server.connect().await;
    let b = server.connect().await;
    let q = "SELECT c.oid::int8 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n \
             ON c.relnamespace = n.oid WHERE n.nspname = 'gen' AND c.relname = 'products'";
    let oid_a: i64 = a.query_one(q, &[]).await.unwrap().get(0);
    let oid_b: i64 = b.query_one(q, &[]).await.unwrap().get(0);
    assert_eq!(oid_a, oid_b, "two sessions see one numbering");
    let columns: Vec<String> = a
        .query(
            &format!(
                "SELECT attname FROM pg_catalog.pg_attribute WHERE attrelid = {oid_a} \
                 AND attnum > 0 ORDER BY attnum"
            ),
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        columns,
        [
            "product_id",
            "sku",
            "name",
            "category",
            "subcategory",
            "price",
            "cost",
            "launch_date"
        ]
    );
}

/// OIDs of gen's tables and of their schema, from pg_class, pg_attribute and a regclass cast.
async fn gen_oids(c: &tokio_postgres::Client) -> Vec<(String, i64, i64, i64, i64)> {
    let q = "SELECT c.relname, c.oid::int8, n.oid::int8, \
             (SELECT min(a.attrelid)::int8 FROM pg_catalog.pg_attribute a WHERE a.attrelid = c.oid), \
             'gen.orders'::regclass::oid::int8 \
             FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON c.relnamespace = n.oid \
             WHERE n.nspname = 'gen' ORDER BY 1";
    c.query(q, &[])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
        .collect()
}

#[tokio::test]
async fn oids_are_the_same_after_a_restart_and_a_new_table() {
    let dir = tempfile::tempdir().unwrap();
    let first = {
        let server = Server::start_in(dir.path(), &[], &[]);
        let c = server.connect().await;
        let before = gen_oids(&c).await;
        assert_eq!(before.len(), 13, "every table of gen: {before:?}");
        for (name, oid, _, attrelid, regclass) in &before {
            assert!(*oid >= 16384, "{name}: a user OID");
            assert_eq!(attrelid, oid, "{name}: pg_attribute agrees with pg_class");
            if name == "orders" {
                assert_eq!(regclass, oid, "{name}: regclass agrees with pg_class");
            }
        }
        // A table that lists before all others, in a schema that lists before gen.
        c.batch_execute("CREATE TABLE bronze.aaa_first AS SELECT 1 AS x")
            .await
            .unwrap();
        assert_eq!(
            gen_oids(&c).await,
            before,
            "same process, after a new table"
        );
        before
    };
    let server = Server::start_in(dir.path(), &[], &[]);
    let c = server.connect().await;
    assert_eq!(gen_oids(&c).await, first, "after a restart");
    let fixed: Vec<(String, i64)> = c
        .query(
            "SELECT nspname::text, oid::int8 FROM pg_catalog.pg_namespace \
             WHERE nspname IN ('pg_catalog', 'public') ORDER BY 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(
        fixed,
        [("pg_catalog".to_string(), 11), ("public".to_string(), 2200)]
    );
    let postgres: i64 = c
        .query_one(
            "SELECT oid::int8 FROM pg_catalog.pg_database WHERE datname = 'postgres'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(postgres, 5);
    let dupes: i64 = c
        .query_one(
            "SELECT count(*) - count(DISTINCT oid) FROM pg_catalog.pg_class",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(dupes, 0, "pg_class OIDs are unique");
}

#[tokio::test]
async fn identity_functions_answer_as_postgresql() {
    let server = Server::start();
    let c = server.connect().await;
    let version: String = c.query_one("SELECT version()", &[]).await.unwrap().get(0);
    assert!(version.starts_with("PostgreSQL 15."), "{version}");
    let num: String = c
        .query_one("SELECT current_setting('server_version_num')", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(num, "150008");
    let row = c
        .query_one(
            "SELECT current_schema(), current_database(), \
             has_table_privilege('aloe', '\"gen\".\"products\"', 'select')",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "public");
    assert_eq!(row.get::<_, String>(1), "aloe");
    assert!(row.get::<_, bool>(2));
    // current_schema() and current_schemas() follow search_path, as in PostgreSQL.
    c.batch_execute("SET search_path = gold, public")
        .await
        .unwrap();
    let row = c
        .query_one(
            "SELECT current_schema(), current_schemas(true), current_schemas(false)",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "gold");
    assert_eq!(
        row.get::<_, Vec<String>>(1),
        ["pg_catalog", "gold", "public"]
    );
    assert_eq!(row.get::<_, Vec<String>>(2), ["gold", "public"]);
    c.batch_execute("RESET search_path").await.unwrap();
    let err = c
        .query_one("SELECT current_setting('no_such_setting')", &[])
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&err), "42704");
}

#[tokio::test]
async fn a_correlated_subquery_with_an_inequality_is_answered_over_a_generated_table() {
    let server = Server::start();
    let c = server.connect().await;
    // 120 distinct product ids: each counts the ids below it, 0 + 1 + ... + 119 in all.
    let row = c
        .query_one(
            "SELECT sum((SELECT count(*) FROM gen.products x WHERE x.product_id < p.product_id))::int8, \
             count(DISTINCT product_id) FROM gen.products p",
            &[],
        )
        .await
        .unwrap();
    let n: i64 = row.get(1);
    assert_eq!(n, 120);
    assert_eq!(row.get::<_, i64>(0), n * (n - 1) / 2);
}

#[tokio::test]
async fn catalog_functions_clients_call() {
    let server = Server::start();
    let c = server.connect().await;
    let row = c
        .query_one(
            "SELECT format('%s', 'x'), format('%I.%I', 'gen', 'Orders'), format('%L', 'it''s'), \
             quote_ident('Order'), obj_description(1, 'pg_class'), col_description(1, 1), \
             to_regtype('integer'), to_regtype('no_such_type')",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "x");
    assert_eq!(row.get::<_, String>(1), "gen.\"Orders\"");
    assert_eq!(row.get::<_, String>(2), "'it''s'");
    assert_eq!(row.get::<_, String>(3), "\"Order\"");
    assert_eq!(row.get::<_, Option<String>>(4), None);
    assert_eq!(row.get::<_, Option<String>>(5), None);
    assert_eq!(row.get::<_, Option<i32>>(6), Some(23));
    assert_eq!(row.get::<_, Option<i32>>(7), None);
    let names: Vec<String> = c
        .query("SELECT NULL, NULL, current_user", &[])
        .await
        .unwrap()[0]
        .columns()
        .iter()
        .map(|col| col.name().to_owned())
        .collect();
    assert_eq!(names, ["?column?", "?column?", "current_user"]);
}

#[tokio::test]
async fn composite_access_and_expandarray_as_pgjdbc_uses_them() {
    let server = Server::start();
    let c = server.connect().await;
    let rows = c
        .query(
            "SELECT (r.k).x::int8 AS x, r.seq::int8 AS seq FROM (SELECT \
             information_schema._pg_expandarray(make_array(10, 20, 30)) AS k, \
             (information_schema._pg_expandarray(make_array(10, 20, 30))).n AS seq) r \
             WHERE (r.k).x > 10",
            &[],
        )
        .await
        .unwrap();
    let got: Vec<(i64, i64)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    assert_eq!(got, [(20, 2), (30, 3)]);
    let named = c
        .query(
            "SELECT (s).x FROM (SELECT named_struct('x', 1) AS s) t",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(named[0].columns()[0].name(), "x");
}

#[tokio::test]
async fn timezone_age_make_time_and_json_build_object() {
    let server = Server::start();
    let c = server.connect().await;
    let row = c
        .query_one(
            "SELECT CAST(timezone('Europe/Berlin', TIMESTAMPTZ '2025-01-02 12:00:00+00') AS text), \
             CAST(timezone('Europe/Berlin', TIMESTAMP '2025-07-02 12:00:00') AS text), \
             CAST(age(TIMESTAMP '2025-03-15 12:00:00', TIMESTAMP '2024-01-20 06:00:00') AS text), \
             CAST(make_time(8, 15, 23.5) AS text), \
             json_build_object('a', 1, 'b', 'x', 'c', true, 'd', NULL)",
            &[],
        )
        .await
        .unwrap();
    // PostgreSQL 15's text for each.
    let texts: Vec<String> = (0..4).map(|i| row.get(i)).collect();
    assert_eq!(
        texts,
        [
            "2025-01-02 13:00:00",
            "2025-07-02 10:00:00+00",
            "1 year 1 mon 26 days 06:00:00",
            "08:15:23.5"
        ]
    );
    let json: serde_json::Value = serde_json::from_str(&row.get::<_, String>(4)).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"a": 1, "b": "x", "c": true, "d": null})
    );
}

#[tokio::test]
async fn aggregates_over_empty_catalog_tables_still_answer_one_row() {
    let server = Server::start();
    let c = server.connect().await;
    let n: i64 = c
        .query_one("SELECT count(*) FROM pg_catalog.pg_inherits", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 0);
}

#[tokio::test]
async fn counting_subqueries_over_empty_catalog_tables_answer_zero() {
    let server = Server::start();
    let c = server.connect().await;
    let n: i64 = c
        .query_one(
            "SELECT (SELECT count(*) FROM pg_catalog.pg_attrdef) + (SELECT count(*) FROM pg_catalog.pg_sequence)",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 0);
}

#[tokio::test]
async fn bad_arguments_to_added_functions_are_clear_errors() {
    let server = Server::start();
    let c = server.connect().await;
    for (sql, word) in [
        ("SELECT timezone('Mars/Olympus', now())", "not recognized"),
        ("SELECT make_time(25, 0, 0)", "out of range"),
        ("SELECT json_build_object('a')", "even number"),
        ("SELECT format('%s %s', 'one')", "too few arguments"),
    ] {
        let err = c.query(sql, &[]).await.unwrap_err();
        let message = err
            .as_db_error()
            .map(|e| e.message().to_owned())
            .unwrap_or_default();
        assert!(message.contains(word), "{sql}: {message}");
        let one: i32 = c.query_one("SELECT 1::int4", &[]).await.unwrap().get(0);
        assert_eq!(one, 1);
    }
}

/// What one session reads of pg_catalog about `silver.memo`: pg_class rows, pg_attribute
/// rows, its description, and its indexes.
type MemoView = (i64, i64, Option<String>, i64);

async fn memo_view(c: &tokio_postgres::Client) -> MemoView {
    let row = c
        .query_one(
            "SELECT \
               (SELECT count(*) FROM pg_catalog.pg_class k JOIN pg_catalog.pg_namespace n \
                  ON n.oid = k.relnamespace WHERE n.nspname = 'silver' AND k.relname = 'memo'), \
               (SELECT count(*) FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class k \
                  ON k.oid = a.attrelid WHERE k.relname = 'memo' AND a.attnum > 0), \
               obj_description('silver.memo'::regclass, 'pg_class'), \
               (SELECT count(*) FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class k \
                  ON k.oid = i.indrelid WHERE k.relname = 'memo')",
            &[],
        )
        .await
        .unwrap();
    (row.get(0), row.get(1), row.get(2), row.get(3))
}

/// How many pg_class rows carry `name`.
async fn relations_named(c: &tokio_postgres::Client, name: &str) -> i64 {
    let sql = format!("SELECT count(*) FROM pg_catalog.pg_class WHERE relname = '{name}'");
    one_i64(c, &sql).await
}

#[tokio::test]
async fn catalog_rows_kept_between_queries_follow_every_change_from_any_session() {
    let server = Server::start();
    let writer = server.connect().await;
    let reader = server.connect().await;
    writer
        .batch_execute("CREATE TABLE silver.memo AS SELECT 1 AS id")
        .await
        .unwrap();
    // Read twice, so the second answer is the kept one.
    assert_eq!(memo_view(&reader).await, (1, 1, None, 0));
    assert_eq!(memo_view(&reader).await, (1, 1, None, 0));

    let steps: [(&str, MemoView); 4] = [
        (
            "CREATE OR REPLACE TABLE silver.memo AS SELECT 1 AS id, 'a' AS name",
            (1, 2, None, 0),
        ),
        (
            "COMMENT ON TABLE silver.memo IS 'kept rows'",
            (1, 2, Some("kept rows".into()), 0),
        ),
        (
            "CREATE INDEX memo_id ON silver.memo (id)",
            (1, 2, Some("kept rows".into()), 1),
        ),
        (
            "DROP INDEX silver.memo_id",
            (1, 2, Some("kept rows".into()), 0),
        ),
    ];
    for (sql, expected) in steps {
        writer.batch_execute(sql).await.unwrap();
        assert_eq!(memo_view(&reader).await, expected, "after {sql}");
    }
    writer
        .batch_execute("DROP TABLE silver.memo")
        .await
        .unwrap();
    assert_eq!(relations_named(&reader, "memo").await, 0);
    // A table registered in memory is listed at once as well.
    writer
        .batch_execute("CREATE TABLE public.memo_too AS SELECT 1 AS id")
        .await
        .unwrap();
    assert_eq!(relations_named(&reader, "memo_too").await, 1);
}
