//! Marketing: campaigns on the ad platforms with their daily delivery, promotions (discount
//! codes) and influencers with their posts. A campaign's clicks on a day are a pure function
//! of (seed, campaign, day), so web traffic generated for that day can land exactly those
//! clicks with the campaign's utm tags.

use chrono::{Days, NaiveDate};
use rand::Rng;
use rand_distr::{Distribution, LogNormal, Poisson};

use super::calendar;
use super::config::GenerateConfig;
use super::rng::{Stream, stream};

/// An advertising channel with the platform that serves it and its typical economics.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Channel {
    /// search, social, video, display, email or affiliate.
    pub name: &'static str,
    /// The platform the spend goes to.
    pub platform: &'static str,
    /// utm_source of its clicks.
    pub utm_source: &'static str,
    /// utm_medium of its clicks.
    pub utm_medium: &'static str,
    /// Cost per thousand impressions, EUR.
    pub cpm: f64,
    /// Click-through rate.
    pub ctr: f64,
    /// How much the platform over-reports conversions (view-through, cross-device).
    pub over_reporting: f64,
    /// Buying journeys a euro of its budget brings, against the other channels: sets the
    /// channel's ROAS (docs/generate.md gives the figures it is calibrated to).
    pub pull: f64,
}

/// The channels, in a fixed order.
pub const CHANNELS: [Channel; 6] = [
    Channel {
        name: "search",
        platform: "google_ads",
        utm_source: "google",
        utm_medium: "cpc",
        cpm: 18.0,
        ctr: 0.045,
        over_reporting: 1.15,
        pull: 2.0,
    },
    Channel {
        name: "social",
        platform: "meta_ads",
        utm_source: "instagram",
        utm_medium: "paid_social",
        cpm: 7.5,
        ctr: 0.011,
        over_reporting: 1.6,
        pull: 0.9,
    },
    Channel {
        name: "video",
        platform: "tiktok_ads",
        utm_source: "tiktok",
        utm_medium: "paid_video",
        cpm: 5.0,
        ctr: 0.008,
        over_reporting: 1.9,
        pull: 0.4,
    },
    Channel {
        name: "display",
        platform: "criteo",
        utm_source: "criteo",
        utm_medium: "display",
        cpm: 2.5,
        ctr: 0.004,
        over_reporting: 2.4,
        pull: 0.18,
    },
    Channel {
        name: "email",
        platform: "klaviyo",
        utm_source: "newsletter",
        utm_medium: "email",
        cpm: 0.9,
        ctr: 0.03,
        over_reporting: 1.1,
        pull: 3.2,
    },
    Channel {
        name: "affiliate",
        platform: "awin",
        utm_source: "awin",
        utm_medium: "affiliate",
        cpm: 3.0,
        ctr: 0.009,
        over_reporting: 1.3,
        pull: 1.9,
    },
];

/// One campaign.
#[derive(Debug, Clone, PartialEq)]
pub struct Campaign {
    /// Campaign id, from 1.
    pub id: i64,
    /// Name, also its utm_campaign.
    pub name: String,
    /// Index into [`CHANNELS`].
    pub channel: usize,
    /// First day it runs.
    pub start_date: NaiveDate,
    /// Last day it runs (inclusive).
    pub end_date: NaiveDate,
    /// Planned spend per day, EUR.
    pub daily_budget: f64,
}

impl Campaign {
    /// Its channel.
    pub fn channel(&self) -> &'static Channel {
        &CHANNELS[self.channel]
    }

    /// Whether it runs on `day`.
    pub fn runs_on(&self, day: NaiveDate) -> bool {
        self.start_date <= day && day <= self.end_date
    }
}

/// What a campaign delivered on one day, as its platform reports it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdDay {
    /// Spend in EUR.
    pub spend: f64,
    /// Impressions served.
    pub impressions: i64,
    /// Clicks; each one that lands starts a web session with the campaign's utm tags.
    pub clicks: i64,
    /// Conversions the platform claims (more than it caused).
    pub platform_conversions: i64,
}

