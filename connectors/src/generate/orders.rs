//! Customers and their orders, generated orders first: how many orders a day has (and how many
//! come from new customers) is drawn for every day when the business is made, so order and
//! customer ids are contiguous and any day can be generated alone. Each order carries its
//! journey, the sessions that led to it over the 7 days before, which the web traffic replays
//! and the ground truth attributes (last non-direct touch).

use chrono::{Days, NaiveDate};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::calendar;
use super::catalogue::Product;
use super::config::GenerateConfig;
use super::marketing::{Campaign, Influencer, Promotion, poisson};
use super::rng::{Stream, stream};

/// Where a session came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// Typed the address or used a bookmark.
    Direct,
    /// An unpaid search result.
    Organic,
    /// A click on a campaign's ad (its id).
    Campaign(i64),
    /// A click on an influencer's post (the influencer's id).
    Influencer(i64),
    /// A click in the newsletter.
    Email,
    /// A link on another site.
    Referral,
}

/// One session of an order's journey.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Touch {
    /// The day of the session.
    pub day: NaiveDate,
    /// Seconds after midnight (UTC) it started.
    pub second: u32,
    /// Where it came from.
    pub source: Source,
}

/// One order line.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// The product.
    pub product_id: i64,
    /// Units.
    pub quantity: i64,
    /// List price per unit, EUR.
    pub unit_price: f64,
    /// Discount on the line, EUR.
    pub discount: f64,
}

/// One order.
#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    /// Order id, from 1, in time order of days.
    pub id: i64,
    /// The customer.
    pub customer_id: i64,
    /// The customer's first order (they signed up with it).
    pub new_customer: bool,
    /// The sessions that led to it; the last one is the purchase.
    pub journey: Vec<Touch>,
    /// completed, returned or cancelled.
    pub status: &'static str,
    /// card, paypal, klarna or apple_pay.
    pub payment_method: &'static str,
    /// The discount code used, if any.
    pub promotion_id: Option<i64>,
    /// standard or express.
    pub shipping_method: &'static str,
    /// Shipping charged, EUR.
    pub shipping_cost: f64,
    /// The lines.
    pub lines: Vec<Line>,
}

impl Order {
    /// The purchase session.
    pub fn purchase(&self) -> &Touch {
        self.journey
            .last()
            .expect("a journey ends with its purchase")
    }

    /// Goods value after discounts, EUR.
    pub fn revenue(&self) -> f64 {
        self.lines
            .iter()
            .map(|l| l.unit_price * l.quantity as f64 - l.discount)
            .sum()
    }

    /// The touch the order is attributed to: the last non-direct session within the 7 days
    /// before the purchase (the purchase session included); none if all were direct.
    pub fn attributed(&self) -> Option<&Touch> {
        let purchase = self.purchase().day;
        self.journey
            .iter()
            .rev()
            .filter(|t| (purchase - t.day).num_days() <= 7)
            .find(|t| t.source != Source::Direct)
    }
}

/// How many orders each day has, drawn once for the period.
#[derive(Debug, Clone)]
pub struct OrderCounts {
    /// Orders per day (index = day number).
    pub orders: Vec<u64>,
    /// Of those, by new customers.
    pub new: Vec<u64>,
    /// Orders before each day (prefix sums of `orders`).
    pub orders_before: Vec<u64>,
    /// New customers before each day.
    pub new_before: Vec<u64>,
}

/// Orders per average day for `events_per_day` web events: about four events a session and
/// one session in forty buying (docs/generate.md).
pub fn orders_per_day(config: &GenerateConfig) -> f64 {
    config.events_per_day as f64 / 100.0
}

/// Draws the order counts of every day.
pub fn order_counts(config: &GenerateConfig) -> OrderCounts {
    let mut rng = stream(config.seed, Stream::Customers, &[1]);
    let base = orders_per_day(config);
    let (mut orders, mut new) = (Vec::new(), Vec::new());
    for day in config.dates() {
        let n = poisson(&mut rng, base * calendar::demand(day)).max(0) as u64;
        // About three orders in five are a first purchase; sales bring more first-time buyers.
        let share = if calendar::sale_period(day).is_some() {
            0.7
        } else {
            0.6
        };
        let k = (0..n).filter(|_| rng.random_bool(share)).count() as u64;
        orders.push(n);
        new.push(k);
    }
    let prefix = |v: &[u64]| {
        v.iter()
            .scan(0, |acc, x| {
                let before = *acc;
                *acc += x;
                Some(before)
            })
            .collect::<Vec<_>>()
    };
    OrderCounts {
        orders_before: prefix(&orders),
        new_before: prefix(&new),
        orders,
        new,
    }
}

