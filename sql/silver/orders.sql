/*
description = "Orders from the CRM export, typed, one row per order_id (the latest export wins)"
[columns]
revenue = "What the customer paid for the goods, after discounts, without shipping"
discount_code = "The promotion code used, if any"
[[test]]
type = "not_null"
columns = ["order_id", "customer_id", "order_date", "order_time", "revenue"]
[[test]]
type = "unique"
columns = ["order_id"]
[[test]]
type = "accepted_values"
column = "status"
values = ["completed", "returned", "cancelled"]
[[test]]
type = "relationships"
column = "customer_id"
to = "silver.customers"
[[test]]
type = "sql"
name = "no_negative_revenue"
query = "SELECT * FROM {this} WHERE revenue < 0"
*/
SELECT order_id, customer_id, order_date, order_time, status, payment_method, discount_code,
       shipping_method, shipping_cost, items, revenue
FROM (
    SELECT CAST(order_id AS BIGINT) AS order_id,
           CAST(customer_id AS BIGINT) AS customer_id,
           CAST(order_date AS DATE) AS order_date,
           CAST(order_time AS TIMESTAMP) AS order_time,
           lower(status) AS status,
           payment_method,
           nullif(upper(discount_code), '') AS discount_code,
           shipping_method,
           CAST(shipping_cost AS NUMERIC(12,2)) AS shipping_cost,
           CAST(items AS BIGINT) AS items,
           CAST(revenue AS NUMERIC(12,2)) AS revenue,
           row_number() OVER (PARTITION BY order_id ORDER BY dt DESC) AS copy
    FROM bronze.crm_orders
    WHERE order_id IS NOT NULL
) o
WHERE copy = 1
