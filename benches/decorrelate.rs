//! What Aloe's subquery decorrelation costs on a 1M-row outer table.
//!
//! Run with `cargo bench -p aloe-engine --bench decorrelate [-- OUTER_ROWS INNER_ROWS REPEATS]`;
//! results and the machine they came from are recorded in BENCHMARKS.md.
//!
//! Each correlated query is timed beside the join a person would write by hand for the same
//! answer, and beside the equality-correlated shape DataFusion decorrelates itself, so the
//! table shows what the rule's plan costs over the best plan for that question.

use std::sync::Arc;
use std::time::{Duration, Instant};

use aloe_engine::plan::decorrelate::DecorrelateSubqueries;
use datafusion::arrow::array::{Int64Array, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::arrow::util::display::array_value_to_string;
use datafusion::datasource::MemTable;
use datafusion::execution::session_state::SessionStateBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};

/// One measured question: the correlated form and, where there is one, the hand-written join.
struct Case {
    name: &'static str,
    correlated: &'static str,
    by_hand: Option<&'static str>,
}

const CASES: &[Case] = &[
    Case {
        name: "scalar count, equality, inside sum()",
        correlated: "select sum((select count(*) from t where t.x = o.a)) from o",
        by_hand: Some(
            "select sum(coalesce(c, 0)) from o left join \
             (select x, count(*) c from t group by x) s on s.x = o.a",
        ),
    },
    Case {
        name: "scalar count, x < o.b (100 distinct b)",
        correlated: "select sum((select count(*) from t where t.x < o.b)) from o",
        by_hand: Some(
            "select sum(coalesce(c, 0)) from o left join \
             (select d.b, count(*) c from (select distinct b from o) d join t on t.x < d.b \
              group by d.b) s on s.b = o.b",
        ),
    },
    Case {
        name: "scalar max, x < o.a (1000 distinct a)",
        correlated: "select sum((select max(y) from t where t.x < o.a)) from o",
        by_hand: Some(
            "select sum(m) from o left join \
             (select d.a, max(y) m from (select distinct a from o) d join t on t.x < d.a \
              group by d.a) s on s.a = o.a",
        ),
    },
    Case {
        name: "EXISTS, x > o.id (1M distinct id)",
        correlated: "select count(*) from o where exists (select 1 from t where t.x > o.id)",
        by_hand: Some("select count(*) from o where o.id < (select max(x) from t)"),
    },
    Case {
        name: "NOT IN, correlated on y = o.b",
        correlated: "select count(*) from o where o.a not in (select x from t where t.y = o.b)",
        by_hand: Some(
            "select count(*) from o where not exists \
             (select 1 from t where t.y = o.b and t.x = o.a)",
        ),
    },
    Case {
        name: "IN under OR, correlated on y = o.b",
        correlated: "select count(*) from o where o.id < 10 or o.a in (select x from t where t.y = o.b)",
        by_hand: None,
    },
];

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let outer_rows: i64 = args
        .first()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let inner_rows: i64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(1_000);
    let repeats: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(5);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(run(outer_rows, inner_rows, repeats));
}

async fn run(outer_rows: i64, inner_rows: i64, repeats: usize) {
    let ctx = context();
    // o(id, a, b): a has 1000 distinct values, b 100; t(x, y): x unique, y 100 distinct.
    ctx.register_table(
        "o",
        table(&["id", "a", "b"], outer_rows, |i| [i, i % 1000, i % 100]),
    )
    .expect("register o");
    ctx.register_table("t", table(&["x", "y"], inner_rows, |i| [i, i % 100]))
        .expect("register t");
    println!(
        "outer o: {outer_rows} rows; inner t: {inner_rows} rows; median of {repeats} runs \
         (planning includes the analyzer and optimizer)"
    );
    println!(
        "{:<44} {:>12} {:>12} {:>12} {:>8}",
        "question", "plan ms", "run ms", "by hand ms", "ratio"
    );
    for case in CASES {
        let (plan, run, answer) = measure(&ctx, case.correlated, repeats).await;
        let by_hand = match case.by_hand {
            Some(sql) => {
                let (_, run, expected) = measure(&ctx, sql, repeats).await;
                // A benchmark of a wrong answer is worthless: stop loudly.
                assert_eq!(answer, expected, "{}: answers differ", case.name);
                Some(run)
            }
            None => None,
        };
        println!(
            "{:<44} {:>12.2} {:>12.1} {:>12} {:>8}",
            case.name,
            ms(plan),
            ms(run),
            by_hand.map_or("-".into(), |d| format!("{:.1}", ms(d))),
            by_hand.map_or("-".into(), |d| format!(
                "{:.2}×",
                run.as_secs_f64() / d.as_secs_f64()
            )),
        );
    }
}

/// A context with the rule where Aloe's sessions install it (after DataFusion's type coercion).
fn context() -> SessionContext {
    let state = SessionStateBuilder::new()
        .with_default_features()
        .with_config(SessionConfig::new())
        .build();
    let state = SessionStateBuilder::new_from_existing(state)
        .with_analyzer_rule(Arc::new(DecorrelateSubqueries))
        .build();
    SessionContext::new_with_state(state)
}

fn table<const N: usize>(
    names: &[&str; N],
    rows: i64,
    row: impl Fn(i64) -> [i64; N],
) -> Arc<MemTable> {
    let schema = Arc::new(Schema::new(
        names
            .iter()
            .map(|n| Field::new(*n, DataType::Int64, false))
            .collect::<Vec<_>>(),
    ));
    let batch_rows = 8192;
    let mut batches = Vec::new();
    let mut start = 0;
    while start < rows {
        let end = (start + batch_rows).min(rows);
        let columns = (0..N)
            .map(|c| {
                Arc::new(Int64Array::from_iter_values(
                    (start..end).map(|i| row(i)[c]),
                )) as _
            })
            .collect();
        batches.push(RecordBatch::try_new(schema.clone(), columns).expect("batch"));
        start = end;
    }
    // Two partitions, one per core of the machine the numbers come from.
    let half = batches.len().div_ceil(2);
    let partitions: Vec<Vec<RecordBatch>> =
        batches.chunks(half.max(1)).map(<[_]>::to_vec).collect();
    Arc::new(MemTable::try_new(schema, partitions).expect("table"))
}

/// Median planning time, median run time and the answer as text.
async fn measure(ctx: &SessionContext, sql: &str, repeats: usize) -> (Duration, Duration, String) {
    let mut plans = Vec::new();
    let mut runs = Vec::new();
    let mut answer = String::new();
    for _ in 0..repeats {
        let started = Instant::now();
        let plan = ctx.sql(sql).await.expect("sql");
        let physical = plan.create_physical_plan().await.expect("plan");
        plans.push(started.elapsed());
        let started = Instant::now();
        let batches = datafusion::physical_plan::collect(physical, ctx.task_ctx())
            .await
            .expect("run");
        runs.push(started.elapsed());
        // Values only: the two forms of a question name their columns differently.
        answer = batches
            .iter()
            .flat_map(|b| {
                (0..b.num_rows()).map(move |r| {
                    b.columns()
                        .iter()
                        .map(|c| array_value_to_string(c, r).expect("format"))
                        .collect::<Vec<_>>()
                        .join("|")
                })
            })
            .collect::<Vec<_>>()
            .join("\n");
    }
    (median(plans), median(runs), answer)
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
