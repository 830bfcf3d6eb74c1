//! The extended protocol through tokio-postgres (binary parameters and results) and a raw
//! socket (text parameters and results): every core type, inferred parameter types, portal
//! row limits and cancellation.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use rust_decimal::Decimal;
use std::str::FromStr;
use tokio_postgres::types::{ToSql, Type};

use crate::harness::{Server, sqlstate};
use crate::raw::{Raw, column, cstr, frame};

#[tokio::test]
async fn binary_parameters_and_results_round_trip_for_each_core_type() {
    let server = Server::start();
    let c = server.connect().await;

    let v: bool = c
        .query_one("SELECT $1::bool", &[&true])
        .await
        .unwrap()
        .get(0);
    assert!(v);
    let v: i16 = c
        .query_one("SELECT $1::int2 + 1::int2", &[&7i16])
        .await
        .unwrap()
        .get(0);
    assert_eq!(v, 8);
    let v: i32 = c
        .query_one("SELECT $1::int4 * 2::int4", &[&21i32])
        .await
        .unwrap()
        .get(0);
    assert_eq!(v, 42);
    let v: i64 = c
        .query_one("SELECT $1::int8", &[&(i64::MAX - 1)])
        .await
        .unwrap()
        .get(0);
    assert_eq!(v, i64::MAX - 1);
    let v: f32 = c
        .query_one("SELECT $1::float4", &[&1.5f32])
        .await
        .unwrap()
        .get(0);
    assert_eq!(v, 1.5);
    let v: f64 = c
        .query_one("SELECT $1::float8 / 4", &[&10.0f64])
        .await
        .unwrap()
        .get(0);
    assert_eq!(v, 2.5);
    let d = Decimal::from_str("12345.6789").unwrap();
    let v: Decimal = c
        .query_one("SELECT $1::numeric(12,4)", &[&d])
        .await
        .unwrap()
        .get(0);
    assert_eq!(v, d);
    let v: String = c
        .query_one("SELECT upper($1::text)", &[&"aloe"])
        .await
        .unwrap()
        .get(0);
    assert_eq!(v, "ALOE");
    let v: String = c
        .query_one("SELECT $1::varchar", &[&"vera"])
        .await
        .unwrap()
        .get(0);
    assert_eq!(v, "vera");
    let bytes = vec![0u8, 1, 254, 255];
    let v: Vec<u8> = c
        .query_one("SELECT $1::bytea", &[&bytes])
        .await
        .unwrap()
        .get(0);
    assert_eq!(v, bytes);
    let day = NaiveDate::from_ymd_opt(2025, 3, 28).unwrap();
    let v: NaiveDate = c
        .query_one("SELECT $1::date + 1", &[&day])
        .await
        .unwrap()
        .get(0);
    assert_eq!(v, NaiveDate::from_ymd_opt(2025, 3, 29).unwrap());
    let t = NaiveTime::from_hms_micro_opt(13, 14, 15, 123_456).unwrap();
    let v: NaiveTime = c.query_one("SELECT $1::time", &[&t]).await.unwrap().get(0);
    assert_eq!(v, t);
    let ts = NaiveDateTime::new(day, t);
    let v: NaiveDateTime = c
        .query_one("SELECT $1::timestamp", &[&ts])
        .await
        .unwrap()
        .get(0);
    assert_eq!(v, ts);
    let tz: DateTime<Utc> = ts.and_utc();
    let v: DateTime<Utc> = c
        .query_one("SELECT $1::timestamptz", &[&tz])
        .await
        .unwrap()
        .get(0);
    assert_eq!(v, tz);
    let ints = vec![1i32, 2, 3];
    let v: Vec<i32> = c
        .query_one("SELECT $1::int4[]", &[&ints])
        .await
        .unwrap()
        .get(0);
    assert_eq!(v, ints);
    let words = vec!["a".to_owned(), "b".to_owned()];
    let v: Vec<String> = c
        .query_one("SELECT $1::text[]", &[&words])
        .await
        .unwrap()
        .get(0);
    assert_eq!(v, words);
    let v: Vec<f64> = c
        .query_one("SELECT make_array(1.5::float8, 2.5::float8)", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(v, vec![1.5, 2.5]);
    // uuid and json travel as their PostgreSQL types from the client and come back as text.
    let id = uuid::Uuid::from_u128(0x1234_5678_9abc_def0_1234_5678_9abc_def0);
    let v: String = c.query_one("SELECT $1::uuid", &[&id]).await.unwrap().get(0);
    assert_eq!(v, id.to_string());
    let doc = serde_json::json!({"k": [1, 2]});
    let v: String = c
        .query_one("SELECT $1::jsonb", &[&doc])
        .await
        .unwrap()
        .get(0);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&v).unwrap(), doc);
    // An interval result, binary encoded, read back through its text cast.
    let v: String = c
        .query_one("SELECT CAST(INTERVAL '1 day 2 hours' AS text)", &[])
        .await
        .unwrap()
        .get(0);
    assert!(v.contains("1 day") || v.contains("1 days"), "{v}");
}

