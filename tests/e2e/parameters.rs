//! Parameter types the client declares in Parse are the parameters' types, in text and in
//! binary, as in PostgreSQL: psycopg's float, Decimal and datetime parameters, and a
//! Metabase-style date filter (`WHERE day >= ?` on a DATE column with a timestamp
//! parameter). Expected answers are PostgreSQL 15's for the same calls.

use tokio_postgres::types::Type;

use crate::harness::{Server, python_prints};

#[test]
fn psycopg_parameters_keep_their_declared_types() {
    let server = Server::start();
    let script = format!(
        r#"import psycopg, datetime, decimal
c = psycopg.connect("host=127.0.0.1 port={port} user=aloe dbname=aloe", autocommit=True)
c.execute("create table public.params as select * from (values (date '2025-10-01', 1.5::float8), (date '2025-10-03', 2.5::float8)) t(day, v)")
for v in [1.5, datetime.datetime(2025, 10, 1, 12, 30), datetime.date(2025, 10, 2), 7, True]:
    for binary in (False, True):
        print(repr(c.cursor(binary=binary).execute("select %s", [v]).fetchone()[0]))
for v in [datetime.datetime(2025, 10, 2, 0, 0), datetime.date(2025, 10, 2)]:
    print(c.execute("select count(*) from public.params where day >= %s", [v]).fetchone()[0])
for v in [2.0, decimal.Decimal("2.0")]:
    print(c.execute("select count(*) from public.params where v > %s", [v]).fetchone()[0])
    c.execute("insert into public.params values (%s, %s)", [datetime.date(2025, 10, 5), v])
print(c.execute("select count(*), sum(v) from public.params").fetchone())
"#,
        port = server.addr.port()
    );
    python_prints(
        &script,
        "1.5\n1.5\n\
         datetime.datetime(2025, 10, 1, 12, 30)\ndatetime.datetime(2025, 10, 1, 12, 30)\n\
         datetime.date(2025, 10, 2)\ndatetime.date(2025, 10, 2)\n\
         7\n7\nTrue\nTrue\n\
         1\n1\n1\n1\n(4, 8.0)\n",
    );
}

#[tokio::test]
async fn declared_types_hold_in_every_position() {
    let server = Server::start();
    let c = server.connect().await;
    c.batch_execute(
        "CREATE TABLE public.typed AS SELECT * FROM (VALUES (DATE '2025-10-01', 1.5::float8), \
         (DATE '2025-10-03', 2.5::float8)) t(day, v)",
    )
    .await
    .unwrap();
    // Select list: the declared float8, not text.
    let s = c.prepare_typed("SELECT $1", &[Type::FLOAT8]).await.unwrap();
    assert_eq!(s.columns()[0].type_(), &Type::FLOAT8);
    let v: f64 = c.query_one(&s, &[&2.25f64]).await.unwrap().get(0);
    assert_eq!(v, 2.25);
    // Comparison of a DATE column with a TIMESTAMP parameter (Metabase's filter).
    let s = c
        .prepare_typed(
            "SELECT count(*) FROM public.typed WHERE day >= $1",
            &[Type::TIMESTAMP],
        )
        .await
        .unwrap();
    let at = chrono::NaiveDate::from_ymd_opt(2025, 10, 2)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();
    let n: i64 = c.query_one(&s, &[&at]).await.unwrap().get(0);
    assert_eq!(n, 1);
    // Function argument and INSERT value.
    let s = c
        .prepare_typed("SELECT abs($1)", &[Type::FLOAT8])
        .await
        .unwrap();
    let v: f64 = c.query_one(&s, &[&-3.5f64]).await.unwrap().get(0);
    assert_eq!(v, 3.5);
    let s = c
        .prepare_typed(
            "INSERT INTO public.typed VALUES ($1, $2)",
            &[Type::DATE, Type::FLOAT8],
        )
        .await
        .unwrap();
    let day = chrono::NaiveDate::from_ymd_opt(2025, 10, 9).unwrap();
    assert_eq!(c.execute(&s, &[&day, &4.0f64]).await.unwrap(), 1);
    let sum: f64 = c
        .query_one("SELECT sum(v) FROM public.typed", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(sum, 8.0);
    // A declared type with no SQL name here (an int4[] is `_int4`) leaves the parameter to
    // inference, as before, rather than refusing the Parse.
    let s = c
        .prepare_typed(
            "SELECT count(*) FROM public.typed WHERE v > $1",
            &[Type::INT4_ARRAY],
        )
        .await;
    assert!(s.is_ok(), "{s:?}");
}
