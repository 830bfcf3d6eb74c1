-- Revenue per day and channel, for a stacked time series.
SELECT day, channel, round(sum(revenue), 2) AS revenue
FROM gold.channel_daily
GROUP BY day, channel
ORDER BY day, channel;
