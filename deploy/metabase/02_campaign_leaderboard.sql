-- Which campaigns pay off? The campaigns by ROAS, with CPA and conversion rate.
SELECT campaign, channel,
       round(sum(spend), 2) AS spend,
       sum(orders) AS orders,
       round(sum(revenue), 2) AS revenue,
       round(sum(revenue) / nullif(sum(spend), 0), 2) AS roas,
       round(sum(spend) / nullif(sum(orders), 0), 2) AS cpa,
       round(CAST(sum(orders) AS NUMERIC) / nullif(sum(sessions), 0), 4) AS conversion_rate
FROM gold.campaign_daily
GROUP BY campaign, channel
HAVING sum(spend) > 0
ORDER BY roas DESC NULLS LAST
LIMIT 20;
