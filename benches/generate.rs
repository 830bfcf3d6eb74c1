//! Generator throughput: rows per second on one core for each generated table.
//!
//! Run with `cargo bench -p aloe-connectors --bench generate [-- DAYS EVENTS_PER_DAY]`;
//! results and the machine they came from are recorded in BENCHMARKS.md.

use std::time::Instant;

use aloe_connectors::generate::GenerateConfig;
use aloe_connectors::generate::business::Business;
use chrono::{Days, NaiveDate};
use datafusion::prelude::{SessionConfig, SessionContext};

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let days: u64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(14);
    let events_per_day: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(200_000);
    let start = NaiveDate::from_ymd_opt(2025, 10, 1).expect("valid date");
    let config = GenerateConfig {
        start_date: start,
        end_date: start + Days::new(days - 1),
        events_per_day,
        initial_customers: 50_000,
        ..Default::default()
    };
    // One partition on a single-threaded runtime: the numbers are per core.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let ctx = SessionContext::new_with_config(SessionConfig::new().with_target_partitions(1));
    let business = Business::new(config);
    for (name, table) in business.tables().expect("tables") {
        ctx.register_table(name, table).expect("register");
    }
    println!("{days} days, {events_per_day} events per average day, one core");
    println!(
        "{:<24} {:>12} {:>10} {:>16}",
        "table", "rows", "seconds", "rows/s/core"
    );
    for table in [
        "web_events",
        "orders",
        "order_items",
        "customers",
        "ad_daily",
        "influencer_posts",
        "truth_campaign_daily",
    ] {
        let started = Instant::now();
        let rows: usize = runtime.block_on(async {
            ctx.sql(&format!("SELECT * FROM {table}"))
                .await
                .expect("plan")
                .collect()
                .await
                .expect("scan")
                .iter()
                .map(|b| b.num_rows())
                .sum()
        });
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "{table:<24} {rows:>12} {seconds:>10.3} {:>16.0}",
            rows as f64 / seconds
        );
    }
}