/// What the order generator reads.
pub struct Context<'a> {
    /// Size, period and seed.
    pub config: &'a GenerateConfig,
    /// The catalogue.
    pub products: &'a [Product],
    /// Cumulative popularity weights of `products`, for sampling.
    pub product_cdf: &'a [f64],
    /// The campaigns.
    pub campaigns: &'a [Campaign],
    /// The influencers.
    pub influencers: &'a [Influencer],
    /// The discount codes.
    pub promotions: &'a [Promotion],
    /// Order counts per day.
    pub counts: &'a OrderCounts,
}

/// The orders placed on `day`, in time order.
pub fn orders_on(cx: &Context<'_>, day: NaiveDate) -> Vec<Order> {
    let config = cx.config;
    let index = (day - config.start_date).num_days();
    if index < 0 || index >= config.days() {
        return Vec::new();
    }
    let i = index as usize;
    let mut rng = stream(config.seed, Stream::Traffic, &[index as u64]);
    let n = cx.counts.orders[i];
    let new_count = cx.counts.new[i];
    let existing = config.initial_customers + cx.counts.new_before[i];
    let mut new_ids = config.initial_customers + cx.counts.new_before[i] + 1;
    let mut seconds: Vec<u32> = (0..n).map(|_| purchase_second(&mut rng)).collect();
    seconds.sort_unstable();
    // Which of the day's orders come from new customers: spread through the day.
    let mut is_new = vec![false; n as usize];
    for slot in is_new.iter_mut().take(new_count as usize) {
        *slot = true;
    }
    for k in (1..is_new.len()).rev() {
        let j = rng.random_range(0..=k);
        is_new.swap(k, j);
    }
    (0..n as usize)
        .map(|k| {
            let customer_id = if is_new[k] || existing == 0 {
                let id = new_ids;
                new_ids += 1;
                id
            } else {
                // Loyal customers (low ids) order more often.
                let u: f64 = rng.random();
                1 + ((u * u) * existing as f64) as u64 % existing
            };
            let journey = journey(cx, &mut rng, day, seconds[k]);
            let promotion_id = promotion_for(cx, &mut rng, day, &journey);
            let lines = lines(cx, &mut rng, day, promotion_id);
            let goods: f64 = lines
                .iter()
                .map(|l| l.unit_price * l.quantity as f64 - l.discount)
                .sum();
            let status = match rng.random_range(0..100) {
                0..=91 => "completed",
                92..=96 => "returned",
                _ => "cancelled",
            };
            let express = rng.random_bool(0.15);
            Order {
                id: (cx.counts.orders_before[i] + k as u64 + 1) as i64,
                customer_id: customer_id as i64,
                new_customer: is_new[k] || existing == 0,
                journey,
                status,
                payment_method: ["card", "paypal", "klarna", "apple_pay"][rng.random_range(0..4)],
                promotion_id,
                shipping_method: if express { "express" } else { "standard" },
                shipping_cost: if express {
                    7.95
                } else if goods >= 49.0 {
                    0.0
                } else {
                    4.95
                },
                lines,
            }
        })
        .collect()
}

/// A purchase time: evenings are busiest.
fn purchase_second(rng: &mut ChaCha8Rng) -> u32 {
    let hour = loop {
        let h: f64 = 20.5 + rng.random_range(-1.0..1.0) * 9.0 * rng.random::<f64>();
        if (0.0..24.0).contains(&h) {
            break h;
        }
    };
    ((hour * 3600.0) as u32).min(86_399)
}

/// The sessions before and including the purchase, at most 7 days back.
fn journey(cx: &Context<'_>, rng: &mut ChaCha8Rng, day: NaiveDate, second: u32) -> Vec<Touch> {
    let earlier = [0, 0, 1, 1, 1, 2, 2, 3][rng.random_range(0..8)];
    let mut touches: Vec<Touch> = (0..earlier)
        .map(|_| {
            let back = rng.random_range(0..=7u64);
            let d = day - Days::new(back);
            let s = if back == 0 {
                rng.random_range(0..second.max(1))
            } else {
                rng.random_range(0..86_400)
            };
            Touch {
                day: d,
                second: s,
                source: source(cx, rng, d),
            }
        })
        .filter(|t| t.day >= cx.config.start_date)
        .collect();
    touches.sort_by_key(|t| (t.day, t.second));
    touches.push(Touch {
        day,
        second,
        source: source(cx, rng, day),
    });
    touches
}

