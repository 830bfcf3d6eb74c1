-- Which channels return their spend? Spend, attributed revenue, ROAS and CAC per channel.
SELECT channel,
       round(sum(spend), 2) AS spend,
       round(sum(revenue), 2) AS revenue,
       sum(orders) AS orders,
       round(sum(revenue) / nullif(sum(spend), 0), 2) AS roas,
       round(sum(spend) / nullif(sum(new_customers), 0), 2) AS cac
FROM gold.channel_daily
GROUP BY channel
ORDER BY revenue DESC;
