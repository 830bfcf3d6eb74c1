/*
description = "Order lines from the CRM export, one row per order and line number"
[[test]]
type = "not_null"
columns = ["order_id", "line_number", "product_id", "quantity"]
[[test]]
type = "unique"
columns = ["order_id", "line_number"]
[[test]]
type = "relationships"
column = "product_id"
to = "silver.products"
*/
SELECT order_id, line_number, order_date, product_id, quantity, unit_price, discount,
       unit_price * quantity - discount AS line_revenue
FROM (
    SELECT CAST(order_id AS BIGINT) AS order_id,
           CAST(line_number AS BIGINT) AS line_number,
           CAST(order_date AS DATE) AS order_date,
           CAST(product_id AS BIGINT) AS product_id,
           CAST(quantity AS BIGINT) AS quantity,
           CAST(unit_price AS NUMERIC(12,2)) AS unit_price,
           CAST(coalesce(discount, 0) AS NUMERIC(12,2)) AS discount,
           row_number() OVER (PARTITION BY order_id, line_number ORDER BY dt DESC) AS copy
    FROM bronze.crm_order_items
    WHERE order_id IS NOT NULL
) l
WHERE copy = 1
