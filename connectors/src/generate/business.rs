//! The generated business as tables: the parts made once (products, campaigns, influencers,
//! promotions) as in-memory tables, and the parts that belong to days (ad delivery, posts) as
//! [`Daily`] tables generated on demand.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanArray, Date32Array, Decimal128Array, Int64Array, RecordBatch, StringArray,
    TimestampMicrosecondArray,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use chrono::NaiveDate;
use datafusion::catalog::{MemorySchemaProvider, SchemaProvider, TableProvider};
use datafusion::datasource::MemTable;
use datafusion::error::Result;

use super::catalogue::{Product, products};
use super::config::GenerateConfig;
use super::daily::{Daily, DailyRows};
use super::marketing::{
    Campaign, Influencer, Promotion, ad_day, campaigns, influencers, posts, promotions,
};
use super::orders::{Context, Order, OrderCounts, Source, order_counts, orders_on};
use super::rng::{Stream, stream};

/// The parts of the business that do not depend on the day.
#[derive(Debug)]
pub struct Business {
    /// Size, period and seed.
    pub config: GenerateConfig,
    /// The catalogue.
    pub products: Vec<Product>,
    /// Campaigns of the period.
    pub campaigns: Vec<Campaign>,
    /// Influencers.
    pub influencers: Vec<Influencer>,
    /// Discount codes.
    pub promotions: Vec<Promotion>,
    /// Orders per day, drawn for the whole period.
    pub counts: OrderCounts,
    /// Cumulative product popularity, for sampling.
    pub product_cdf: Vec<f64>,
}

/// Schema `gen`: the business of `config` as tables, generated at scan time.
pub fn gen_schema(config: GenerateConfig) -> Result<Arc<dyn SchemaProvider>> {
    let schema = MemorySchemaProvider::new();
    for (name, table) in Business::new(config).tables()? {
        schema.register_table(name.to_owned(), table)?;
    }
    Ok(Arc::new(schema))
}

impl Business {
    /// The business `config` describes.
    pub fn new(config: GenerateConfig) -> Arc<Self> {
        let influencers = influencers(&config);
        let products = products(&config);
        let product_cdf = products
            .iter()
            .scan(0.0, |acc, p| {
                *acc += p.weight;
                Some(*acc)
            })
            .collect();
        Arc::new(Self {
            campaigns: campaigns(&config),
            promotions: promotions(&config, &influencers),
            counts: order_counts(&config),
            influencers,
            products,
            product_cdf,
            config,
        })
    }

    /// The orders placed on `day`.
    pub fn orders_on(&self, day: NaiveDate) -> Vec<Order> {
        orders_on(
            &Context {
                config: &self.config,
                products: &self.products,
                product_cdf: &self.product_cdf,
                campaigns: &self.campaigns,
                influencers: &self.influencers,
                promotions: &self.promotions,
                counts: &self.counts,
            },
            day,
        )
    }

    /// The web events of `day`, as table `web_events` has them.
    pub fn web_events_on(self: &Arc<Self>, day: NaiveDate) -> Result<RecordBatch> {
        WebEvents(self.clone()).day(day)
    }

    /// Every table of the business, by name.
    pub fn tables(self: &Arc<Self>) -> Result<Vec<(&'static str, Arc<dyn TableProvider>)>> {
        Ok(vec![
            ("products", mem(self.products_batch()?)?),
            ("campaigns", mem(self.campaigns_batch()?)?),
            ("influencers", mem(self.influencers_batch()?)?),
            ("promotions", mem(self.promotions_batch()?)?),
            (
                "ad_daily",
                Arc::new(Daily::new(AdDaily(self.clone()), self.config.clone())),
            ),
            (
                "influencer_posts",
                Arc::new(Daily::new(
                    InfluencerPosts(self.clone()),
                    self.config.clone(),
                )),
            ),
            (
                "customers",
                Arc::new(Daily::new(Customers(self.clone()), self.config.clone())),
            ),
            (
                "orders",
                Arc::new(Daily::new(Orders(self.clone()), self.config.clone())),
            ),
            (
                "order_items",
                Arc::new(Daily::new(OrderItems(self.clone()), self.config.clone())),
            ),
            (
                "web_events",
                Arc::new(Daily::new(WebEvents(self.clone()), self.config.clone())),
            ),
            (
                "truth_campaign_daily",
                Arc::new(Daily::new(
                    TruthCampaigns(self.clone()),
                    self.config.clone(),
                )),
            ),
            (
                "truth_influencer_daily",
                Arc::new(Daily::new(
                    TruthInfluencers(self.clone()),
                    self.config.clone(),
                )),
            ),
            (
                "truth_promotion_daily",
                Arc::new(Daily::new(
                    TruthPromotions(self.clone()),
                    self.config.clone(),
                )),
            ),
        ])
    }

