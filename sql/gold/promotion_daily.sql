/*
description = "Orders, revenue and discount cost per promotion code and day"
[[test]]
type = "unique"
columns = ["day", "promotion_id"]
*/
SELECT a.order_date AS day, a.promotion_id, pr.code, pr.kind,
       count(*) AS orders,
       sum(a.revenue) AS revenue,
       sum(d.discount) AS discount_cost
FROM gold.order_attribution a
JOIN silver.promotions pr ON pr.promotion_id = a.promotion_id
LEFT JOIN (SELECT order_id, sum(discount) AS discount FROM silver.order_lines GROUP BY order_id) d
       ON d.order_id = a.order_id
GROUP BY a.order_date, a.promotion_id, pr.code, pr.kind
