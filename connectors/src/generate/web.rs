//! Web events of one day: the sessions of the orders' journeys (buying and the browsing before
//! it), a session for every ad and influencer click that landed, and as many other visits
//! (direct, organic, newsletter, referral) as the day's traffic asks for. Most sessions do not
//! buy; a purchase event carries the order id of its CRM order; a session from an ad click
//! carries that campaign's utm tags.

use chrono::{Days, NaiveDate};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::business::Business;
use super::calendar;
use super::marketing::ad_day;
use super::orders::{Order, Source};
use super::rng::{Stream, stream};

/// One event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Unique across the period.
    pub id: i64,
    /// Microseconds since the epoch, UTC.
    pub time_us: i64,
    /// page_view, product_view, search, add_to_cart, remove_from_cart, begin_checkout or
    /// purchase.
    pub kind: &'static str,
    /// The session.
    pub session_id: i64,
    /// The browser's id; the same across an order's journey.
    pub anonymous_id: String,
    /// Set when the visitor is logged in (buying sessions, returning customers).
    pub customer_id: Option<i64>,
    /// mobile, desktop or tablet.
    pub device: &'static str,
    /// The browser.
    pub browser: &'static str,
    /// The referring site, if any.
    pub referrer: Option<&'static str>,
    /// utm_source of the landing URL.
    pub utm_source: Option<&'static str>,
    /// utm_medium of the landing URL.
    pub utm_medium: Option<&'static str>,
    /// utm_campaign of the landing URL.
    pub utm_campaign: Option<String>,
    /// The page path.
    pub page: String,
    /// The product viewed or added.
    pub product_id: Option<i64>,
    /// The order, on purchase events.
    pub order_id: Option<i64>,
}

/// A session to write out.
struct Session<'a> {
    id: i64,
    anonymous_id: String,
    customer_id: Option<i64>,
    start_second: u32,
    source: Source,
    /// The order this session completes, if it is the purchase.
    purchase: Option<&'a Order>,
    /// Products the visitor looks at (an order's lines, in its journey).
    interest: Vec<i64>,
}

/// Share of ad clicks that reach the site (the rest bounce before the page loads).
const LANDING_RATE: f64 = 0.85;

/// Every event of `day`, in no particular order.
pub fn events_on(b: &Business, day: NaiveDate) -> Vec<Event> {
    let config = &b.config;
    let index = (day - config.start_date).num_days();
    if index < 0 || index >= config.days() {
        return Vec::new();
    }
    let mut rng = stream(config.seed, Stream::Traffic, &[u64::MAX, index as u64]);
    let mut sessions: Vec<Session<'_>> = Vec::new();
    let mut next_session = index * 10_000_000;
    let mut new_session = || {
        next_session += 1;
        next_session
    };

    // Journeys of orders placed today and in the next 7 days that visit today.
    let upcoming: Vec<Vec<Order>> = (0..=7).map(|k| b.orders_on(day + Days::new(k))).collect();
    let mut journey_clicks: std::collections::HashMap<Source, i64> = Default::default();
    for order in upcoming.iter().flatten() {
        let last = order.journey.len() - 1;
        for (n, touch) in order.journey.iter().enumerate() {
            if touch.day != day {
                continue;
            }
            *journey_clicks.entry(touch.source).or_default() += 1;
            sessions.push(Session {
                id: new_session(),
                anonymous_id: format!("a{:x}", order.id * 31 + 7),
                customer_id: (n == last || !order.new_customer).then_some(order.customer_id),
                start_second: touch.second.saturating_sub(rng.random_range(60..900)),
                source: touch.source,
                purchase: (n == last).then_some(order),
                interest: order.lines.iter().map(|l| l.product_id).collect(),
            });
        }
    }

    // Every landed ad click is a session; those not in a journey do not buy.
    for campaign in b.campaigns.iter().filter(|c| c.runs_on(day)) {
        let landed = (ad_day(config, campaign, day).clicks as f64 * LANDING_RATE).round() as i64;
        let source = Source::Campaign(campaign.id);
        let browsing = landed - journey_clicks.get(&source).copied().unwrap_or(0);
        for _ in 0..browsing.max(0) {
            sessions.push(browsing_session(&mut rng, new_session(), source, index));
        }
    }
    // Influencer clicks: from the day's posts.
    for post in super::marketing::posts(config, &b.influencers, &b.promotions, day) {
        let source = Source::Influencer(post.influencer_id);
        let landed = (post.clicks as f64 * LANDING_RATE).round() as i64;
        let browsing = landed - journey_clicks.get(&source).copied().unwrap_or(0);
        for _ in 0..browsing.max(0) {
            sessions.push(browsing_session(&mut rng, new_session(), source, index));
        }
    }

    let mut events = Vec::new();
    for s in &sessions {
        write_session(b, &mut rng, day, s, &mut events);
    }
    // Other visits until the day has its traffic.
    let target = (config.events_per_day as f64 * calendar::demand(day)) as usize;
    while events.len() < target {
        let source = match rng.random_range(0..100) {
            0..=44 => Source::Direct,
            45..=79 => Source::Organic,
            80..=89 => Source::Email,
            _ => Source::Referral,
        };
        let s = browsing_session(&mut rng, new_session(), source, index);
        write_session(b, &mut rng, day, &s, &mut events);
    }
    let base = index * 100_000_000;
    for (n, e) in events.iter_mut().enumerate() {
        e.id = base + n as i64 + 1;
    }
    events
}