#[tokio::test]
async fn parameter_types_are_inferred_from_the_plan() {
    let server = Server::start();
    let c = server.connect().await;
    let stmt = c
        .prepare("SELECT name FROM gen.products WHERE product_id = $1 AND price > $2")
        .await
        .unwrap();
    // price is numeric(12,2), so $2 is numeric, as PostgreSQL 15 infers it.
    assert_eq!(stmt.params(), &[Type::INT8, Type::NUMERIC]);
    assert_eq!(stmt.columns()[0].type_(), &Type::TEXT);
    let rows = c.query(&stmt, &[&1i64, &Decimal::ZERO]).await.unwrap();
    assert_eq!(rows.len(), 1);
    let name: &str = rows[0].get(0);
    assert_eq!(name, "Nourishing Oat Cleanser");
    // A parameter with nothing to say its type is text, as in PostgreSQL.
    let stmt = c.prepare("SELECT $1").await.unwrap();
    assert_eq!(stmt.params(), &[Type::TEXT]);
}

#[tokio::test]
async fn named_statements_run_many_times_with_new_parameters() {
    let server = Server::start();
    let c = server.connect().await;
    let stmt = c
        .prepare("SELECT count(*) FROM gen.orders WHERE items = $1")
        .await
        .unwrap();
    let mut total = 0i64;
    for q in 1..=4i64 {
        let params: [&(dyn ToSql + Sync); 1] = [&q];
        total += c.query_one(&stmt, &params).await.unwrap().get::<_, i64>(0);
    }
    let all: i64 = c
        .query_one("SELECT count(*) FROM gen.orders", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(total, all);
}

#[tokio::test]
async fn execute_with_a_row_limit_suspends_and_continues_the_portal() {
    let server = Server::start();
    let mut c = server.connect().await;
    let tx = c.transaction().await.unwrap();
    let portal = tx
        .bind("SELECT value FROM generate_series(1, 25) AS t(value)", &[])
        .await
        .unwrap();
    let mut seen = Vec::new();
    let mut sizes = Vec::new();
    loop {
        let rows = tx.query_portal(&portal, 10).await.unwrap();
        sizes.push(rows.len());
        seen.extend(rows.iter().map(|r| r.get::<_, i64>(0)));
        if rows.len() < 10 {
            break;
        }
    }
    assert_eq!(sizes, [10, 10, 5]);
    assert_eq!(seen, (1..=25).collect::<Vec<i64>>());
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn cancel_request_stops_the_running_query() {
    let server = Server::start();
    let c = server.connect().await;
    let token = c.cancel_token();
    let started = std::time::Instant::now();
    let canceller = tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(700)).await;
        token.cancel_query(tokio_postgres::NoTls).await.unwrap();
    });
    let err = c
        .query_one("SELECT count(*) FROM generate_series(1, 100000000000)", &[])
        .await
        .unwrap_err();
    canceller.await.unwrap();
    assert_eq!(sqlstate(&err), "57014", "{err}");
    // The work really stopped: a scan of 10^11 rows cannot finish in this time.
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
    let v: i64 = c.query_one("SELECT 1::int8", &[]).await.unwrap().get(0);
    assert_eq!(v, 1);
}

