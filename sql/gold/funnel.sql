/*
description = "The purchase funnel per day, channel and device: sessions that viewed a product, added to cart, began checkout and bought"
[[test]]
type = "unique"
columns = ["day", "channel", "device"]
[[test]]
type = "sql"
name = "funnel_narrows"
query = "SELECT * FROM {this} WHERE purchase_sessions > checkout_sessions OR checkout_sessions > cart_sessions"
severity = "warn"
*/
SELECT session_date AS day, channel, device,
       count(*) AS sessions,
       count(*) FILTER (WHERE product_views > 0) AS product_view_sessions,
       count(*) FILTER (WHERE cart_adds > 0) AS cart_sessions,
       count(*) FILTER (WHERE checkouts > 0) AS checkout_sessions,
       count(*) FILTER (WHERE purchases > 0) AS purchase_sessions,
       CAST(count(*) FILTER (WHERE purchases > 0) AS DOUBLE) / count(*) AS conversion_rate
FROM silver.sessions
GROUP BY session_date, channel, device
