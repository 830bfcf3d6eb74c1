//! What Grafana's PostgreSQL data source sends: save & test, the query editor's version,
//! extension, table and column lookups, and a time series in the shape its `$__timeFilter`
//! and `$__timeGroup` macros expand to.

use tokio_postgres::SimpleQueryMessage;

use crate::harness::Server;

async fn texts(c: &tokio_postgres::Client, sql: &str) -> Vec<Vec<String>> {
    c.simple_query(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e:?}"))
        .iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(r) => Some(
                (0..r.len())
                    .map(|i| r.get(i).unwrap_or("").to_owned())
                    .collect(),
            ),
            _ => None,
        })
        .collect()
}

const SEARCH_PATH_SCHEMAS: &str = "SELECT CASE WHEN trim(s[i]) = '\"$user\"' THEN user ELSE trim(s[i]) END \
     FROM generate_series(array_lower(string_to_array(current_setting('search_path'),','),1), \
     array_upper(string_to_array(current_setting('search_path'),','),1)) as i, \
     string_to_array(current_setting('search_path'),',') s";

#[tokio::test]
async fn grafana_data_source_queries() {
    let server = Server::start();
    let c = server.connect().await;
    assert!(texts(&c, "-- ping").await.is_empty());
    assert!(texts(&c, ";").await.is_empty());
    let version = texts(
        &c,
        "SELECT current_setting('server_version_num')::int/100 as version",
    )
    .await;
    assert_eq!(version, [["1500"]]);
    let timescale = texts(
        &c,
        "SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'",
    )
    .await;
    assert!(timescale.is_empty());
    let schemas = texts(
        &c,
        "SELECT schema_name FROM information_schema.schemata ORDER BY 1",
    )
    .await;
    assert!(schemas.contains(&vec!["gen".to_owned()]), "{schemas:?}");

    c.batch_execute("SET search_path TO gen, public")
        .await
        .unwrap();
    let tables = texts(
        &c,
        &format!(
            "SELECT quote_ident(table_name) as table_name FROM information_schema.tables \
             WHERE quote_ident(table_schema) NOT IN ('information_schema', 'pg_catalog', '_timescaledb_cache') \
             AND table_type = 'BASE TABLE' AND quote_ident(table_schema) IN ({SEARCH_PATH_SCHEMAS}) ORDER BY 1"
        ),
    )
    .await;
    let names: Vec<&str> = tables.iter().map(|t| t[0].as_str()).collect();
    assert_eq!(
        names,
        [
            "ad_daily",
            "campaigns",
            "customers",
            "influencer_posts",
            "influencers",
            "order_items",
            "orders",
            "products",
            "promotions",
            "truth_campaign_daily",
            "truth_influencer_daily",
            "truth_promotion_daily",
            "web_events"
        ]
    );
    let columns = texts(
        &c,
        &format!(
            "SELECT quote_ident(column_name) as column_name, data_type as data_type FROM information_schema.columns \
             WHERE CASE WHEN array_length(parse_ident('gen.orders'),1) = 2 \
             THEN quote_ident(table_schema) = (parse_ident('gen.orders'))[1] AND quote_ident(table_name) = (parse_ident('gen.orders'))[2] \
             ELSE quote_ident(table_name) = 'gen.orders' AND table_schema IN ({SEARCH_PATH_SCHEMAS}) END"
        ),
    )
    .await;
    assert_eq!(columns[0], ["order_id", "bigint"]);
    assert_eq!(columns[3], ["order_time", "timestamp with time zone"]);
    assert_eq!(columns.len(), 11);

    // $__timeGroup(order_date, 1d) and $__timeFilter(order_date) over one week.
    let series = texts(
        &c,
        "SELECT floor(extract(epoch from CAST(order_date AS timestamp))/86400)*86400 AS \"time\", count(*) AS orders \
         FROM gen.orders WHERE CAST(order_date AS timestamp) BETWEEN '2025-09-01T00:00:00Z' AND '2025-09-07T00:00:00Z' \
         GROUP BY 1 ORDER BY 1",
    )
    .await;
    assert_eq!(series.len(), 7, "{series:?}");
    assert!(series[0][0].starts_with("1756684800"), "{series:?}");
    let total: i64 = series.iter().map(|r| r[1].parse::<i64>().unwrap()).sum();
    let direct = texts(
        &c,
        "SELECT count(*) FROM gen.orders WHERE order_date BETWEEN DATE '2025-09-01' AND DATE '2025-09-07'",
    )
    .await;
    assert_eq!(total.to_string(), direct[0][0]);
}