fn browsing_session(
    rng: &mut ChaCha8Rng,
    id: i64,
    source: Source,
    day_index: i64,
) -> Session<'static> {
    Session {
        id,
        anonymous_id: format!("v{day_index:x}{:x}", rng.random::<u32>()),
        customer_id: None,
        start_second: visit_second(rng),
        source,
        purchase: None,
        interest: Vec::new(),
    }
}

/// A visit time: busiest in the evening, quiet at night.
fn visit_second(rng: &mut ChaCha8Rng) -> u32 {
    let hour: f64 = match rng.random_range(0..10) {
        0 => rng.random_range(0.0..7.0),
        1..=3 => rng.random_range(7.0..14.0),
        4..=5 => rng.random_range(14.0..18.0),
        _ => rng.random_range(18.0..24.0),
    };
    (hour * 3600.0) as u32
}

const PAGES: [&str; 6] = ["/", "/skincare", "/haircare", "/make-up", "/body", "/sale"];
const DEVICES: [&str; 3] = ["mobile", "desktop", "tablet"];
const BROWSERS: [&str; 4] = ["chrome", "safari", "firefox", "edge"];
const SEARCHES: [&str; 6] = [
    "serum",
    "vegan mascara",
    "shampoo",
    "gift set",
    "spf",
    "aloe",
];