fn parse_bind_execute(
    sql: &str,
    param_types: &[i32],
    params: &[&str],
    result_binary: bool,
) -> Vec<u8> {
    let mut parse = cstr("");
    parse.extend(cstr(sql));
    parse.extend((param_types.len() as i16).to_be_bytes());
    for t in param_types {
        parse.extend(t.to_be_bytes());
    }
    let mut bind = cstr("");
    bind.extend(cstr(""));
    bind.extend(1i16.to_be_bytes());
    bind.extend(0i16.to_be_bytes()); // all parameters in text
    bind.extend((params.len() as i16).to_be_bytes());
    for p in params {
        bind.extend((p.len() as i32).to_be_bytes());
        bind.extend(p.as_bytes());
    }
    bind.extend(1i16.to_be_bytes());
    bind.extend((result_binary as i16).to_be_bytes());
    let mut describe = vec![b'P'];
    describe.extend(cstr(""));
    let mut execute = cstr("");
    execute.extend(0i32.to_be_bytes());
    let mut out = frame(b'P', &parse);
    out.extend(frame(b'B', &bind));
    out.extend(frame(b'D', &describe));
    out.extend(frame(b'E', &execute));
    out.extend(frame(b'S', &[]));
    out
}

#[test]
fn text_parameters_and_text_results_in_the_extended_protocol() {
    let server = Server::start();
    let mut raw = Raw::startup(server.addr);
    // Types given by the client (int8, date) and left to the server (0).
    raw.send(&parse_bind_execute(
        "SELECT $1::int8 + 1, $2::date, $3::text || '!'",
        &[20, 1082, 0],
        &["41", "2025-01-31", "hi"],
        false,
    ));
    let answer = raw.until_ready();
    let kinds: Vec<u8> = answer.iter().map(|m| m.kind).collect();
    assert_eq!(kinds, b"12TDCZ");
    let row = &answer[3];
    assert_eq!(column(row, 0).as_deref(), Some("42"));
    assert_eq!(column(row, 1).as_deref(), Some("2025-01-31"));
    assert_eq!(column(row, 2).as_deref(), Some("hi!"));
    // A text parameter that is not a number for an int8 slot is 22P02.
    raw.send(&parse_bind_execute(
        "SELECT $1::int8",
        &[20],
        &["forty"],
        false,
    ));
    let answer = raw.until_ready();
    let err = answer.iter().find(|m| m.kind == b'E').expect("an error");
    assert_eq!(
        err.sqlstate().as_deref(),
        Some("22P02"),
        "{:?}",
        err.field(b'M')
    );
}

