/*
description = "Campaign performance per day: spend, delivery, visits, attributed orders and revenue, and the ratios marketing reads"
[columns]
orders = "Orders placed that day credited to the campaign (last non-direct click, 7 days)"
roas = "Attributed revenue per unit of spend"
cpa = "Spend per attributed order"
cac = "Spend per attributed first order"
conversion_rate = "Attributed orders per session from the campaign"
[[test]]
type = "unique"
columns = ["day", "campaign_id"]
[[test]]
type = "relationships"
column = "campaign_id"
to = "silver.campaigns"
*/
WITH delivery AS (
    SELECT day, campaign_id, sum(spend) AS spend, sum(impressions) AS impressions,
           sum(clicks) AS clicks
    FROM silver.ad_daily
    GROUP BY day, campaign_id
),
visits AS (
    SELECT s.session_date AS day, c.campaign_id, count(*) AS sessions
    FROM silver.sessions s
    JOIN silver.campaigns c ON c.utm_campaign = s.utm_campaign AND c.utm_medium = s.utm_medium
    GROUP BY s.session_date, c.campaign_id
),
sales AS (
    SELECT order_date AS day, campaign_id, count(*) AS orders, sum(revenue) AS revenue,
           count(*) FILTER (WHERE is_first_order) AS new_customers
    FROM gold.order_attribution
    WHERE campaign_id IS NOT NULL
    GROUP BY order_date, campaign_id
),
days AS (
    SELECT day, campaign_id FROM delivery
    UNION SELECT day, campaign_id FROM visits
    UNION SELECT day, campaign_id FROM sales
)
SELECT d.day, d.campaign_id, c.name AS campaign, c.channel, c.platform,
       coalesce(dl.spend, 0) AS spend,
       coalesce(dl.impressions, 0) AS impressions,
       coalesce(dl.clicks, 0) AS clicks,
       CAST(dl.clicks AS DOUBLE) / nullif(dl.impressions, 0) AS ctr,
       CAST(dl.spend AS DOUBLE) / nullif(dl.clicks, 0) AS cpc,
       coalesce(v.sessions, 0) AS sessions,
       coalesce(s.orders, 0) AS orders,
       coalesce(s.revenue, 0) AS revenue,
       coalesce(s.new_customers, 0) AS new_customers,
       CAST(s.revenue AS DOUBLE) / nullif(dl.spend, 0) AS roas,
       CAST(dl.spend AS DOUBLE) / nullif(s.orders, 0) AS cpa,
       CAST(dl.spend AS DOUBLE) / nullif(s.new_customers, 0) AS cac,
       CAST(s.orders AS DOUBLE) / nullif(v.sessions, 0) AS conversion_rate
FROM days d
JOIN silver.campaigns c ON c.campaign_id = d.campaign_id
LEFT JOIN delivery dl ON dl.day = d.day AND dl.campaign_id = d.campaign_id
LEFT JOIN visits v ON v.day = d.day AND v.campaign_id = d.campaign_id
LEFT JOIN sales s ON s.day = d.day AND s.campaign_id = d.campaign_id