fn write_session(
    b: &Business,
    rng: &mut ChaCha8Rng,
    day: NaiveDate,
    s: &Session<'_>,
    out: &mut Vec<Event>,
) {
    let (utm_source, utm_medium, utm_campaign, referrer) = tags(b, s.source);
    let device = DEVICES[match rng.random_range(0..10) {
        0..=5 => 0,
        6..=8 => 1,
        _ => 2,
    }];
    let browser = BROWSERS[rng.random_range(0..BROWSERS.len())];
    let midnight_us = day
        .and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc()
        .timestamp_micros();
    let mut clock = i64::from(s.start_second) * 1_000_000;
    let mut push = |kind: &'static str,
                    page: String,
                    product_id: Option<i64>,
                    order_id: Option<i64>,
                    rng: &mut ChaCha8Rng| {
        out.push(Event {
            id: 0,
            time_us: (midnight_us + clock).min(midnight_us + 86_399_999_999),
            kind,
            session_id: s.id,
            anonymous_id: s.anonymous_id.clone(),
            customer_id: s.customer_id,
            device,
            browser,
            referrer,
            utm_source,
            utm_medium,
            utm_campaign: utm_campaign.clone(),
            page,
            product_id,
            order_id,
        });
        clock += rng.random_range(5_000_000..90_000_000);
    };
    push(
        "page_view",
        PAGES[rng.random_range(0..PAGES.len())].to_owned(),
        None,
        None,
        rng,
    );
    // A product on sale that day, by popularity (a few draws; the catalogue's oldest product
    // otherwise).
    let product = |rng: &mut ChaCha8Rng| {
        for _ in 0..8 {
            let u: f64 = rng.random();
            let k = b
                .product_cdf
                .partition_point(|c| *c < u)
                .min(b.products.len() - 1);
            if b.products[k].launch_date <= day {
                return b.products[k].id;
            }
        }
        b.products
            .iter()
            .min_by_key(|p| p.launch_date)
            .map(|p| p.id)
            .unwrap_or(1)
    };
    if let Some(order) = s.purchase {
        for line in &order.lines {
            push(
                "product_view",
                format!("/p/{}", line.product_id),
                Some(line.product_id),
                None,
                rng,
            );
            push(
                "add_to_cart",
                format!("/p/{}", line.product_id),
                Some(line.product_id),
                None,
                rng,
            );
        }
        push("begin_checkout", "/checkout".into(), None, None, rng);
        push(
            "purchase",
            "/checkout/thank-you".into(),
            None,
            Some(order.id),
            rng,
        );
        return;
    }
    // Browsing: a third of visits bounce; most look at a few products, some at many, a few
    // fill a cart and leave (about four events a visit, docs/generate.md).
    let depth = match rng.random_range(0..100) {
        0..=29 => 0,
        30..=49 => 1,
        50..=64 => 2,
        65..=84 => 4,
        _ => 7,
    };
    if rng.random_bool(0.12) {
        let q = SEARCHES[rng.random_range(0..SEARCHES.len())];
        push(
            "search",
            format!("/search?q={}", q.replace(' ', "+")),
            None,
            None,
            rng,
        );
    }
    for n in 0..depth {
        // What the visitor will buy later, if it is on sale yet.
        let p = s
            .interest
            .get(n)
            .copied()
            .filter(|id| {
                // Product ids are catalogue positions from 1.
                b.products
                    .get((*id - 1) as usize)
                    .is_some_and(|p| p.launch_date <= day)
            })
            .unwrap_or_else(|| product(rng));
        push("product_view", format!("/p/{p}"), Some(p), None, rng);
        if rng.random_bool(0.18) {
            push("add_to_cart", format!("/p/{p}"), Some(p), None, rng);
            if rng.random_bool(0.3) {
                push("remove_from_cart", "/cart".into(), Some(p), None, rng);
            } else if rng.random_bool(0.25) {
                push("begin_checkout", "/checkout".into(), None, None, rng);
                break;
            }
        }
    }
}

/// utm_source, utm_medium, utm_campaign and referrer of a session from `source`.
fn tags(
    b: &Business,
    source: Source,
) -> (
    Option<&'static str>,
    Option<&'static str>,
    Option<String>,
    Option<&'static str>,
) {
    match source {
        Source::Direct => (None, None, None, None),
        Source::Organic => (None, None, None, Some("https://www.google.com/")),
        Source::Referral => (None, None, None, Some("https://www.beautyblog.example/")),
        Source::Email => (
            Some("newsletter"),
            Some("email"),
            Some("newsletter".into()),
            None,
        ),
        Source::Campaign(id) => {
            let c = b
                .campaigns
                .iter()
                .find(|c| c.id == id)
                .expect("campaign exists");
            let ch = c.channel();
            (
                Some(ch.utm_source),
                Some(ch.utm_medium),
                Some(c.name.clone()),
                None,
            )
        }
        Source::Influencer(id) => {
            let i = b
                .influencers
                .iter()
                .find(|i| i.id == id)
                .expect("influencer exists");
            (
                Some(i.platform),
                Some("influencer"),
                Some(i.handle.clone()),
                None,
            )
        }
    }
}