#[test]
fn close_and_flush_in_the_extended_protocol() {
    let server = Server::start();
    let mut raw = Raw::startup(server.addr);
    let mut parse = cstr("s_interval");
    parse.extend(cstr("SELECT INTERVAL '1 month 2 days 3 seconds' AS iv"));
    parse.extend(0i16.to_be_bytes());
    let mut describe = vec![b'S'];
    describe.extend(cstr("s_interval"));
    let mut bind = cstr("p1");
    bind.extend(cstr("s_interval"));
    bind.extend(0i16.to_be_bytes());
    bind.extend(0i16.to_be_bytes());
    bind.extend(1i16.to_be_bytes());
    bind.extend(1i16.to_be_bytes()); // binary results
    let mut execute = cstr("p1");
    execute.extend(0i32.to_be_bytes());
    // Flush makes the server answer what it has so far without waiting for Sync.
    let mut batch = frame(b'P', &parse);
    batch.extend(frame(b'D', &describe));
    batch.extend(frame(b'H', &[]));
    raw.send(&batch);
    let kinds: Vec<u8> = (0..3).map(|_| raw.read().unwrap().kind).collect();
    assert_eq!(
        kinds, b"1tT",
        "ParseComplete, ParameterDescription, RowDescription"
    );
    let mut batch = frame(b'B', &bind);
    batch.extend(frame(b'E', &execute));
    batch.extend(frame(b'S', &[]));
    raw.send(&batch);
    let answer = raw.until_ready();
    let row = answer.iter().find(|m| m.kind == b'D').expect("a row");
    // Binary interval: microseconds (i64), days (i32), months (i32).
    assert_eq!(&row.body[2..6], &16i32.to_be_bytes());
    assert_eq!(&row.body[6..14], &3_000_000i64.to_be_bytes());
    assert_eq!(&row.body[14..18], &2i32.to_be_bytes());
    assert_eq!(&row.body[18..22], &1i32.to_be_bytes());
    // Close the statement; binding it afterwards fails with 26000.
    let mut close = vec![b'S'];
    close.extend(cstr("s_interval"));
    let mut batch = frame(b'C', &close);
    batch.extend(frame(b'S', &[]));
    raw.send(&batch);
    let kinds: Vec<u8> = raw.until_ready().iter().map(|m| m.kind).collect();
    assert_eq!(kinds, b"3Z");
    let mut batch = frame(b'B', &bind);
    batch.extend(frame(b'S', &[]));
    raw.send(&batch);
    assert_eq!(raw.until_ready()[0].sqlstate().as_deref(), Some("26000"));
}

#[tokio::test]
async fn a_prepared_query_sees_writes_settings_and_new_tables_made_after_parse() {
    let server = Server::start();
    let writer = server.connect().await;
    let c = server.connect().await;
    writer
        .batch_execute(
            "CREATE TABLE gold.plan_t AS SELECT * FROM (VALUES (1, 'one')) AS t(id, name);\
             CREATE TABLE silver.plan_t AS SELECT * FROM (VALUES (9, 'nine')) AS t(id, name)",
        )
        .await
        .unwrap();
    let qualified = c
        .prepare("SELECT name FROM gold.plan_t WHERE id >= $1 ORDER BY id")
        .await
        .unwrap();
    let names =
        |rows: Vec<tokio_postgres::Row>| -> Vec<String> { rows.iter().map(|r| r.get(0)).collect() };
    assert_eq!(names(c.query(&qualified, &[&0i64]).await.unwrap()), ["one"]);

    // Another session writes: the statement prepared before sees the new row.
    writer
        .batch_execute("INSERT INTO gold.plan_t VALUES (2, 'two')")
        .await
        .unwrap();
    assert_eq!(
        names(c.query(&qualified, &[&0i64]).await.unwrap()),
        ["one", "two"]
    );
    writer
        .batch_execute(
            "CREATE OR REPLACE TABLE gold.plan_t AS SELECT * FROM (VALUES (3, 'three')) AS t(id, name)",
        )
        .await
        .unwrap();
    assert_eq!(
        names(c.query(&qualified, &[&0i64]).await.unwrap()),
        ["three"]
    );

    // search_path decides which table an unqualified name is, as in PostgreSQL.
    c.batch_execute("SET search_path = gold").await.unwrap();
    let unqualified = c.prepare("SELECT name FROM plan_t").await.unwrap();
    assert_eq!(names(c.query(&unqualified, &[]).await.unwrap()), ["three"]);
    c.batch_execute("SET search_path = silver").await.unwrap();
    assert_eq!(names(c.query(&unqualified, &[]).await.unwrap()), ["nine"]);

    // A table dropped after Parse: a clear error at Execute, not stale rows.
    writer
        .batch_execute("DROP TABLE silver.plan_t")
        .await
        .unwrap();
    let err = c.query(&unqualified, &[]).await.unwrap_err();
    assert_eq!(sqlstate(&err), "42P01", "{err:?}");
}