const THEMES: [&str; 8] = [
    "always_on",
    "new_in",
    "bestsellers",
    "gift_sets",
    "clean_beauty",
    "retargeting",
    "brand",
    "seasonal",
];

/// The campaigns of the period: an always-on campaign per channel plus flights of a few weeks.
pub fn campaigns(config: &GenerateConfig) -> Vec<Campaign> {
    let mut rng = stream(config.seed, Stream::Marketing, &[1]);
    let mut out = Vec::new();
    let days = config.days().max(1) as u64;
    for (channel_index, channel) in CHANNELS.iter().enumerate() {
        let budget_scale = config.events_per_day as f64 / 20_000.0;
        out.push(Campaign {
            id: 0,
            name: format!("{}_always_on", channel.name),
            channel: channel_index,
            start_date: config.start_date,
            end_date: config.end_date,
            daily_budget: round2(rng.random_range(25.0..100.0) * budget_scale),
        });
        let flights = 1 + days / 30;
        for flight in 0..flights {
            let start = config.start_date + Days::new(rng.random_range(0..days));
            let length = rng.random_range(7..29);
            let end = (start + Days::new(length)).min(config.end_date);
            let theme = THEMES[rng.random_range(1..THEMES.len())];
            out.push(Campaign {
                id: 0,
                name: format!("{}_{}_{}", channel.name, theme, flight + 1),
                channel: channel_index,
                start_date: start,
                end_date: end,
                daily_budget: round2(rng.random_range(40.0..250.0) * budget_scale),
            });
        }
    }
    for (i, c) in out.iter_mut().enumerate() {
        c.id = i as i64 + 1;
    }
    out
}

/// What `campaign` delivered on `day`; zero outside its dates.
pub fn ad_day(config: &GenerateConfig, campaign: &Campaign, day: NaiveDate) -> AdDay {
    if !campaign.runs_on(day) {
        return AdDay {
            spend: 0.0,
            impressions: 0,
            clicks: 0,
            platform_conversions: 0,
        };
    }
    let day_number = (day - config.start_date).num_days() as u64;
    let mut rng = stream(
        config.seed,
        Stream::AdDay,
        &[campaign.id as u64, day_number],
    );
    let channel = campaign.channel();
    let pacing = LogNormal::new(0.0, 0.12).expect("valid").sample(&mut rng);
    // Budgets are raised in sales periods; auctions get dearer too.
    let season = calendar::demand(day).sqrt();
    let spend = round2(campaign.daily_budget * pacing * season);
    let cpm = channel.cpm * season * LogNormal::new(0.0, 0.1).expect("valid").sample(&mut rng);
    let impressions = (spend / cpm * 1_000.0).round() as i64;
    let ctr = channel.ctr * LogNormal::new(0.0, 0.15).expect("valid").sample(&mut rng);
    let clicks = poisson(&mut rng, impressions as f64 * ctr);
    let claimed = clicks as f64 * 0.02 * channel.over_reporting * season;
    AdDay {
        spend,
        impressions,
        clicks,
        platform_conversions: poisson(&mut rng, claimed),
    }
}

/// A discount code: sitewide sales, influencer codes and newsletter codes.
#[derive(Debug, Clone, PartialEq)]
pub struct Promotion {
    /// Promotion id, from 1.
    pub id: i64,
    /// The code shoppers enter.
    pub code: String,
    /// What it is.
    pub name: String,
    /// Discount in percent.
    pub discount_pct: u8,
    /// First valid day.
    pub start_date: NaiveDate,
    /// Last valid day.
    pub end_date: NaiveDate,
    /// The influencer it belongs to, if any.
    pub influencer_id: Option<i64>,
}

/// An influencer the shop works with.
#[derive(Debug, Clone, PartialEq)]
pub struct Influencer {
    /// Influencer id, from 1.
    pub id: i64,
    /// Handle on the platform.
    pub handle: String,
    /// instagram, tiktok or youtube.
    pub platform: &'static str,
    /// Followers at the start of the period.
    pub followers: i64,
    /// Fee per post, EUR.
    pub fee_per_post: f64,
    /// Buying journeys the influencer's audience brings, against the others: unrelated to
    /// the fee, so some influencers pay for themselves and some do not.
    pub pull: f64,
}

