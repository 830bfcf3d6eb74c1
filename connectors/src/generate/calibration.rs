//! The published figures the generated shop is calibrated to, as the bands its default quarter
//! must land in; docs/generate.md names the sources and the numbers taken from them.

/// A figure of the shop and the band it must land in.
#[derive(Debug, Clone, Copy)]
pub struct Band {
    /// What is measured, as docs/generate.md names it.
    pub figure: &'static str,
    /// Lowest value allowed.
    pub low: f64,
    /// Highest value allowed.
    pub high: f64,
}

impl Band {
    /// Whether `value` is inside the band.
    pub fn holds(&self, value: f64) -> bool {
        (self.low..=self.high).contains(&value)
    }
}

/// Orders per web session (Statista: 2.4 % for beauty and skincare; Dynamic Yield: 4.94 %).
pub const CONVERSION_PER_VISIT: Band = Band {
    figure: "conversion per visit",
    low: 0.015,
    high: 0.05,
};

/// Revenue per order, EUR (Metricuno: beauty median 52 EUR).
pub const AVERAGE_ORDER_VALUE: Band = Band {
    figure: "average order value",
    low: 40.0,
    high: 65.0,
};

/// Share of orders placed by customers who had ordered before (Metrilo: 1.6 orders per beauty
/// customer, so 1 - 1/1.6 = 37.5 % of orders are repeats).
pub const REPEAT_PURCHASE_SHARE: Band = Band {
    figure: "repeat-purchase share of orders",
    low: 0.30,
    high: 0.45,
};

/// Ad spend and influencer fees over revenue (Gartner 2024: 7.7 % across large companies;
/// CommerceNext and Oracle: most direct-to-consumer brands spend 10 % or more of online sales).
pub const MARKETING_SHARE: Band = Band {
    figure: "marketing spend over revenue",
    low: 0.10,
    high: 0.25,
};

/// Attributed revenue over spend per ad channel, best first: email well ahead (Litmus), then
/// affiliate, search around the e-commerce average of 4, social, video near break-even and
/// display below it.
pub const CHANNEL_ROAS: [(&str, Band); 6] = [
    (
        "email",
        Band {
            figure: "email ROAS",
            low: 5.0,
            high: 15.0,
        },
    ),
    (
        "affiliate",
        Band {
            figure: "affiliate ROAS",
            low: 3.0,
            high: 8.0,
        },
    ),
    (
        "search",
        Band {
            figure: "search ROAS",
            low: 2.5,
            high: 6.0,
        },
    ),
    (
        "social",
        Band {
            figure: "social ROAS",
            low: 1.5,
            high: 4.0,
        },
    ),
    (
        "video",
        Band {
            figure: "video ROAS",
            low: 0.8,
            high: 2.0,
        },
    ),
    (
        "display",
        Band {
            figure: "display ROAS",
            low: 0.3,
            high: 0.99,
        },
    ),
];

