//! The shop's models in `sql/`, on generated bronze: `aloe run` builds every one with its data
//! tests passing, and the gold numbers the generator also knows (spend, attributed orders and
//! revenue per campaign, influencer and promotion and day) equal its truth tables row for row.

use std::path::Path;

use crate::harness::{Server, aloe, one_i64};

fn models_dir() -> String {
    crate::harness::repo()
        .join("sql")
        .canonicalize()
        .expect("the sql folder")
        .display()
        .to_string()
}

/// Rows of `truth` (day, id, orders, revenue[, spend]) that `gold` does not match, and the
/// other way round, compared to the cent.
async fn mismatches(c: &tokio_postgres::Client, sql: &str) -> (i64, i64) {
    let row = c.query_one(sql, &[]).await.unwrap();
    (row.get(0), row.get(1))
}

#[tokio::test]
async fn gold_equals_the_generators_truth() {
    let dir = tempfile::tempdir().unwrap();
    // A short period around Black Friday, so sitewide sales and every kind of source occur.
    std::fs::write(
        dir.path().join("aloe.toml"),
        format!(
            "models_dir = \"{}\"\n[generate]\nstart_date = 2025-11-20\nend_date = 2025-12-01\n\
             events_per_day = 3000\ninitial_customers = 500\n[auth]\ntrust = true\n",
            models_dir()
        ),
    )
    .unwrap();
    let out = aloe(dir.path(), &["generate", "all"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = aloe(dir.path(), &["run"]);
    let report = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{report}");
    let built = report.lines().filter(|l| l.starts_with("success")).count();
    let files = ["silver", "gold"]
        .iter()
        .map(|z| {
            std::fs::read_dir(Path::new(&models_dir()).join(z))
                .unwrap()
                .filter(|e| {
                    e.as_ref()
                        .unwrap()
                        .path()
                        .extension()
                        .is_some_and(|x| x == "sql")
                })
                .count()
        })
        .sum::<usize>();
    assert_eq!(built, files, "every model built: {report}");
    assert!(!report.contains("  fail "), "no data test failed: {report}");

    let server = Server::start_in(dir.path(), &[], &[]);
    let c = server.connect().await;
    let campaigns = mismatches(
        &c,
        "SELECT count(*) FILTER (WHERE g.campaign_id IS NULL OR g.orders <> t.attributed_orders \
                OR g.revenue <> t.attributed_revenue OR g.spend <> t.spend), \
                count(*) FILTER (WHERE t.campaign_id IS NULL) \
         FROM gen.truth_campaign_daily t \
         FULL JOIN (SELECT * FROM gold.campaign_daily WHERE spend > 0 OR orders > 0) g \
           ON g.day = t.day AND g.campaign_id = t.campaign_id",
    )
    .await;
    assert_eq!(
        campaigns,
        (0, 0),
        "campaign days (truth unmatched, gold unmatched)"
    );
    let influencers = mismatches(
        &c,
        "SELECT count(*) FILTER (WHERE g.influencer_id IS NULL \
                OR g.attributed_orders <> t.attributed_orders \
                OR g.attributed_revenue <> t.attributed_revenue), \
                count(*) FILTER (WHERE t.influencer_id IS NULL) \
         FROM gen.truth_influencer_daily t \
         FULL JOIN (SELECT * FROM gold.influencer_daily WHERE attributed_orders > 0) g \
           ON g.day = t.day AND g.influencer_id = t.influencer_id",
    )
    .await;
    assert_eq!(influencers, (0, 0), "influencer days");
    let promotions = mismatches(
        &c,
        "SELECT count(*) FILTER (WHERE g.promotion_id IS NULL OR g.orders <> t.attributed_orders \
                OR g.revenue <> t.attributed_revenue), \
                count(*) FILTER (WHERE t.promotion_id IS NULL) \
         FROM gen.truth_promotion_daily t \
         FULL JOIN gold.promotion_daily g ON g.day = t.day AND g.promotion_id = t.promotion_id",
    )
    .await;
    assert_eq!(promotions, (0, 0), "promotion days");
    // Money is numeric to the cent from the generator through bronze's CSV and JSON (their
    // table files declare it) to gold; ratios are double precision,
    // NULL where their denominator is zero (organic channels spend nothing).
    let types: Vec<(String, String, Option<i32>)> = c
        .query(
            "SELECT table_schema || '.' || table_name || '.' || column_name, data_type, \
                    numeric_scale \
             FROM information_schema.columns \
             WHERE (table_schema, table_name) IN (('gen', 'orders'), ('bronze', 'crm_orders'), \
                   ('bronze', 'ads_daily'), ('silver', 'orders'), \
                   ('gold', 'channel_daily'), ('gold', 'campaign_daily')) \
               AND column_name IN ('revenue', 'spend', 'roas', 'cac', 'cpc', 'conversion_rate') \
             ORDER BY 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    for (column, data_type, scale) in &types {
        let ratio = ["roas", "cac", "cpc", "conversion_rate"]
            .iter()
            .any(|r| column.ends_with(&format!(".{r}")));
        if ratio {
            assert_eq!(data_type, "double precision", "{column}");
        } else {
            assert_eq!(
                (data_type.as_str(), *scale),
                ("numeric", Some(2)),
                "{column}"
            );
        }
    }
    assert_eq!(types.len(), 15, "{types:?}");
    let ratios = c
        .query_one(
            "SELECT count(*) FILTER (WHERE spend = 0), \
                    count(*) FILTER (WHERE spend = 0 AND roas IS NOT NULL) \
             FROM gold.channel_daily",
            &[],
        )
        .await
        .unwrap();
    let (free_days, with_roas): (i64, i64) = (ratios.get(0), ratios.get(1));
    assert!(
        free_days > 0 && with_roas == 0,
        "{free_days} days without spend, {with_roas} with a ROAS"
    );
    // The comparison is not vacuous: campaigns, influencers and codes all brought orders.
    let credited: (i64, i64, i64) = {
        let r = c
            .query_one(
                "SELECT count(campaign_id), count(influencer_id), count(promotion_id) \
                 FROM gold.order_attribution",
                &[],
            )
            .await
            .unwrap();
        (r.get(0), r.get(1), r.get(2))
    };
    assert!(
        credited.0 > 0 && credited.1 > 0 && credited.2 > 0,
        "{credited:?}"
    );
    // Every order is in the attribution, and the channels' orders add up to all orders.
    let totals = c
        .query_one(
            "SELECT (SELECT count(*) FROM silver.orders), \
                    (SELECT CAST(sum(orders) AS BIGINT) FROM gold.channel_daily), \
                    (SELECT count(*) FROM gen.orders)",
            &[],
        )
        .await
        .unwrap();
    let (orders, by_channel, generated): (i64, i64, i64) =
        (totals.get(0), totals.get(1), totals.get(2));
    assert_eq!(orders, generated);
    assert_eq!(by_channel, orders);
    // Black Friday's sale shows as uplift against comparable days.
    let uplift: f64 = c
        .query_one(
            "SELECT uplift FROM gold.promotion_impact WHERE code = 'BLACKFRIDAY25'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(uplift > 0.2, "Black Friday uplift {uplift}");
    // The Metabase dashboard's questions all answer with rows, none in floating point.
    let questions = crate::harness::repo().join("deploy/metabase");
    let mut files: Vec<_> = std::fs::read_dir(&questions)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    assert!(files.len() >= 8, "{files:?}");
    for file in files {
        let sql = std::fs::read_to_string(&file).unwrap();
        let rows = c
            .query(sql.trim().trim_end_matches(';'), &[])
            .await
            .unwrap_or_else(|e| panic!("{}: {e:?}", file.display()));
        assert!(!rows.is_empty(), "{} returned no rows", file.display());
        // Money and ratios come rounded as numeric, so a chart shows no float noise.
        let floats: Vec<_> = rows[0]
            .columns()
            .iter()
            .filter(|c| {
                [
                    tokio_postgres::types::Type::FLOAT8,
                    tokio_postgres::types::Type::FLOAT4,
                ]
                .contains(c.type_())
            })
            .map(|c| c.name().to_owned())
            .collect();
        assert!(floats.is_empty(), "{}: {floats:?}", file.display());
    }
    // The README's example queries print what a person expects: rows, money to the cent, no
    // float noise, no infinity.
    let readme = std::fs::read_to_string(crate::harness::repo().join("README.md")).unwrap();
    let examples: Vec<&str> = readme
        .lines()
        .filter(|l| l.starts_with("psql \"host=127.0.0.1 port=5433"))
        .filter_map(|l| l.split_once(" -c '").map(|(_, q)| q.trim_end_matches('\'')))
        .collect();
    assert!(examples.len() >= 2, "{examples:?}");
    for sql in examples {
        let messages = c
            .simple_query(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e:?}"));
        let rows: Vec<_> = messages
            .iter()
            .filter_map(|m| match m {
                tokio_postgres::SimpleQueryMessage::Row(r) => Some(r),
                _ => None,
            })
            .collect();
        assert!(!rows.is_empty(), "{sql}");
        for row in rows {
            for i in 0..row.len() {
                let Some(v) = row.get(i) else { continue };
                let decimals = v.split_once('.').map_or(0, |(_, d)| d.len());
                let numeric = v.parse::<f64>().is_ok();
                assert!(
                    !numeric || (decimals <= 2 && v.parse::<f64>().unwrap().is_finite()),
                    "{sql}: {v}"
                );
            }
        }
    }
    // Lineage: from bronze to gold, as the queries read.
    let reads: Vec<(String, String, String)> = c
        .query(
            "SELECT model, reads, reads_kind FROM aloe.lineage \
             WHERE model IN ('silver.web_events', 'gold.campaign_daily') ORDER BY 1, 2",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    let edge = |m: &str, r: &str, k: &str| (m.to_string(), r.to_string(), k.to_string());
    assert_eq!(
        reads,
        [
            edge("gold.campaign_daily", "gold.order_attribution", "model"),
            edge("gold.campaign_daily", "silver.ad_daily", "model"),
            edge("gold.campaign_daily", "silver.campaigns", "model"),
            edge("gold.campaign_daily", "silver.sessions", "model"),
            edge("silver.web_events", "bronze.web_events", "source"),
        ]
    );
    // Each model's table is at its first Delta version; a view has none.
    let versions: Vec<Option<i64>> = c
        .query("SELECT DISTINCT version FROM aloe.models", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(versions, [Some(0)], "{versions:?}");
    // Models carry their descriptions to the catalog.
    let described: Option<String> = c
        .query_one(
            "SELECT obj_description('gold.campaign_daily'::regclass, 'pg_class')",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(
        described
            .unwrap_or_default()
            .starts_with("Campaign performance")
    );
    // And their columns' descriptions, as col_description and psql's \d+ read them.
    let roas: Option<String> = c
        .query_one(
            "SELECT col_description(a.attrelid, a.attnum) FROM pg_catalog.pg_attribute a \
             WHERE a.attrelid = 'gold.campaign_daily'::regclass AND a.attname = 'roas'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        roas.as_deref(),
        Some("Attributed revenue per unit of spend")
    );
    let out = server.psql(&["-c", "\\d+ gold.campaign_daily"]);
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        shown.contains("Attributed revenue per unit of spend"),
        "{shown}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn the_embedded_default_lands_bronze_and_builds_gold_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let models = models_dir();
    // No configuration file: the embedded default, made smaller through the environment.
    let env = [
        ("ALOE_MODELS_DIR", models.as_str()),
        ("ALOE_GENERATE__START_DATE", "2025-11-20"),
        ("ALOE_GENERATE__END_DATE", "2025-11-30"),
        ("ALOE_GENERATE__EVENTS_PER_DAY", "2000"),
        ("ALOE_GENERATE__INITIAL_CUSTOMERS", "300"),
    ];
    let server = Server::start_bootstrapping(dir.path(), &env);
    let c = server.connect().await;
    // Served at once, while bronze and the models are being made.
    let products = one_i64(&c, "SELECT count(*) FROM gen.products").await;
    assert_eq!(products, 120);
    let total = wait_for_every_model(&c, &models).await;
    let campaign_days = one_i64(&c, "SELECT count(*) FROM gold.campaign_daily").await;
    assert!(campaign_days > 0);
    let history = "SELECT (SELECT count(*) FROM aloe.runs) * 1000000 \
                   + (SELECT count(*) FROM aloe.test_results)";
    let kept = one_i64(&c, history).await;
    assert!(kept > 1_000_000 * total && kept % 1_000_000 > 0, "{kept}");
    drop(c);
    drop(server);
    // A second start finds bronze and every model there: nothing is landed or built again,
    // and the runs and test results of the first are read back from the lake.
    let files_before = count_files(&dir.path().join("data/bronze"));
    let server = Server::start_bootstrapping(dir.path(), &env);
    let c = server.connect().await;
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(
        one_i64(&c, history).await,
        kept,
        "nothing rebuilt, nothing forgotten"
    );
    assert_eq!(count_files(&dir.path().join("data/bronze")), files_before);
    let listed = one_i64(
        &c,
        "SELECT count(*) FROM information_schema.tables WHERE table_name LIKE '%runs%'",
    )
    .await;
    assert_eq!(
        listed, 1,
        "aloe.runs only; the history's own table is no gold table"
    );
    drop(c);
    drop(server);
    // A retention of 0 days drops every earlier run at start.
    let mut short = env.to_vec();
    short.push(("ALOE_RUN_HISTORY_DAYS", "0"));
    let server = Server::start_bootstrapping(dir.path(), &short);
    let c = server.connect().await;
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(one_i64(&c, history).await, 0);
}

/// Waits (at most 5 minutes) until every model of `models` built, failing at the first that
/// failed or was skipped; returns how many there are.
async fn wait_for_every_model(c: &tokio_postgres::Client, models: &str) -> i64 {
    let total = ["silver", "gold"]
        .iter()
        .map(|z| {
            std::fs::read_dir(Path::new(models).join(z))
                .unwrap()
                .count() as i64
        })
        .sum::<i64>();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(300);
    loop {
        let built = one_i64(
            c,
            "SELECT count(*) FROM aloe.models WHERE status = 'success'",
        )
        .await;
        if built == total {
            return total;
        }
        let failed = one_i64(
            c,
            "SELECT count(*) FROM aloe.models WHERE status IN ('failed', 'skipped')",
        )
        .await;
        assert_eq!(failed, 0, "a model did not build");
        assert!(
            std::time::Instant::now() < deadline,
            "{built} of {total} models built"
        );
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
}

fn count_files(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| {
                    if e.path().is_dir() {
                        count_files(&e.path())
                    } else {
                        1
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

/// Every file under `dir` but the landing marker: path relative to `dir`, and bytes.
fn files_and_bytes(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut found = std::collections::BTreeMap::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap().map(Result::unwrap) {
            let path = entry.path();
            if path.is_dir() {
                folders.push(path);
            } else if entry.file_name() != "_aloe_landing.json" {
                let rel = path.strip_prefix(dir).unwrap().display().to_string();
                found.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    found
}

/// The landing marker's state, if there is one.
fn landing_state(dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(dir.join("data/bronze/_aloe_landing.json")).ok()?;
    let marker: serde_json::Value = serde_json::from_str(&text).ok()?;
    Some(marker["state"].as_str()?.to_owned())
}

/// Starts a landing in `dir` and stops it with `stop` once a few days of web events are
/// written; fails unless the landing was still unfinished then.
fn interrupt_landing(dir: &Path, stop: impl FnOnce(&mut Server)) {
    let mut server = Server::start_bootstrapping(dir, &[]);
    let web = dir.join("data/bronze/web_events");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while std::fs::read_dir(&web).map(|d| d.count()).unwrap_or(0) < 5 {
        assert!(std::time::Instant::now() < deadline, "no landing began");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    stop(&mut server);
    assert_eq!(
        landing_state(dir).as_deref(),
        Some("started"),
        "the landing finished before it could be stopped: the test needs a longer period"
    );
}

#[tokio::test]
async fn an_interrupted_first_start_is_landed_again_in_full_at_the_next() {
    let models = models_dir();
    // A year, so that the landing takes seconds and can be stopped half-way.
    let config = format!(
        "seed_bronze = true\nbuild_missing_models = false\nmodels_dir = {models:?}\n\
         [generate]\nstart_date = \"2025-01-01\"\nend_date = \"2025-12-31\"\n\
         events_per_day = 1500\ninitial_customers = 300\n[auth]\ntrust = true\n"
    );
    let reference = tempfile::tempdir().unwrap();
    crate::harness::write(reference.path(), "aloe.toml", &config);
    let out = aloe(reference.path(), &["generate", "all"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected = files_and_bytes(&reference.path().join("data/bronze"));

    let dir = tempfile::tempdir().unwrap();
    crate::harness::write(dir.path(), "aloe.toml", &config);
    // Stopped as `docker stop` would, then stopped again while landing anew, as a crash would.
    interrupt_landing(dir.path(), |s| {
        s.terminate();
    });
    interrupt_landing(dir.path(), Server::kill);
    let partial = files_and_bytes(&dir.path().join("data/bronze"));
    assert!(partial.len() < expected.len(), "{} files", partial.len());

    // The third start finishes the landing, and the models build on the whole year.
    crate::harness::write(
        dir.path(),
        "aloe.toml",
        &config.replace(
            "build_missing_models = false",
            "build_missing_models = true",
        ),
    );
    let server = Server::start_bootstrapping(dir.path(), &[]);
    let c = server.connect().await;
    wait_for_every_model(&c, &models).await;
    assert_eq!(landing_state(dir.path()).as_deref(), Some("complete"));
    let landed = files_and_bytes(&dir.path().join("data/bronze"));
    assert_eq!(
        landed.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>(),
        "the same files"
    );
    assert!(landed == expected, "the same bytes in every file");
    // The rows bronze serves are the rows the marker counted.
    let marker: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("data/bronze/_aloe_landing.json")).unwrap(),
    )
    .unwrap();
    let mut served = 0;
    for table in [
        "crm_products",
        "crm_promotions",
        "crm_customers",
        "crm_orders",
        "crm_order_items",
        "ads_campaigns",
        "influencers",
        "ads_daily",
        "influencer_posts",
        "web_events",
    ] {
        served += one_i64(&c, &format!("SELECT count(*) FROM bronze.{table}")).await;
    }
    assert_eq!(Some(served), marker["rows"].as_i64());
    let orders = one_i64(&c, "SELECT count(*) FROM silver.orders").await;
    let bronze_orders = one_i64(&c, "SELECT count(*) FROM bronze.crm_orders").await;
    assert_eq!(orders, bronze_orders);
}
