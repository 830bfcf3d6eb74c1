/*
description = "Each order with the visit it is credited to: the visitor's last non-direct session in the 7 days before the purchase (the purchase session included)"
[columns]
attributed_session_id = "The session credited with the order; NULL when every session was direct"
channel = "The credited session's channel, or direct"
is_first_order = "True for the customer's first order"
[[test]]
type = "unique"
columns = ["order_id"]
[[test]]
type = "not_null"
columns = ["order_id", "order_date", "channel"]
*/
WITH purchases AS (
    SELECT order_id, min(anonymous_id) AS anonymous_id, min(event_time) AS purchased_at
    FROM silver.web_events
    WHERE event_type = 'purchase' AND order_id IS NOT NULL
    GROUP BY order_id
),
touches AS (
    SELECT p.order_id, s.session_id, s.channel, s.utm_medium, s.utm_campaign,
           row_number() OVER (PARTITION BY p.order_id
                              ORDER BY s.started_at DESC, s.session_id DESC) AS recency
    FROM purchases p
    JOIN silver.orders o ON o.order_id = p.order_id
    JOIN silver.sessions s
      ON s.anonymous_id = p.anonymous_id
     AND s.started_at <= p.purchased_at
     AND s.session_date >= o.order_date - INTERVAL '7 days'
    WHERE NOT s.is_direct
),
firsts AS (
    SELECT customer_id, min(order_time) AS first_order_time
    FROM silver.orders
    GROUP BY customer_id
)
SELECT o.order_id, o.order_date, o.order_time, o.customer_id, o.status, o.revenue,
       o.discount_code, p.anonymous_id,
       t.session_id AS attributed_session_id,
       coalesce(t.channel, 'direct') AS channel,
       c.campaign_id,
       i.influencer_id,
       pr.promotion_id,
       o.order_time = f.first_order_time AS is_first_order
FROM silver.orders o
LEFT JOIN purchases p ON p.order_id = o.order_id
LEFT JOIN touches t ON t.order_id = o.order_id AND t.recency = 1
LEFT JOIN silver.campaigns c
       ON c.utm_campaign = t.utm_campaign AND c.utm_medium = t.utm_medium
LEFT JOIN silver.influencers i
       ON t.utm_medium = 'influencer' AND i.handle = t.utm_campaign
LEFT JOIN silver.promotions pr ON pr.code = o.discount_code
LEFT JOIN firsts f ON f.customer_id = o.customer_id
