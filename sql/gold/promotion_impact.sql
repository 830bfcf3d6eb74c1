/*
description = "What each promotion did: orders and revenue with its code, discount cost, and the shop's daily orders while it ran against comparable days (same weekdays in the four weeks before, without a sitewide sale)"
[columns]
uplift = "Daily orders while running over daily orders on comparable days, minus one"
[[test]]
type = "unique"
columns = ["promotion_id"]
*/
WITH daily AS (
    SELECT order_date AS day, count(*) AS orders, sum(revenue) AS revenue,
           count(*) FILTER (WHERE discount_code IS NULL) AS orders_without_code
    FROM silver.orders
    GROUP BY order_date
),
sale_days AS (
    SELECT DISTINCT d.day
    FROM daily d JOIN silver.promotions p
      ON p.kind = 'sitewide' AND d.day BETWEEN p.start_date AND p.end_date
),
used AS (
    SELECT promotion_id, sum(orders) AS orders, sum(revenue) AS revenue,
           sum(discount_cost) AS discount_cost
    FROM gold.promotion_daily
    GROUP BY promotion_id
),
running AS (
    SELECT p.promotion_id, count(*) AS days, avg(d.orders) AS daily_orders,
           avg(d.revenue) AS daily_revenue
    FROM silver.promotions p
    JOIN daily d ON d.day BETWEEN p.start_date AND p.end_date
    GROUP BY p.promotion_id
),
running_weekdays AS (
    SELECT DISTINCT p.promotion_id, extract(dow FROM d.day) AS dow
    FROM silver.promotions p
    JOIN daily d ON d.day BETWEEN p.start_date AND p.end_date
),
baseline AS (
    SELECT p.promotion_id, avg(d.orders) AS daily_orders, avg(d.revenue) AS daily_revenue
    FROM silver.promotions p
    JOIN daily d
      ON d.day >= p.start_date - INTERVAL '28 days' AND d.day < p.start_date
    JOIN running_weekdays w
      ON w.promotion_id = p.promotion_id AND w.dow = extract(dow FROM d.day)
    LEFT JOIN sale_days s ON s.day = d.day
    WHERE s.day IS NULL
    GROUP BY p.promotion_id
)
SELECT p.promotion_id, p.code, p.name, p.kind, p.discount_pct, p.start_date, p.end_date,
       coalesce(u.orders, 0) AS orders_with_code,
       coalesce(u.revenue, 0) AS revenue_with_code,
       coalesce(u.discount_cost, 0) AS discount_cost,
       r.days AS days_running,
       r.daily_orders AS daily_orders_running,
       b.daily_orders AS daily_orders_comparable,
       CAST(r.daily_orders AS DOUBLE) / nullif(b.daily_orders, 0) - 1 AS uplift,
       CAST(r.daily_revenue AS DOUBLE) / nullif(b.daily_revenue, 0) - 1 AS revenue_uplift
FROM silver.promotions p
LEFT JOIN used u ON u.promotion_id = p.promotion_id
LEFT JOIN running r ON r.promotion_id = p.promotion_id
LEFT JOIN baseline b ON b.promotion_id = p.promotion_id
