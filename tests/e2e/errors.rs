//! Each kind of bad statement gets its SQLSTATE and a message naming the problem, and the
//! connection stays usable afterwards.

use crate::harness::{Server, sqlstate};

#[tokio::test]
async fn each_kind_of_bad_statement_gets_its_sqlstate() {
    let server = Server::start();
    let c = server.connect().await;
    let cases = [
        ("SELEC 1", "42601", "syntax"),
        ("SELECT * FROM no_such_table", "42P01", "no_such_table"),
        (
            "SELECT no_such_column FROM gen.products",
            "42703",
            "no_such_column",
        ),
        ("SELECT no_such_function(1)", "42883", "no_such_function"),
        ("SELECT 'abc'::int", "22P02", "abc"),
        ("SELECT 1 / 0", "22012", "division by zero"),
        (
            "DECLARE c SCROLL CURSOR WITH HOLD FOR SELECT 1",
            "0A000",
            "scroll",
        ),
        ("SET no_such_setting = 1", "42704", "no_such_setting"),
        ("FETCH 1 FROM no_such_cursor", "34000", "no_such_cursor"),
    ];
    for (sql, code, word) in cases {
        for extended in [false, true] {
            let err = if extended {
                c.query(sql, &[]).await.unwrap_err()
            } else {
                c.simple_query(sql).await.unwrap_err()
            };
            assert_eq!(sqlstate(&err), code, "{sql} (extended: {extended}): {err}");
            let message = err.as_db_error().unwrap().message().to_lowercase();
            assert!(
                message.contains(word),
                "{sql}: message {message:?} should name {word:?}"
            );
            let one: i32 = c.query_one("SELECT 1::int4", &[]).await.unwrap().get(0);
            assert_eq!(one, 1, "connection usable after {sql}");
        }
    }
}

#[tokio::test]
async fn an_error_inside_a_transaction_block_fails_it_until_rollback() {
    let server = Server::start();
    let c = server.connect().await;
    c.batch_execute("BEGIN").await.unwrap();
    assert_eq!(
        sqlstate(&c.simple_query("SELECT 1/0").await.unwrap_err()),
        "22012"
    );
    let err = c.simple_query("SELECT 1").await.unwrap_err();
    assert_eq!(sqlstate(&err), "25P02");
    let err = c.query("SELECT 1", &[]).await.unwrap_err();
    assert_eq!(sqlstate(&err), "25P02");
    c.batch_execute("ROLLBACK").await.unwrap();
    let one: i32 = c.query_one("SELECT 1::int4", &[]).await.unwrap().get(0);
    assert_eq!(one, 1);
}

#[tokio::test]
async fn statement_timeout_stops_execution() {
    let server = Server::start();
    let c = server.connect().await;
    c.batch_execute("SET statement_timeout = '300ms'")
        .await
        .unwrap();
    let err = c
        .query_one("SELECT count(*) FROM generate_series(1, 100000000000)", &[])
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&err), "57014");
    let message = err.as_db_error().unwrap().message();
    assert!(message.contains("statement timeout"), "{message}");
    c.batch_execute("RESET statement_timeout").await.unwrap();
    let n: i64 = c
        .query_one("SELECT count(*) FROM generate_series(1, 1000)", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 1000);
}
