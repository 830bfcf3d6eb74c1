/*
description = "Customer cohorts by the month of their first order: how many come back each month after, and what they spend"
[columns]
cohort_month = "The month of the customers' first order"
months_since_first = "0 for the first month, 1 for the next, ..."
retention = "Customers of the cohort who ordered that month, over the cohort's size"
revenue_per_customer = "That month's revenue over the cohort's size"
[[test]]
type = "unique"
columns = ["cohort_month", "months_since_first"]
[[test]]
type = "sql"
name = "retention_is_a_share"
query = "SELECT * FROM {this} WHERE retention < 0 OR retention > 1"
*/
WITH placed AS (
    SELECT customer_id, order_date, revenue FROM silver.orders WHERE status <> 'cancelled'
),
firsts AS (
    SELECT customer_id, CAST(date_trunc('month', min(order_date)) AS DATE) AS cohort_month
    FROM placed GROUP BY customer_id
),
sizes AS (
    SELECT cohort_month, count(*) AS cohort_size FROM firsts GROUP BY cohort_month
),
activity AS (
    SELECT f.cohort_month,
           (extract(year FROM o.order_date) - extract(year FROM f.cohort_month)) * 12
             + extract(month FROM o.order_date) - extract(month FROM f.cohort_month)
             AS months_since_first,
           o.customer_id, o.revenue
    FROM placed o JOIN firsts f ON f.customer_id = o.customer_id
)
SELECT a.cohort_month, CAST(a.months_since_first AS BIGINT) AS months_since_first,
       s.cohort_size,
       count(DISTINCT a.customer_id) AS active_customers,
       count(*) AS orders,
       sum(a.revenue) AS revenue,
       CAST(count(DISTINCT a.customer_id) AS DOUBLE) / s.cohort_size AS retention,
       CAST(sum(a.revenue) AS DOUBLE) / s.cohort_size AS revenue_per_customer
FROM activity a JOIN sizes s ON s.cohort_month = a.cohort_month
GROUP BY a.cohort_month, a.months_since_first, s.cohort_size
