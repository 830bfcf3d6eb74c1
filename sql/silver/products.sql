/*
description = "The catalogue, one row per product"
[[test]]
type = "unique"
columns = ["product_id"]
[[test]]
type = "not_null"
columns = ["product_id", "name", "category", "price"]
*/
SELECT DISTINCT ON (product_id)
       CAST(product_id AS BIGINT) AS product_id, sku, name, category, subcategory,
       CAST(price AS NUMERIC(12,2)) AS price, CAST(cost AS NUMERIC(12,2)) AS cost,
       CAST(launch_date AS DATE) AS launch_date
FROM bronze.crm_products
WHERE product_id IS NOT NULL
ORDER BY product_id
