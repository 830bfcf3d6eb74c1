/*
description = "Web events from bronze, typed, one row per event_id (the first landed copy wins)"
materialized = "incremental"      # a run re-reads only the days whose bronze files changed
partition_by = "event_date"
[columns]
event_id = "The event's id from the site's tracker"
event_time = "When the event happened (UTC)"
event_date = "The event's day (UTC)"
anonymous_id = "The visitor's browser id, stable across sessions"
customer_id = "The signed-in customer, when known"
order_id = "The CRM order a purchase event placed"
[[test]]
type = "not_null"
columns = ["event_id", "event_time", "event_date", "event_type", "anonymous_id"]
[[test]]
type = "unique"
columns = ["event_id"]
[[test]]
type = "accepted_values"
column = "event_type"
values = ["page_view", "product_view", "search", "add_to_cart", "remove_from_cart", "begin_checkout", "purchase"]
*/
SELECT event_id, event_time, event_date, event_type, anonymous_id, customer_id, device, browser,
       referrer, utm_source, utm_medium, utm_campaign, page, product_id, order_id
FROM (
    SELECT CAST(event_id AS BIGINT) AS event_id,
           CAST(event_time AS TIMESTAMP) AS event_time,
           CAST(event_date AS DATE) AS event_date,
           lower(event_type) AS event_type,
           anonymous_id,
           CAST(customer_id AS BIGINT) AS customer_id,
           device, browser,
           nullif(referrer, '') AS referrer,
           nullif(utm_source, '') AS utm_source,
           nullif(utm_medium, '') AS utm_medium,
           nullif(utm_campaign, '') AS utm_campaign,
           page,
           CAST(product_id AS BIGINT) AS product_id,
           CAST(order_id AS BIGINT) AS order_id,
           row_number() OVER (PARTITION BY event_id ORDER BY event_time) AS copy
    FROM bronze.web_events
    WHERE event_id IS NOT NULL AND event_time IS NOT NULL AND anonymous_id IS NOT NULL
) e
WHERE copy = 1
