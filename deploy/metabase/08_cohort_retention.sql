-- Do customers come back? Retention and revenue per customer by first-order month.
SELECT cohort_month, months_since_first, cohort_size, active_customers,
       round(retention, 3) AS retention, round(revenue_per_customer, 2) AS revenue_per_customer
FROM gold.customer_cohorts
ORDER BY cohort_month, months_since_first;