    fn products_batch(&self) -> Result<RecordBatch> {
        let p = &self.products;
        batch(
            &[
                ("product_id", DataType::Int64),
                ("sku", DataType::Utf8),
                ("name", DataType::Utf8),
                ("category", DataType::Utf8),
                ("subcategory", DataType::Utf8),
                ("price", MONEY),
                ("cost", MONEY),
                ("launch_date", DataType::Date32),
            ],
            vec![
                ints(p.iter().map(|x| x.id)),
                strings(p.iter().map(|x| x.sku.as_str())),
                strings(p.iter().map(|x| x.name.as_str())),
                strings(p.iter().map(|x| x.category)),
                strings(p.iter().map(|x| x.subcategory)),
                money(p.iter().map(|x| x.price)),
                money(p.iter().map(|x| x.cost)),
                dates(p.iter().map(|x| x.launch_date)),
            ],
        )
    }

    fn campaigns_batch(&self) -> Result<RecordBatch> {
        let c = &self.campaigns;
        batch(
            &[
                ("campaign_id", DataType::Int64),
                ("name", DataType::Utf8),
                ("channel", DataType::Utf8),
                ("platform", DataType::Utf8),
                ("start_date", DataType::Date32),
                ("end_date", DataType::Date32),
                ("daily_budget", MONEY),
                ("utm_source", DataType::Utf8),
                ("utm_medium", DataType::Utf8),
                ("utm_campaign", DataType::Utf8),
            ],
            vec![
                ints(c.iter().map(|x| x.id)),
                strings(c.iter().map(|x| x.name.as_str())),
                strings(c.iter().map(|x| x.channel().name)),
                strings(c.iter().map(|x| x.channel().platform)),
                dates(c.iter().map(|x| x.start_date)),
                dates(c.iter().map(|x| x.end_date)),
                money(c.iter().map(|x| x.daily_budget)),
                strings(c.iter().map(|x| x.channel().utm_source)),
                strings(c.iter().map(|x| x.channel().utm_medium)),
                strings(c.iter().map(|x| x.name.as_str())),
            ],
        )
    }

    fn influencers_batch(&self) -> Result<RecordBatch> {
        let i = &self.influencers;
        batch(
            &[
                ("influencer_id", DataType::Int64),
                ("handle", DataType::Utf8),
                ("platform", DataType::Utf8),
                ("followers", DataType::Int64),
                ("fee_per_post", MONEY),
            ],
            vec![
                ints(i.iter().map(|x| x.id)),
                strings(i.iter().map(|x| x.handle.as_str())),
                strings(i.iter().map(|x| x.platform)),
                ints(i.iter().map(|x| x.followers)),
                money(i.iter().map(|x| x.fee_per_post)),
            ],
        )
    }

    fn promotions_batch(&self) -> Result<RecordBatch> {
        let p = &self.promotions;
        batch(
            &[
                ("promotion_id", DataType::Int64),
                ("code", DataType::Utf8),
                ("name", DataType::Utf8),
                ("discount_pct", DataType::Int64),
                ("start_date", DataType::Date32),
                ("end_date", DataType::Date32),
                ("influencer_id", DataType::Int64),
            ],
            vec![
                ints(p.iter().map(|x| x.id)),
                strings(p.iter().map(|x| x.code.as_str())),
                strings(p.iter().map(|x| x.name.as_str())),
                ints(p.iter().map(|x| i64::from(x.discount_pct))),
                dates(p.iter().map(|x| x.start_date)),
                dates(p.iter().map(|x| x.end_date)),
                Arc::new(p.iter().map(|x| x.influencer_id).collect::<Int64Array>()),
            ],
        )
    }
}

/// `ad_daily`: what each running campaign delivered per day, as the platforms export it.
#[derive(Debug)]
struct AdDaily(Arc<Business>);

fn ad_daily_schema() -> SchemaRef {
    schema(&[
        ("day", DataType::Date32),
        ("campaign_id", DataType::Int64),
        ("platform", DataType::Utf8),
        ("spend", MONEY),
        ("impressions", DataType::Int64),
        ("clicks", DataType::Int64),
        ("platform_conversions", DataType::Int64),
    ])
}

impl DailyRows for AdDaily {
    fn schema(&self) -> SchemaRef {
        ad_daily_schema()
    }

    fn date_column(&self) -> &'static str {
        "day"
    }

    fn day(&self, day: NaiveDate) -> Result<RecordBatch> {
        let b = &self.0;
        let rows: Vec<_> = b
            .campaigns
            .iter()
            .filter(|c| c.runs_on(day))
            .map(|c| (c, ad_day(&b.config, c, day)))
            .collect();
        Ok(RecordBatch::try_new(
            ad_daily_schema(),
            vec![
                dates(rows.iter().map(|_| day)),
                ints(rows.iter().map(|(c, _)| c.id)),
                strings(rows.iter().map(|(c, _)| c.channel().platform)),
                money(rows.iter().map(|(_, a)| a.spend)),
                ints(rows.iter().map(|(_, a)| a.impressions)),
                ints(rows.iter().map(|(_, a)| a.clicks)),
                ints(rows.iter().map(|(_, a)| a.platform_conversions)),
            ],
        )?)
    }
}