/// Influencer revenue over fees, all influencers together: mixed, some paying several times
/// their fees and some not paying for themselves.
pub const INFLUENCER_ROAS: Band = Band {
    figure: "influencer ROAS, all together",
    low: 1.0,
    high: 4.0,
};

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{Array, AsArray};
    use datafusion::arrow::datatypes::Float64Type;
    use datafusion::prelude::SessionContext;

    use super::*;
    use crate::generate::GenerateConfig;
    use crate::generate::business::Business;

    /// The first column of every row of `sql`'s answer, as f64, with the second as a label.
    async fn figures(ctx: &SessionContext, sql: &str) -> Vec<(String, f64)> {
        let mut out = Vec::new();
        for batch in ctx.sql(sql).await.unwrap().collect().await.unwrap() {
            let labels = batch.column(0).as_string::<i32>().clone();
            let values = datafusion::arrow::compute::cast(
                batch.column(1),
                &datafusion::arrow::datatypes::DataType::Float64,
            )
            .unwrap();
            let values = values.as_primitive::<Float64Type>();
            for i in 0..batch.num_rows() {
                assert!(!values.is_null(i), "{sql}: NULL for {}", labels.value(i));
                out.push((labels.value(i).to_owned(), values.value(i)));
            }
        }
        out
    }

    #[tokio::test]
    async fn the_default_quarter_lands_in_every_published_band() {
        let ctx = SessionContext::new();
        let business = Business::new(GenerateConfig::default());
        for (name, table) in business.tables().unwrap() {
            ctx.register_table(name, table).unwrap();
        }
        let shop = figures(
            &ctx,
            "SELECT 'conversion per visit', \
                    CAST((SELECT count(*) FROM orders) AS DOUBLE) \
                    / (SELECT count(DISTINCT session_id) FROM web_events) \
             UNION ALL SELECT 'average order value', \
                    CAST(sum(revenue) AS DOUBLE) / count(*) FROM orders \
             UNION ALL SELECT 'repeat-purchase share of orders', \
                    CAST(count(*) FILTER (WHERE c.signup_date < o.order_date) AS DOUBLE) \
                    / count(*) \
                    FROM orders o JOIN customers c ON c.customer_id = o.customer_id \
             UNION ALL SELECT 'marketing spend over revenue', \
                    CAST((SELECT sum(spend) FROM ad_daily) \
                         + (SELECT sum(i.fee_per_post) FROM influencer_posts p \
                            JOIN influencers i ON i.influencer_id = p.influencer_id) AS DOUBLE) \
                    / (SELECT CAST(sum(revenue) AS DOUBLE) FROM orders)",
        )
        .await;
        let bands = [
            CONVERSION_PER_VISIT,
            AVERAGE_ORDER_VALUE,
            REPEAT_PURCHASE_SHARE,
            MARKETING_SHARE,
        ];
        assert_eq!(shop.len(), bands.len());
        for band in bands {
            let (_, value) = shop.iter().find(|(f, _)| f == band.figure).unwrap();
            assert!(band.holds(*value), "{band:?}: {value}");
        }

        let roas = figures(
            &ctx,
            "SELECT c.channel, CAST(sum(t.attributed_revenue) AS DOUBLE) / sum(t.spend) AS roas \
             FROM truth_campaign_daily t JOIN campaigns c ON c.campaign_id = t.campaign_id \
             GROUP BY c.channel ORDER BY roas DESC",
        )
        .await;
        let order: Vec<&str> = roas.iter().map(|(c, _)| c.as_str()).collect();
        assert_eq!(order, CHANNEL_ROAS.map(|(c, _)| c), "{roas:?}");
        for ((_, value), (_, band)) in roas.iter().zip(CHANNEL_ROAS) {
            assert!(band.holds(*value), "{band:?}: {value}");
        }

        let influencers = figures(
            &ctx,
            "SELECT i.handle, \
                    CAST(coalesce(r.revenue, 0) AS DOUBLE) / sum(i.fee_per_post) \
             FROM influencer_posts p JOIN influencers i ON i.influencer_id = p.influencer_id \
             LEFT JOIN (SELECT influencer_id, sum(attributed_revenue) AS revenue \
                        FROM truth_influencer_daily GROUP BY influencer_id) r \
                    ON r.influencer_id = i.influencer_id \
             GROUP BY i.handle, r.revenue",
        )
        .await;
        let paying = influencers.iter().filter(|(_, r)| *r > 2.0).count();
        let losing = influencers.iter().filter(|(_, r)| *r < 1.0).count();
        assert!(paying >= 3 && losing >= 3, "{influencers:?}");
        let all = figures(
            &ctx,
            "SELECT 'all', CAST((SELECT sum(attributed_revenue) FROM truth_influencer_daily) \
                    AS DOUBLE) / (SELECT sum(i.fee_per_post) FROM influencer_posts p \
                    JOIN influencers i ON i.influencer_id = p.influencer_id)",
        )
        .await;
        assert!(INFLUENCER_ROAS.holds(all[0].1), "{all:?}");
    }
}