const HANDLES: [&str; 12] = [
    "glowwithmia",
    "lena.skin",
    "greenbeautyjo",
    "theglossyfox",
    "clara_cleanbeauty",
    "noa.naturals",
    "skinbysofia",
    "haircarehanna",
    "minimal.maya",
    "bodybalance_ben",
    "ellie.ecoglow",
    "purely.pia",
];

/// The influencers of the period.
pub fn influencers(config: &GenerateConfig) -> Vec<Influencer> {
    let mut rng = stream(config.seed, Stream::Marketing, &[2]);
    HANDLES
        .iter()
        .enumerate()
        .map(|(i, handle)| {
            let platform = ["instagram", "tiktok", "youtube"][rng.random_range(0..3)];
            // A small shop works with micro-influencers: median about 36,000 followers.
            let followers = LogNormal::<f64>::new(10.5, 0.8)
                .expect("valid")
                .sample(&mut rng)
                .round() as i64;
            Influencer {
                id: i as i64 + 1,
                handle: (*handle).to_owned(),
                platform,
                followers,
                // About 8 EUR per thousand followers a post (docs/generate.md).
                fee_per_post: round2(followers as f64 * rng.random_range(0.004..0.012)),
                pull: LogNormal::<f64>::new(0.0, 0.9)
                    .expect("valid")
                    .sample(&mut rng),
            }
        })
        .collect()
}

/// The promotions: one code per influencer for the whole period, the sitewide sales that fall
/// inside it, and a newsletter code per month.
pub fn promotions(config: &GenerateConfig, influencers: &[Influencer]) -> Vec<Promotion> {
    let mut rng = stream(config.seed, Stream::Marketing, &[3]);
    let mut out = Vec::new();
    for inf in influencers {
        let stem: String = inf
            .handle
            .chars()
            .filter(|c| c.is_ascii_alphabetic())
            .take(8)
            .collect();
        let pct = [10, 15, 20][rng.random_range(0..3)];
        out.push(Promotion {
            id: 0,
            code: format!("{}{pct}", stem.to_ascii_uppercase()),
            name: format!("Influencer code of {}", inf.handle),
            discount_pct: pct,
            start_date: config.start_date,
            end_date: config.end_date,
            influencer_id: Some(inf.id),
        });
    }
    let mut day = config.start_date;
    while day <= config.end_date {
        if let Some(sale) = calendar::sale_period(day) {
            let mut end = day;
            while end < config.end_date
                && calendar::sale_period(end + Days::new(1)).map(|s| s.code) == Some(sale.code)
            {
                end = end + Days::new(1);
            }
            out.push(Promotion {
                id: 0,
                code: format!("{}{}", sale.code, day.format("%y")),
                name: sale.name.to_owned(),
                discount_pct: sale.discount_pct,
                start_date: day,
                end_date: end,
                influencer_id: None,
            });
            day = end;
        }
        day = day + Days::new(1);
    }
    let mut month = config.start_date;
    while month <= config.end_date {
        let next = month + chrono::Months::new(1);
        out.push(Promotion {
            id: 0,
            code: format!("NEWS{}", month.format("%y%m")),
            name: format!("Newsletter {}", month.format("%B %Y")),
            discount_pct: 10,
            start_date: month,
            end_date: (next - Days::new(1)).min(config.end_date),
            influencer_id: None,
        });
        month = next;
    }
    for (i, p) in out.iter_mut().enumerate() {
        p.id = i as i64 + 1;
    }
    out
}

/// One influencer post.
#[derive(Debug, Clone, PartialEq)]
pub struct Post {
    /// Post id: unique across the period.
    pub id: i64,
    /// The influencer.
    pub influencer_id: i64,
    /// Day it went up.
    pub day: NaiveDate,
    /// The platform.
    pub platform: &'static str,
    /// People who saw it.
    pub reach: i64,
    /// Likes, comments and shares.
    pub engagements: i64,
    /// Link clicks; each one that lands starts a web session tagged with the influencer.
    pub clicks: i64,
    /// The code the post promotes.
    pub promo_code: String,
}

