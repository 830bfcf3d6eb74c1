-- Do customers come back? Retention and revenue per customer by first-order month.
SELECT cohort_month, months_since_first, cohort_size, active_customers,
       round(CAST(retention AS NUMERIC), 3) AS retention, round(CAST(revenue_per_customer AS NUMERIC), 2) AS revenue_per_customer
FROM gold.customer_cohorts
ORDER BY cohort_month, months_since_first;
