/*
description = "Channel performance per day: ad and influencer spend, visits, attributed orders, revenue, ROAS, CAC and conversion rate"
[[test]]
type = "unique"
columns = ["day", "channel"]
*/
WITH spend AS (
    SELECT a.day, c.channel, sum(a.spend) AS spend, sum(a.impressions) AS impressions,
           sum(a.clicks) AS clicks
    FROM silver.ad_daily a JOIN silver.campaigns c ON c.campaign_id = a.campaign_id
    GROUP BY a.day, c.channel
    UNION ALL
    SELECT p.day, 'influencer' AS channel, sum(i.fee_per_post) AS spend,
           sum(p.reach) AS impressions, sum(p.clicks) AS clicks
    FROM silver.influencer_posts p JOIN silver.influencers i ON i.influencer_id = p.influencer_id
    GROUP BY p.day
),
visits AS (
    SELECT session_date AS day, channel, count(*) AS sessions
    FROM silver.sessions
    GROUP BY session_date, channel
),
sales AS (
    SELECT order_date AS day, channel, count(*) AS orders, sum(revenue) AS revenue,
           count(*) FILTER (WHERE is_first_order) AS new_customers
    FROM gold.order_attribution
    GROUP BY order_date, channel
),
days AS (
    SELECT day, channel FROM spend
    UNION SELECT day, channel FROM visits
    UNION SELECT day, channel FROM sales
)
SELECT d.day, d.channel,
       coalesce(sp.spend, 0) AS spend,
       coalesce(sp.impressions, 0) AS impressions,
       coalesce(sp.clicks, 0) AS clicks,
       coalesce(v.sessions, 0) AS sessions,
       coalesce(s.orders, 0) AS orders,
       coalesce(s.revenue, 0) AS revenue,
       coalesce(s.new_customers, 0) AS new_customers,
       CAST(s.revenue AS DOUBLE) / nullif(sp.spend, 0) AS roas,
       CAST(sp.spend AS DOUBLE) / nullif(s.new_customers, 0) AS cac,
       CAST(s.orders AS DOUBLE) / nullif(v.sessions, 0) AS conversion_rate
FROM days d
LEFT JOIN (SELECT day, channel, sum(spend) AS spend, sum(impressions) AS impressions,
                  sum(clicks) AS clicks FROM spend GROUP BY day, channel) sp
       ON sp.day = d.day AND sp.channel = d.channel
LEFT JOIN visits v ON v.day = d.day AND v.channel = d.channel
LEFT JOIN sales s ON s.day = d.day AND s.channel = d.channel
