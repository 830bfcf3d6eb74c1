/*
description = "Influencer posts, fees and results per day: orders credited through their links and orders with their promo code"
[[test]]
type = "unique"
columns = ["day", "influencer_id"]
*/
WITH posts AS (
    SELECT p.day, p.influencer_id, count(*) AS posts, sum(p.reach) AS reach,
           sum(p.engagements) AS engagements, sum(p.clicks) AS clicks,
           sum(i.fee_per_post) AS fees
    FROM silver.influencer_posts p JOIN silver.influencers i ON i.influencer_id = p.influencer_id
    GROUP BY p.day, p.influencer_id
),
clicked AS (
    SELECT order_date AS day, influencer_id, count(*) AS orders, sum(revenue) AS revenue
    FROM gold.order_attribution
    WHERE influencer_id IS NOT NULL
    GROUP BY order_date, influencer_id
),
coded AS (
    SELECT a.order_date AS day, pr.influencer_id, count(*) AS orders, sum(a.revenue) AS revenue
    FROM gold.order_attribution a JOIN silver.promotions pr ON pr.promotion_id = a.promotion_id
    WHERE pr.influencer_id IS NOT NULL
    GROUP BY a.order_date, pr.influencer_id
),
days AS (
    SELECT day, influencer_id FROM posts
    UNION SELECT day, influencer_id FROM clicked
    UNION SELECT day, influencer_id FROM coded
)
SELECT d.day, d.influencer_id, i.handle, i.platform,
       coalesce(p.posts, 0) AS posts,
       coalesce(p.reach, 0) AS reach,
       coalesce(p.engagements, 0) AS engagements,
       coalesce(p.clicks, 0) AS clicks,
       coalesce(p.fees, 0) AS fees,
       coalesce(c.orders, 0) AS attributed_orders,
       coalesce(c.revenue, 0) AS attributed_revenue,
       coalesce(k.orders, 0) AS code_orders,
       coalesce(k.revenue, 0) AS code_revenue
FROM days d
JOIN silver.influencers i ON i.influencer_id = d.influencer_id
LEFT JOIN posts p ON p.day = d.day AND p.influencer_id = d.influencer_id
LEFT JOIN clicked c ON c.day = d.day AND c.influencer_id = d.influencer_id
LEFT JOIN coded k ON k.day = d.day AND k.influencer_id = d.influencer_id