/// `influencer_posts`: the posts that went up each day.
#[derive(Debug)]
struct InfluencerPosts(Arc<Business>);

fn posts_schema() -> SchemaRef {
    schema(&[
        ("post_id", DataType::Int64),
        ("day", DataType::Date32),
        ("influencer_id", DataType::Int64),
        ("platform", DataType::Utf8),
        ("reach", DataType::Int64),
        ("engagements", DataType::Int64),
        ("clicks", DataType::Int64),
        ("promo_code", DataType::Utf8),
    ])
}

impl DailyRows for InfluencerPosts {
    fn schema(&self) -> SchemaRef {
        posts_schema()
    }

    fn date_column(&self) -> &'static str {
        "day"
    }

    fn day(&self, day: NaiveDate) -> Result<RecordBatch> {
        let b = &self.0;
        let p = posts(&b.config, &b.influencers, &b.promotions, day);
        Ok(RecordBatch::try_new(
            posts_schema(),
            vec![
                ints(p.iter().map(|x| x.id)),
                dates(p.iter().map(|x| x.day)),
                ints(p.iter().map(|x| x.influencer_id)),
                strings(p.iter().map(|x| x.platform)),
                ints(p.iter().map(|x| x.reach)),
                ints(p.iter().map(|x| x.engagements)),
                ints(p.iter().map(|x| x.clicks)),
                strings(p.iter().map(|x| x.promo_code.as_str())),
            ],
        )?)
    }
}

/// `customers`: those who existed before the period, then each new customer on the day of
/// their first order.
#[derive(Debug)]
struct Customers(Arc<Business>);

fn customers_schema() -> SchemaRef {
    schema(&[
        ("customer_id", DataType::Int64),
        ("signup_date", DataType::Date32),
        ("country", DataType::Utf8),
        ("city", DataType::Utf8),
        ("acquisition_channel", DataType::Utf8),
        ("loyalty_tier", DataType::Utf8),
        ("marketing_consent", DataType::Boolean),
    ])
}

const CITIES: [(&str, &str); 12] = [
    ("DE", "Berlin"),
    ("DE", "Hamburg"),
    ("DE", "Munich"),
    ("DE", "Cologne"),
    ("AT", "Vienna"),
    ("CH", "Zurich"),
    ("FR", "Paris"),
    ("FR", "Lyon"),
    ("NL", "Amsterdam"),
    ("IT", "Milan"),
    ("ES", "Madrid"),
    ("DK", "Copenhagen"),
];

/// One customer's attributes, from a stream of their own.
struct CustomerRow {
    id: i64,
    signup: NaiveDate,
    city: (&'static str, &'static str),
    channel: &'static str,
    tier: &'static str,
    consent: bool,
}

impl Customers {
    fn row(&self, id: i64, signup: NaiveDate, channel: &'static str) -> CustomerRow {
        use rand::Rng;
        let mut rng = stream(self.0.config.seed, Stream::Customers, &[3, id as u64]);
        let tenure = (self.0.config.end_date - signup).num_days();
        let tier = match (tenure, rng.random_range(0..10)) {
            (t, 0..=2) if t > 365 => "gold",
            (t, 0..=4) if t > 120 => "silver",
            _ => "bronze",
        };
        CustomerRow {
            id,
            signup,
            city: CITIES[rng.random_range(0..CITIES.len())],
            channel,
            tier,
            consent: rng.random_bool(0.62),
        }
    }

    fn batch(rows: &[CustomerRow]) -> Result<RecordBatch> {
        Ok(RecordBatch::try_new(
            customers_schema(),
            vec![
                ints(rows.iter().map(|r| r.id)),
                dates(rows.iter().map(|r| r.signup)),
                strings(rows.iter().map(|r| r.city.0)),
                strings(rows.iter().map(|r| r.city.1)),
                strings(rows.iter().map(|r| r.channel)),
                strings(rows.iter().map(|r| r.tier)),
                Arc::new(
                    rows.iter()
                        .map(|r| Some(r.consent))
                        .collect::<BooleanArray>(),
                ),
            ],
        )?)
    }
}

/// The channel name of a source, as customers' acquisition_channel and reports use it.
pub fn channel_of(business: &Business, source: Option<Source>) -> &'static str {
    match source {
        None | Some(Source::Direct) => "direct",
        Some(Source::Organic) => "organic",
        Some(Source::Campaign(id)) => business
            .campaigns
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.channel().name)
            .unwrap_or("direct"),
        Some(Source::Influencer(_)) => "influencer",
        Some(Source::Email) => "email",
        Some(Source::Referral) => "referral",
    }
}

