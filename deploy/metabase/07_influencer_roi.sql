-- Which influencers return their fees? Orders through their links and codes against fees.
SELECT handle, platform, posts, round(fees, 2) AS fees, orders, round(revenue, 2) AS revenue,
       round(CAST(roi AS NUMERIC), 2) AS roi
FROM gold.influencer_roi
ORDER BY roi DESC NULLS LAST;
