/*
description = "Return on each influencer: fees against revenue through their links and their promo code"
[columns]
roi = "(revenue through links and code - fees) / fees; an order with both counts once, as its code"
[[test]]
type = "unique"
columns = ["influencer_id"]
*/
WITH credited AS (
    SELECT coalesce(pr.influencer_id, a.influencer_id) AS influencer_id,
           count(*) AS orders, sum(a.revenue) AS revenue
    FROM gold.order_attribution a
    LEFT JOIN silver.promotions pr
           ON pr.promotion_id = a.promotion_id AND pr.influencer_id IS NOT NULL
    WHERE a.influencer_id IS NOT NULL OR pr.influencer_id IS NOT NULL
    GROUP BY coalesce(pr.influencer_id, a.influencer_id)
),
totals AS (
    SELECT influencer_id, sum(posts) AS posts, sum(reach) AS reach, sum(clicks) AS clicks,
           sum(fees) AS fees, sum(attributed_orders) AS link_orders,
           sum(attributed_revenue) AS link_revenue, sum(code_orders) AS code_orders,
           sum(code_revenue) AS code_revenue
    FROM gold.influencer_daily
    GROUP BY influencer_id
)
SELECT i.influencer_id, i.handle, i.platform, i.followers,
       coalesce(t.posts, 0) AS posts, coalesce(t.reach, 0) AS reach,
       coalesce(t.clicks, 0) AS clicks, coalesce(t.fees, 0) AS fees,
       coalesce(t.link_orders, 0) AS link_orders, coalesce(t.link_revenue, 0) AS link_revenue,
       coalesce(t.code_orders, 0) AS code_orders, coalesce(t.code_revenue, 0) AS code_revenue,
       coalesce(c.orders, 0) AS orders, coalesce(c.revenue, 0) AS revenue,
       CAST(coalesce(c.revenue, 0) - t.fees AS DOUBLE) / nullif(t.fees, 0) AS roi
FROM silver.influencers i
LEFT JOIN totals t ON t.influencer_id = i.influencer_id
LEFT JOIN credited c ON c.influencer_id = i.influencer_id