impl DailyRows for Customers {
    fn schema(&self) -> SchemaRef {
        customers_schema()
    }

    fn date_column(&self) -> &'static str {
        "signup_date"
    }

    fn day(&self, day: NaiveDate) -> Result<RecordBatch> {
        let rows: Vec<CustomerRow> = self
            .0
            .orders_on(day)
            .iter()
            .filter(|o| o.new_customer)
            .map(|o| {
                let channel = channel_of(&self.0, o.attributed().map(|t| t.source));
                self.row(o.customer_id, day, channel)
            })
            .collect();
        Self::batch(&rows)
    }

    fn before_period(&self) -> Result<Option<RecordBatch>> {
        use rand::Rng;
        let config = &self.0.config;
        let channels = ["organic", "search", "social", "email", "referral", "direct"];
        let rows: Vec<CustomerRow> = (1..=config.initial_customers as i64)
            .map(|id| {
                let mut rng = stream(config.seed, Stream::Customers, &[2, id as u64]);
                // Low ids signed up first.
                let back = 1
                    + (config.initial_customers as i64 - id) * 1_500
                        / config.initial_customers.max(1) as i64;
                let signup = config.start_date - chrono::Days::new(back as u64);
                self.row(id, signup, channels[rng.random_range(0..channels.len())])
            })
            .collect();
        Ok(Some(Self::batch(&rows)?))
    }
}

/// `orders`: one row per order, on the day it was placed.
#[derive(Debug)]
struct Orders(Arc<Business>);

fn orders_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("order_id", DataType::Int64, false),
        Field::new("customer_id", DataType::Int64, false),
        Field::new("order_date", DataType::Date32, false),
        Field::new(
            "order_time",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            false,
        ),
        Field::new("status", DataType::Utf8, false),
        Field::new("payment_method", DataType::Utf8, false),
        Field::new("discount_code", DataType::Utf8, true),
        Field::new("shipping_method", DataType::Utf8, false),
        Field::new("shipping_cost", MONEY, false),
        Field::new("items", DataType::Int64, false),
        Field::new("revenue", MONEY, false),
    ]))
}

impl DailyRows for Orders {
    fn schema(&self) -> SchemaRef {
        orders_schema()
    }

    fn date_column(&self) -> &'static str {
        "order_date"
    }

    fn time_column(&self) -> Option<&'static str> {
        Some("order_time")
    }

    fn day(&self, day: NaiveDate) -> Result<RecordBatch> {
        let orders = self.0.orders_on(day);
        let code = |o: &Order| {
            o.promotion_id
                .and_then(|id| self.0.promotions.iter().find(|p| p.id == id))
                .map(|p| p.code.clone())
        };
        Ok(RecordBatch::try_new(
            orders_schema(),
            vec![
                ints(orders.iter().map(|o| o.id)),
                ints(orders.iter().map(|o| o.customer_id)),
                dates(orders.iter().map(|_| day)),
                Arc::new(
                    TimestampMicrosecondArray::from_iter_values(
                        orders.iter().map(|o| micros(day, o.purchase().second)),
                    )
                    .with_timezone("UTC"),
                ),
                strings(orders.iter().map(|o| o.status)),
                strings(orders.iter().map(|o| o.payment_method)),
                Arc::new(orders.iter().map(code).collect::<StringArray>()),
                strings(orders.iter().map(|o| o.shipping_method)),
                money(orders.iter().map(|o| o.shipping_cost)),
                ints(orders.iter().map(|o| o.lines.len() as i64)),
                money(orders.iter().map(|o| o.revenue())),
            ],
        )?)
    }
}

/// `order_items`: the lines of each order.
#[derive(Debug)]
struct OrderItems(Arc<Business>);

fn order_items_schema() -> SchemaRef {
    schema(&[
        ("order_id", DataType::Int64),
        ("line_number", DataType::Int64),
        ("order_date", DataType::Date32),
        ("product_id", DataType::Int64),
        ("quantity", DataType::Int64),
        ("unit_price", MONEY),
        ("discount", MONEY),
    ])
}

impl DailyRows for OrderItems {
    fn schema(&self) -> SchemaRef {
        order_items_schema()
    }

    fn date_column(&self) -> &'static str {
        "order_date"
    }

    fn day(&self, day: NaiveDate) -> Result<RecordBatch> {
        let orders = self.0.orders_on(day);
        let lines: Vec<_> = orders
            .iter()
            .flat_map(|o| o.lines.iter().enumerate().map(move |(n, l)| (o.id, n, l)))
            .collect();
        Ok(RecordBatch::try_new(
            order_items_schema(),
            vec![
                ints(lines.iter().map(|(id, _, _)| *id)),
                ints(lines.iter().map(|(_, n, _)| *n as i64 + 1)),
                dates(lines.iter().map(|_| day)),
                ints(lines.iter().map(|(_, _, l)| l.product_id)),
                ints(lines.iter().map(|(_, _, l)| l.quantity)),
                money(lines.iter().map(|(_, _, l)| l.unit_price)),
                money(lines.iter().map(|(_, _, l)| l.discount)),
            ],
        )?)
    }
}