/// Binary results carry PostgreSQL's infinities (the integer range's ends, which clients map
/// to their own infinities), through a Delta table as well as from literals; finite values
/// beside them keep their binary form. Text results and the zone they are shown in are the
/// sqllogictest file `datetime_infinity.slt`'s and this test's second half.
#[tokio::test]
async fn infinite_dates_and_timestamps_travel_in_binary() {
    use tokio_postgres::types::{Date, Timestamp};
    let server = Server::start();
    let c = server.connect().await;
    c.batch_execute(
        "CREATE TABLE public.inf_bin (d date, t timestamp, z timestamptz); \
         INSERT INTO public.inf_bin VALUES ('infinity', '-infinity', 'infinity'), \
         ('2025-03-28', '2025-03-28 10:00', '2025-03-28 10:00+00')",
    )
    .await
    .unwrap();
    let rows = c
        .query("SELECT d, t, z FROM public.inf_bin ORDER BY d", &[])
        .await
        .unwrap();
    let day = NaiveDate::from_ymd_opt(2025, 3, 28).unwrap();
    let at = day.and_hms_opt(10, 0, 0).unwrap();
    let first: (
        Date<NaiveDate>,
        Timestamp<NaiveDateTime>,
        Timestamp<DateTime<Utc>>,
    ) = (rows[0].get(0), rows[0].get(1), rows[0].get(2));
    assert_eq!(first.0, Date::Value(day));
    assert_eq!(first.1, Timestamp::Value(at));
    assert_eq!(first.2, Timestamp::Value(at.and_utc()));
    let second: (
        Date<NaiveDate>,
        Timestamp<NaiveDateTime>,
        Timestamp<DateTime<Utc>>,
    ) = (rows[1].get(0), rows[1].get(1), rows[1].get(2));
    assert_eq!(second.0, Date::PosInfinity);
    assert_eq!(second.1, Timestamp::NegInfinity);
    assert_eq!(second.2, Timestamp::PosInfinity);
    let literal: Date<NaiveDate> = c
        .query_one("SELECT '-infinity'::date", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(literal, Date::NegInfinity);
    // As binary parameters (the int4/int8 range's ends), in a comparison and returned.
    let n: i64 = c
        .query_one(
            "SELECT count(*) FROM public.inf_bin WHERE d = $1 AND t = $2",
            &[
                &Date::<NaiveDate>::PosInfinity,
                &Timestamp::<NaiveDateTime>::NegInfinity,
            ],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 1);
    let back: Timestamp<DateTime<Utc>> = c
        .query_one(
            "SELECT $1::timestamptz",
            &[&Timestamp::<DateTime<Utc>>::PosInfinity],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(back, Timestamp::PosInfinity);

    // A timestamptz read from the lake is shown in the session's TimeZone, as PostgreSQL
    // shows every timestamptz (PostgreSQL 15: 2025-03-28 11:00:00+01).
    c.batch_execute("SET TimeZone = 'Europe/Paris'")
        .await
        .unwrap();
    let shown = c
        .simple_query("SELECT z, z::text FROM public.inf_bin WHERE d = '2025-03-28'")
        .await
        .unwrap();
    let text = shown
        .iter()
        .find_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_owned),
            _ => None,
        })
        .unwrap();
    assert_eq!(text, "2025-03-28 11:00:00+01");
    let cast = shown
        .iter()
        .find_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(r) => r.get(1).map(str::to_owned),
            _ => None,
        })
        .unwrap();
    assert_eq!(cast, "2025-03-28 11:00:00+01");
    // A table created under that zone is stored (Delta keeps zoned timestamps in UTC).
    c.batch_execute("CREATE TABLE public.inf_paris AS SELECT timestamptz '2025-03-28 12:00' AS z")
        .await
        .unwrap();
    let z: DateTime<Utc> = c
        .query_one("SELECT z FROM public.inf_paris", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(z, day.and_hms_opt(11, 0, 0).unwrap().and_utc());
}
