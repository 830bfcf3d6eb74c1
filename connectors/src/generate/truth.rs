//! Ground truth: which orders each campaign, influencer and promotion caused, by the rule a
//! gold model should reproduce from the events: an order belongs to the last non-direct
//! session of its visitor in the 7 days before the purchase (the purchase session included);
//! orders whose sessions were all direct belong to nobody. Counted on the order's day.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::business::Business;
use super::marketing::ad_day;
use super::orders::{Order, Source};

/// One campaign's day.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignDay {
    /// The campaign.
    pub campaign_id: i64,
    /// Its spend that day.
    pub spend: f64,
    /// Orders of that day attributed to it.
    pub orders: i64,
    /// Their revenue.
    pub revenue: f64,
}

/// Every campaign that spent or was attributed orders on `day`.
pub fn campaigns_on(b: &Business, day: NaiveDate) -> Vec<CampaignDay> {
    let mut by_id: BTreeMap<i64, CampaignDay> = BTreeMap::new();
    for c in b.campaigns.iter().filter(|c| c.runs_on(day)) {
        by_id.insert(
            c.id,
            CampaignDay {
                campaign_id: c.id,
                spend: ad_day(&b.config, c, day).spend,
                orders: 0,
                revenue: 0.0,
            },
        );
    }
    for o in b.orders_on(day) {
        if let Some(Source::Campaign(id)) = o.attributed().map(|t| t.source) {
            let e = by_id.entry(id).or_insert(CampaignDay {
                campaign_id: id,
                spend: 0.0,
                orders: 0,
                revenue: 0.0,
            });
            e.orders += 1;
            e.revenue += o.revenue();
        }
    }
    by_id.into_values().collect()
}

/// One influencer's or promotion's day.
#[derive(Debug, Clone, PartialEq)]
pub struct Caused {
    /// The influencer or promotion.
    pub id: i64,
    /// Orders of that day it caused.
    pub orders: i64,
    /// Their revenue.
    pub revenue: f64,
}

/// Orders of `day` attributed to each influencer.
pub fn influencers_on(b: &Business, day: NaiveDate) -> Vec<Caused> {
    caused_by(b, day, |o| match o.attributed().map(|t| t.source) {
        Some(Source::Influencer(id)) => Some(id),
        _ => None,
    })
}

/// Orders of `day` that used each promotion's code.
pub fn promotions_on(b: &Business, day: NaiveDate) -> Vec<Caused> {
    caused_by(b, day, |o| o.promotion_id)
}

/// Orders of `day` and their revenue, grouped by what `credited` names for each.
fn caused_by(
    b: &Business,
    day: NaiveDate,
    credited: impl Fn(&Order) -> Option<i64>,
) -> Vec<Caused> {
    let mut by_id: BTreeMap<i64, Caused> = BTreeMap::new();
    for o in b.orders_on(day) {
        if let Some(id) = credited(&o) {
            let e = by_id.entry(id).or_insert(Caused {
                id,
                orders: 0,
                revenue: 0.0,
            });
            e.orders += 1;
            e.revenue += o.revenue();
        }
    }
    by_id.into_values().collect()
}