/// `web_events`: what the shop's tracking recorded.
#[derive(Debug)]
struct WebEvents(Arc<Business>);

fn web_events_schema() -> SchemaRef {
    let text = |n: &str, null: bool| Field::new(n, DataType::Utf8, null);
    Arc::new(Schema::new(vec![
        Field::new("event_id", DataType::Int64, false),
        Field::new(
            "event_time",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            false,
        ),
        Field::new("event_date", DataType::Date32, false),
        text("event_type", false),
        Field::new("session_id", DataType::Int64, false),
        text("anonymous_id", false),
        Field::new("customer_id", DataType::Int64, true),
        text("device", false),
        text("browser", false),
        text("referrer", true),
        text("utm_source", true),
        text("utm_medium", true),
        text("utm_campaign", true),
        text("page", false),
        Field::new("product_id", DataType::Int64, true),
        Field::new("order_id", DataType::Int64, true),
    ]))
}

impl DailyRows for WebEvents {
    fn schema(&self) -> SchemaRef {
        web_events_schema()
    }

    fn date_column(&self) -> &'static str {
        "event_date"
    }

    fn time_column(&self) -> Option<&'static str> {
        Some("event_time")
    }

    fn day(&self, day: NaiveDate) -> Result<RecordBatch> {
        let e = super::web::events_on(&self.0, day);
        let opt =
            |v: Vec<Option<&str>>| -> ArrayRef { Arc::new(v.into_iter().collect::<StringArray>()) };
        Ok(RecordBatch::try_new(
            web_events_schema(),
            vec![
                ints(e.iter().map(|x| x.id)),
                Arc::new(
                    TimestampMicrosecondArray::from_iter_values(e.iter().map(|x| x.time_us))
                        .with_timezone("UTC"),
                ),
                dates(e.iter().map(|_| day)),
                strings(e.iter().map(|x| x.kind)),
                ints(e.iter().map(|x| x.session_id)),
                strings(e.iter().map(|x| x.anonymous_id.as_str())),
                Arc::new(e.iter().map(|x| x.customer_id).collect::<Int64Array>()),
                strings(e.iter().map(|x| x.device)),
                strings(e.iter().map(|x| x.browser)),
                opt(e.iter().map(|x| x.referrer).collect()),
                opt(e.iter().map(|x| x.utm_source).collect()),
                opt(e.iter().map(|x| x.utm_medium).collect()),
                opt(e.iter().map(|x| x.utm_campaign.as_deref()).collect()),
                strings(e.iter().map(|x| x.page.as_str())),
                Arc::new(e.iter().map(|x| x.product_id).collect::<Int64Array>()),
                Arc::new(e.iter().map(|x| x.order_id).collect::<Int64Array>()),
            ],
        )?)
    }
}

/// `truth_campaign_daily`: spend and the orders each campaign caused, per day.
#[derive(Debug)]
struct TruthCampaigns(Arc<Business>);

fn truth_campaigns_schema() -> SchemaRef {
    schema(&[
        ("day", DataType::Date32),
        ("campaign_id", DataType::Int64),
        ("spend", MONEY),
        ("attributed_orders", DataType::Int64),
        ("attributed_revenue", MONEY),
    ])
}

impl DailyRows for TruthCampaigns {
    fn schema(&self) -> SchemaRef {
        truth_campaigns_schema()
    }

    fn date_column(&self) -> &'static str {
        "day"
    }

    fn day(&self, day: NaiveDate) -> Result<RecordBatch> {
        let rows = super::truth::campaigns_on(&self.0, day);
        Ok(RecordBatch::try_new(
            truth_campaigns_schema(),
            vec![
                dates(rows.iter().map(|_| day)),
                ints(rows.iter().map(|r| r.campaign_id)),
                money(rows.iter().map(|r| r.spend)),
                ints(rows.iter().map(|r| r.orders)),
                money(rows.iter().map(|r| r.revenue)),
            ],
        )?)
    }
}

/// `truth_influencer_daily` and `truth_promotion_daily`: orders caused per day.
fn caused_schema(id: &str) -> SchemaRef {
    schema(&[
        ("day", DataType::Date32),
        (id, DataType::Int64),
        ("attributed_orders", DataType::Int64),
        ("attributed_revenue", MONEY),
    ])
}

fn caused_batch(id: &str, day: NaiveDate, rows: &[super::truth::Caused]) -> Result<RecordBatch> {
    Ok(RecordBatch::try_new(
        caused_schema(id),
        vec![
            dates(rows.iter().map(|_| day)),
            ints(rows.iter().map(|r| r.id)),
            ints(rows.iter().map(|r| r.orders)),
            money(rows.iter().map(|r| r.revenue)),
        ],
    )?)
}

