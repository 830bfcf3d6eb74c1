-- Which products sell through which channels? The top sellers and their best channel.
SELECT product, category, channel, units, round(revenue, 2) AS revenue, round(margin, 2) AS margin
FROM gold.product_channel
ORDER BY revenue DESC
LIMIT 25;
