//! 64 clients at once for a bounded time: simple and extended queries, catalog lookups,
//! settings and transactions, each answer checked, and not one error.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::harness::Server;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_four_clients_at_once_get_only_right_answers() {
    let server = Server::start();
    let mut clients = Vec::new();
    for _ in 0..64 {
        clients.push(server.connect().await);
    }
    let answered = Arc::new(AtomicU64::new(0));
    // Bounded in time and in count, whichever comes first.
    let until = Instant::now() + Duration::from_secs(8);
    let mut tasks = Vec::new();
    for (i, c) in clients.into_iter().enumerate() {
        let answered = answered.clone();
        tasks.push(tokio::spawn(async move {
            let i = i as i64;
            let mut round = 0i64;
            while Instant::now() < until && round < 40 {
                let n: i64 = c
                    .query_one("SELECT $1::int8 * 2 + $2::int8", &[&i, &round])
                    .await
                    .map_err(|e| format!("client {i} extended: {e}"))?
                    .get(0);
                if n != i * 2 + round {
                    return Err(format!("client {i}: {n} for round {round}"));
                }
                let rows = c
                    .simple_query(&format!(
                        "SET application_name = 'c{i}'; SELECT count(*) FROM gen.products WHERE product_id > {round}"
                    ))
                    .await
                    .map_err(|e| format!("client {i} simple: {e}"))?;
                if !rows.iter().any(|m| matches!(m, tokio_postgres::SimpleQueryMessage::Row(_))) {
                    return Err(format!("client {i}: no row"));
                }
                let name: String = c
                    .query_one("SHOW application_name", &[])
                    .await
                    .map_err(|e| format!("client {i} show: {e}"))?
                    .get(0);
                if name != format!("c{i}") {
                    return Err(format!("client {i} sees another session's setting {name}"));
                }
                let tables: i64 = c
                    .query_one(
                        "SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n \
                         ON n.oid = c.relnamespace WHERE n.nspname = 'gen'",
                        &[],
                    )
                    .await
                    .map_err(|e| format!("client {i} catalog: {e}"))?
                    .get(0);
                if tables == 0 {
                    return Err(format!("client {i}: no gen tables in pg_class"));
                }
                c.batch_execute("BEGIN; SELECT 1; COMMIT")
                    .await
                    .map_err(|e| format!("client {i} transaction: {e}"))?;
                answered.fetch_add(5, Ordering::Relaxed);
                round += 1;
            }
            Ok::<i64, String>(round)
        }));
    }
    let mut errors = Vec::new();
    let mut least = i64::MAX;
    for t in tasks {
        match t.await.expect("client task") {
            Ok(rounds) => least = least.min(rounds),
            Err(e) => errors.push(e),
        }
    }
    assert!(
        errors.is_empty(),
        "{} errors, first: {:?}",
        errors.len(),
        errors.first()
    );
    assert!(least >= 1, "a client got no turn at all");
    let total = answered.load(Ordering::Relaxed);
    assert!(total >= 64 * 5, "{total}");
    println!("64 clients: {total} statements answered, the slowest client did {least} rounds");
}