#[derive(Debug)]
struct TruthInfluencers(Arc<Business>);

impl DailyRows for TruthInfluencers {
    fn schema(&self) -> SchemaRef {
        caused_schema("influencer_id")
    }

    fn date_column(&self) -> &'static str {
        "day"
    }

    fn day(&self, day: NaiveDate) -> Result<RecordBatch> {
        caused_batch(
            "influencer_id",
            day,
            &super::truth::influencers_on(&self.0, day),
        )
    }
}

#[derive(Debug)]
struct TruthPromotions(Arc<Business>);

impl DailyRows for TruthPromotions {
    fn schema(&self) -> SchemaRef {
        caused_schema("promotion_id")
    }

    fn date_column(&self) -> &'static str {
        "day"
    }

    fn day(&self, day: NaiveDate) -> Result<RecordBatch> {
        caused_batch(
            "promotion_id",
            day,
            &super::truth::promotions_on(&self.0, day),
        )
    }
}

/// Microseconds since the epoch of `second` past midnight UTC on `day`.
fn micros(day: NaiveDate, second: u32) -> i64 {
    day.and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc()
        .timestamp_micros()
        + i64::from(second) * 1_000_000
}

fn schema(fields: &[(&str, DataType)]) -> SchemaRef {
    Arc::new(Schema::new(
        fields
            .iter()
            .map(|(n, t)| Field::new(*n, t.clone(), *n == "influencer_id"))
            .collect::<Vec<_>>(),
    ))
}

fn batch(fields: &[(&str, DataType)], columns: Vec<ArrayRef>) -> Result<RecordBatch> {
    Ok(RecordBatch::try_new(schema(fields), columns)?)
}

fn mem(batch: RecordBatch) -> Result<Arc<dyn TableProvider>> {
    Ok(Arc::new(MemTable::try_new(
        batch.schema(),
        vec![vec![batch]],
    )?))
}

fn ints(v: impl Iterator<Item = i64>) -> ArrayRef {
    Arc::new(v.collect::<Int64Array>())
}

/// Amounts in EUR as `numeric(12,2)`: the generator's amounts are whole cents already, so
/// rounding only removes the binary fraction's noise.
fn money(v: impl Iterator<Item = f64>) -> ArrayRef {
    Arc::new(
        Decimal128Array::from_iter_values(v.map(|x| (x * 100.0).round() as i128))
            .with_precision_and_scale(12, 2)
            .expect("12,2 is a valid decimal type"),
    )
}

/// The type of every amount of money: EUR to the cent, up to ten billion.
pub const MONEY: DataType = DataType::Decimal128(12, 2);

fn strings<'a>(v: impl Iterator<Item = &'a str>) -> ArrayRef {
    Arc::new(v.map(Some).collect::<StringArray>())
}