/// The paid posts that went up on `day`: each influencer posts about every other week.
pub fn posts(
    config: &GenerateConfig,
    influencers: &[Influencer],
    promotions: &[Promotion],
    day: NaiveDate,
) -> Vec<Post> {
    let day_number = (day - config.start_date).num_days();
    let mut rng = stream(config.seed, Stream::Posts, &[day_number as u64]);
    let mut out = Vec::new();
    for inf in influencers {
        if !rng.random_bool(1.0 / 14.0) {
            continue;
        }
        let reach = (inf.followers as f64 * rng.random_range(0.08..0.35)).round() as i64;
        let engagements = poisson(&mut rng, reach as f64 * 0.045);
        // Clicks scale with the shop's traffic like ad budgets do, so a small shop is not
        // swamped by its influencers' audiences.
        let scale = config.events_per_day as f64 / 20_000.0;
        let clicks = poisson(
            &mut rng,
            reach as f64 * 0.006 * calendar::demand(day) * scale,
        );
        let promo_code = promotions
            .iter()
            .find(|p| p.influencer_id == Some(inf.id))
            .map(|p| p.code.clone())
            .unwrap_or_default();
        out.push(Post {
            id: day_number * 100 + inf.id,
            influencer_id: inf.id,
            day,
            platform: inf.platform,
            reach,
            engagements,
            clicks,
            promo_code,
        });
    }
    out
}

/// A Poisson draw; the normal approximation above a large mean keeps it fast.
pub fn poisson(rng: &mut impl Rng, mean: f64) -> i64 {
    if mean <= 0.0 {
        0
    } else if mean > 1_000.0 {
        let z: f64 = rand_distr::StandardNormal.sample(rng);
        (mean + z * mean.sqrt()).round().max(0.0) as i64
    } else {
        Poisson::new(mean).expect("positive mean").sample(rng) as i64
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_channel_has_an_always_on_campaign_and_delivery_follows_the_calendar() {
        let config = GenerateConfig::default();
        let campaigns = campaigns(&config);
        for (i, channel) in CHANNELS.iter().enumerate() {
            assert!(
                campaigns
                    .iter()
                    .any(|c| c.channel == i && c.name.ends_with("always_on")),
                "{}",
                channel.name
            );
        }
        let search = &campaigns[0];
        let black_friday = calendar::black_friday(2025);
        let bf = ad_day(&config, search, black_friday);
        let quiet = ad_day(
            &config,
            search,
            NaiveDate::from_ymd_opt(2025, 10, 15).unwrap(),
        );
        assert!(bf.spend > quiet.spend);
        assert!(bf.platform_conversions > 0 && bf.clicks > bf.platform_conversions);
        assert_eq!(
            ad_day(&config, search, black_friday),
            bf,
            "a day is a pure function"
        );
        let outside = ad_day(&config, search, config.end_date + Days::new(1));
        assert_eq!(outside.clicks, 0);
    }

    #[test]
    fn promo_codes_belong_to_influencers_and_sales() {
        let config = GenerateConfig::default();
        let infl = influencers(&config);
        let promos = promotions(&config, &infl);
        for inf in &infl {
            assert_eq!(
                promos
                    .iter()
                    .filter(|p| p.influencer_id == Some(inf.id))
                    .count(),
                1
            );
        }
        assert!(promos.iter().any(|p| p.code.starts_with("BLACKFRIDAY")));
        let codes: std::collections::HashSet<_> = promos.iter().map(|p| &p.code).collect();
        assert_eq!(codes.len(), promos.len(), "codes are unique");
        let day = config.start_date + Days::new(10);
        for post in posts(&config, &infl, &promos, day) {
            assert!(promos.iter().any(|p| p.code == post.promo_code));
        }
    }
}
