/*
description = "Customers from the CRM export, one row per customer_id (the latest export wins)"
[[test]]
type = "not_null"
columns = ["customer_id", "signup_date"]
[[test]]
type = "unique"
columns = ["customer_id"]
*/
SELECT customer_id, signup_date, country, city, acquisition_channel, loyalty_tier, marketing_consent
FROM (
    SELECT CAST(customer_id AS BIGINT) AS customer_id,
           CAST(signup_date AS DATE) AS signup_date,
           country, city, acquisition_channel, loyalty_tier,
           CAST(marketing_consent AS BOOLEAN) AS marketing_consent,
           row_number() OVER (PARTITION BY customer_id ORDER BY dt DESC) AS copy
    FROM bronze.crm_customers
    WHERE customer_id IS NOT NULL
) c
WHERE copy = 1