fn dates(v: impl Iterator<Item = NaiveDate>) -> ArrayRef {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
    Arc::new(Date32Array::from_iter_values(
        v.map(|d| (d - epoch).num_days() as i32),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::prelude::SessionContext;

    async fn ctx(b: &Arc<Business>) -> SessionContext {
        let ctx = SessionContext::new();
        for (name, table) in b.tables().unwrap() {
            ctx.register_table(name, table).unwrap();
        }
        ctx
    }

    async fn one_i64(ctx: &SessionContext, sql: &str) -> i64 {
        let batches = ctx.sql(sql).await.unwrap().collect().await.unwrap();
        batches[0]
            .column(0)
            .as_any()
            .downcast_ref::<Int64Array>()
            .unwrap()
            .value(0)
    }

    #[tokio::test]
    async fn ad_daily_has_a_row_per_running_campaign_and_day() {
        let b = Business::new(GenerateConfig::default());
        let ctx = ctx(&b).await;
        let expected: i64 = b
            .config
            .dates()
            .map(|d| b.campaigns.iter().filter(|c| c.runs_on(d)).count() as i64)
            .sum();
        assert_eq!(
            one_i64(&ctx, "SELECT count(*) FROM ad_daily").await,
            expected
        );
        let orphans = one_i64(
            &ctx,
            "SELECT count(*) FROM ad_daily a LEFT JOIN campaigns c USING (campaign_id) \
             WHERE c.name IS NULL OR a.day < c.start_date OR a.day > c.end_date",
        )
        .await;
        assert_eq!(orphans, 0);
        let unknown_codes = one_i64(
            &ctx,
            "SELECT count(*) FROM influencer_posts p LEFT JOIN promotions r ON r.code = p.promo_code \
             WHERE r.code IS NULL",
        )
        .await;
        assert_eq!(unknown_codes, 0);
    }

    #[tokio::test]
    async fn a_date_filter_generates_only_its_days() {
        let b = Business::new(GenerateConfig::default());
        let daily = Arc::new(Daily::new(AdDaily(b.clone()), b.config.clone()));
        let ctx = SessionContext::new();
        ctx.register_table("ad_daily", daily.clone()).unwrap();
        let one_day = one_i64(
            &ctx,
            "SELECT count(*) FROM ad_daily WHERE day = DATE '2025-10-01'",
        )
        .await;
        assert!(one_day > 0);
        assert_eq!(daily.days_generated(), 1);
        let week = one_i64(
            &ctx,
            "SELECT count(*) FROM ad_daily WHERE day BETWEEN '2025-10-01' AND '2025-10-07' \
             AND spend > 0",
        )
        .await;
        assert!(week >= one_day);
        assert_eq!(daily.days_generated(), 8);
        // Unfiltered, every day of the period; the answer agrees with the filtered one.
        let all_for_day = one_i64(
            &ctx,
            "SELECT count(*) FILTER (WHERE day = DATE '2025-10-01') FROM ad_daily",
        )
        .await;
        assert_eq!(all_for_day, one_day);
        assert_eq!(daily.days_generated(), 8 + b.config.days() as u64);
    }

    #[tokio::test]
    async fn a_time_range_on_event_time_generates_only_its_days() {
        let config = GenerateConfig {
            events_per_day: 2_000,
            ..Default::default()
        };
        let b = Business::new(config.clone());
        let events = Arc::new(Daily::new(WebEvents(b.clone()), config));
        let ctx = SessionContext::new();
        ctx.register_table("web_events", events.clone()).unwrap();
        // The shape of Grafana's $__timeFilter.
        let n = one_i64(
            &ctx,
            "SELECT count(*) FROM web_events WHERE event_time BETWEEN \
             '2025-10-01T06:00:00Z' AND '2025-10-02T18:00:00Z'",
        )
        .await;
        assert!(n > 0);
        assert_eq!(events.days_generated(), 2);
        let by_date = one_i64(
            &ctx,
            "SELECT count(*) FROM web_events WHERE event_date BETWEEN '2025-10-01' AND '2025-10-02' \
             AND event_time BETWEEN '2025-10-01T06:00:00Z' AND '2025-10-02T18:00:00Z'",
        )
        .await;
        assert_eq!(n, by_date);
    }

    #[tokio::test]
    async fn orders_customers_and_products_agree() {
        let b = Business::new(GenerateConfig::default());
        let ctx = ctx(&b).await;
        let checks = [
            // Every order's customer exists and had signed up by the order's day.
            "SELECT count(*) FROM orders o LEFT JOIN customers c USING (customer_id) \
             WHERE c.customer_id IS NULL OR c.signup_date > o.order_date",
            // Customer ids are unique.
            "SELECT count(*) - count(DISTINCT customer_id) FROM customers",
            // Every line's product exists and was on sale.
            "SELECT count(*) FROM order_items i LEFT JOIN products p USING (product_id) \
             WHERE p.product_id IS NULL OR p.launch_date > i.order_date",
            // Every line belongs to an order of the same day, and every order has lines.
            "SELECT count(*) FROM order_items i LEFT JOIN orders o USING (order_id) \
             WHERE o.order_id IS NULL OR o.order_date <> i.order_date",
            "SELECT count(*) FROM orders o WHERE NOT EXISTS \
             (SELECT 1 FROM order_items i WHERE i.order_id = o.order_id)",
            // Discount codes are promotions valid on the day.
            "SELECT count(*) FROM orders o LEFT JOIN promotions p ON p.code = o.discount_code \
             WHERE o.discount_code IS NOT NULL AND (p.code IS NULL \
             OR o.order_date NOT BETWEEN p.start_date AND p.end_date)",
            // A new customer signed up on the day of their first order.
            "SELECT count(*) FROM customers c JOIN (SELECT customer_id, min(order_date) AS first \
             FROM orders GROUP BY customer_id) f USING (customer_id) \
             WHERE c.signup_date >= DATE '2025-09-01' AND c.signup_date <> f.first",
            // Revenue is the sum of the lines.
            "SELECT count(*) FROM orders o JOIN (SELECT order_id, \
             sum(unit_price * quantity - discount) AS goods FROM order_items GROUP BY order_id) g \
             USING (order_id) WHERE abs(o.revenue - g.goods) > 0.01",
        ];
        for sql in checks {
            assert_eq!(one_i64(&ctx, sql).await, 0, "{sql}");
        }
        let orders = one_i64(&ctx, "SELECT count(*) FROM orders").await;
        let expected: u64 = b.counts.orders.iter().sum();
        assert_eq!(orders as u64, expected);
        let ids = one_i64(
            &ctx,
            "SELECT max(order_id) - count(DISTINCT order_id) FROM orders",
        )
        .await;
        assert_eq!(ids, 0, "order ids are 1..n");
        let initial = one_i64(
            &ctx,
            "SELECT count(*) FROM customers WHERE signup_date < DATE '2025-09-01'",
        )
        .await;
        assert_eq!(initial as u64, b.config.initial_customers);
    }

    #[tokio::test]
    async fn events_agree_with_orders_ads_and_the_truth() {
        let config = GenerateConfig {
            end_date: NaiveDate::from_ymd_opt(2025, 9, 30).unwrap(),
            events_per_day: 5_000,
            ..Default::default()
        };
        let b = Business::new(config);
        let ctx = ctx(&b).await;
        let checks = [
            // Every order has exactly one purchase event, on its day, by its customer.
            "SELECT count(*) FROM orders o LEFT JOIN web_events e \
             ON e.order_id = o.order_id AND e.event_type = 'purchase' \
             WHERE e.event_id IS NULL OR e.event_date <> o.order_date \
             OR e.customer_id <> o.customer_id",
            "SELECT count(*) - count(DISTINCT order_id) FROM web_events WHERE event_type = 'purchase'",
            // Sessions from ad clicks: as many as the clicks that landed, tagged as the campaign.
            "SELECT count(*) FROM (SELECT a.day, a.campaign_id, round(a.clicks * 0.85) AS landed, \
             count(DISTINCT e.session_id) AS sessions FROM ad_daily a JOIN campaigns c USING (campaign_id) \
             LEFT JOIN web_events e ON e.event_date = a.day AND e.utm_campaign = c.name \
             AND e.utm_medium = c.utm_medium GROUP BY 1, 2, 3) x WHERE sessions < landed",
            // Event ids are unique.
            "SELECT count(*) - count(DISTINCT event_id) FROM web_events",
            // Nobody views a product before it is on sale.
            "SELECT count(*) FROM web_events e JOIN products p USING (product_id) \
             WHERE p.launch_date > e.event_date",
        ];
        for sql in checks {
            assert_eq!(one_i64(&ctx, sql).await, 0, "{sql}");
        }
        // Most sessions do not buy.
        let buying = one_i64(
            &ctx,
            "SELECT CAST(100 * count(DISTINCT session_id) FILTER (WHERE event_type = 'purchase') \
             / count(DISTINCT session_id) AS BIGINT) FROM web_events",
        )
        .await;
        assert!(buying < 10, "{buying}% of sessions buy");
        // The truth agrees, number for number, with last non-direct click attribution
        // computed from the events by SQL.
        let attributed = "
            WITH purchases AS (
                SELECT order_id, anonymous_id, event_time FROM web_events WHERE event_type = 'purchase'),
            touches AS (
                SELECT DISTINCT session_id, anonymous_id, min(event_time) AS at,
                       first_value(utm_campaign) AS campaign, first_value(utm_medium) AS medium,
                       first_value(referrer) AS referrer
                FROM web_events GROUP BY session_id, anonymous_id),
            ranked AS (
                SELECT p.order_id, t.campaign, t.medium,
                       row_number() OVER (PARTITION BY p.order_id ORDER BY t.at DESC) AS n
                FROM purchases p JOIN touches t ON t.anonymous_id = p.anonymous_id
                 AND t.at <= p.event_time AND t.at >= p.event_time - INTERVAL '8 days'
                WHERE t.campaign IS NOT NULL OR t.referrer IS NOT NULL)
            SELECT count(*) FROM ranked r JOIN campaigns c ON c.name = r.campaign
             AND c.utm_medium = r.medium WHERE r.n = 1";
        let by_events = one_i64(&ctx, attributed).await;
        let by_truth = one_i64(
            &ctx,
            "SELECT CAST(sum(attributed_orders) AS BIGINT) FROM truth_campaign_daily",
        )
        .await;
        assert!(by_truth > 0, "campaigns caused orders");
        assert_eq!(by_events, by_truth);
        let codes = one_i64(
            &ctx,
            "SELECT count(*) FROM orders WHERE discount_code IS NOT NULL",
        )
        .await;
        let by_promotions = one_i64(
            &ctx,
            "SELECT CAST(sum(attributed_orders) AS BIGINT) FROM truth_promotion_daily",
        )
        .await;
        assert_eq!(codes, by_promotions);
    }

    #[tokio::test]
    async fn same_seed_same_rows_other_seed_other_rows() {
        let sql = "SELECT CAST(sum(spend) * 100 AS BIGINT) FROM ad_daily";
        let a = one_i64(&ctx(&Business::new(GenerateConfig::default())).await, sql).await;
        let again = one_i64(&ctx(&Business::new(GenerateConfig::default())).await, sql).await;
        let other = GenerateConfig {
            seed: 43,
            ..Default::default()
        };
        let b = one_i64(&ctx(&Business::new(other)).await, sql).await;
        assert_eq!(a, again);
        assert_ne!(a, b);
    }
}