/// Where a buying session came from on `day`: campaigns running that day and influencers who
/// posted that week can be sources.
fn source(cx: &Context<'_>, rng: &mut ChaCha8Rng, day: NaiveDate) -> Source {
    match rng.random_range(0..100) {
        0..=29 => Source::Direct,
        30..=49 => Source::Organic,
        50..=79 => {
            // A campaign brings journeys by its budget and its channel's pull.
            let running: Vec<&Campaign> = cx.campaigns.iter().filter(|c| c.runs_on(day)).collect();
            match pick(rng, &running, |c| c.daily_budget * c.channel().pull) {
                Some(c) => Source::Campaign(c.id),
                None => Source::Organic,
            }
        }
        80..=87 if !cx.influencers.is_empty() => {
            let all: Vec<&Influencer> = cx.influencers.iter().collect();
            match pick(rng, &all, |i| i.pull) {
                Some(i) => Source::Influencer(i.id),
                None => Source::Organic,
            }
        }
        80..=93 => Source::Email,
        _ => Source::Referral,
    }
}

/// One of `items`, drawn with probability proportional to `weight`; None when there are none.
fn pick<'a, T>(rng: &mut ChaCha8Rng, items: &[&'a T], weight: impl Fn(&T) -> f64) -> Option<&'a T> {
    let total: f64 = items.iter().map(|i| weight(i)).sum();
    if items.is_empty() || total <= 0.0 {
        return items.first().copied();
    }
    let mut u = rng.random_range(0.0..total);
    for item in items {
        u -= weight(item);
        if u < 0.0 {
            return Some(item);
        }
    }
    items.last().copied()
}

/// The discount code an order uses: the influencer's code after an influencer click, the
/// running sale's code in sales, the newsletter's code after an email, and now and then a code
/// from elsewhere.
fn promotion_for(
    cx: &Context<'_>,
    rng: &mut ChaCha8Rng,
    day: NaiveDate,
    journey: &[Touch],
) -> Option<i64> {
    let valid = |p: &&Promotion| p.start_date <= day && day <= p.end_date;
    let last = journey.last().map(|t| t.source);
    match last {
        Some(Source::Influencer(id)) if rng.random_bool(0.8) => cx
            .promotions
            .iter()
            .filter(valid)
            .find(|p| p.influencer_id == Some(id))
            .map(|p| p.id),
        Some(Source::Email) if rng.random_bool(0.6) => cx
            .promotions
            .iter()
            .filter(valid)
            .find(|p| p.code.starts_with("NEWS"))
            .map(|p| p.id),
        _ => {
            let sale = cx
                .promotions
                .iter()
                .filter(valid)
                .find(|p| p.influencer_id.is_none() && !p.code.starts_with("NEWS"));
            match sale {
                Some(p) if rng.random_bool(0.7) => Some(p.id),
                _ => None,
            }
        }
    }
}

/// An order's lines: one to four products by popularity, launched by `day`.
fn lines(
    cx: &Context<'_>,
    rng: &mut ChaCha8Rng,
    day: NaiveDate,
    promotion_id: Option<i64>,
) -> Vec<Line> {
    let pct = promotion_id
        .and_then(|id| cx.promotions.iter().find(|p| p.id == id))
        .map(|p| f64::from(p.discount_pct) / 100.0)
        .unwrap_or(0.0);
    let count = [1, 1, 1, 2, 2, 3, 4][rng.random_range(0..7)];
    let mut out: Vec<Line> = Vec::new();
    let mut attempts = 0;
    while out.len() < count && attempts < 20 {
        attempts += 1;
        let u: f64 = rng.random();
        let k = cx
            .product_cdf
            .partition_point(|c| *c < u)
            .min(cx.products.len() - 1);
        let p = &cx.products[k];
        if p.launch_date > day || out.iter().any(|l| l.product_id == p.id) {
            continue;
        }
        let quantity = if rng.random_bool(0.85) { 1 } else { 2 };
        out.push(Line {
            product_id: p.id,
            quantity,
            unit_price: p.price,
            discount: (p.price * quantity as f64 * pct * 100.0).round() / 100.0,
        });
    }
    if out.is_empty() {
        let p = cx
            .products
            .iter()
            .find(|p| p.launch_date <= day)
            .unwrap_or(&cx.products[0]);
        out.push(Line {
            product_id: p.id,
            quantity: 1,
            unit_price: p.price,
            discount: (p.price * pct * 100.0).round() / 100.0,
        });
    }
    out
}
