/*
description = "Product sales by the channel their orders are credited to"
[[test]]
type = "unique"
columns = ["product_id", "channel"]
*/
SELECT l.product_id, p.name AS product, p.category, a.channel,
       count(DISTINCT l.order_id) AS orders,
       sum(l.quantity) AS units,
       sum(l.line_revenue) AS revenue,
       sum(l.line_revenue) - sum(l.quantity * p.cost) AS margin
FROM silver.order_lines l
JOIN gold.order_attribution a ON a.order_id = l.order_id
JOIN silver.products p ON p.product_id = l.product_id
GROUP BY l.product_id, p.name, p.category, a.channel
