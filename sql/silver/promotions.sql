/*
description = "Discount codes: sitewide sales, influencer codes and newsletter codes"
[[test]]
type = "unique"
columns = ["promotion_id"]
[[test]]
type = "unique"
columns = ["code"]
*/
SELECT DISTINCT ON (promotion_id)
       CAST(promotion_id AS BIGINT) AS promotion_id, upper(code) AS code, name,
       CAST(discount_pct AS BIGINT) AS discount_pct,
       CAST(start_date AS DATE) AS start_date, CAST(end_date AS DATE) AS end_date,
       CAST(influencer_id AS BIGINT) AS influencer_id,
       CASE WHEN influencer_id IS NOT NULL THEN 'influencer'
            WHEN upper(code) LIKE 'NEWS%' THEN 'newsletter'
            ELSE 'sitewide' END AS kind
FROM bronze.crm_promotions
WHERE promotion_id IS NOT NULL
ORDER BY promotion_id
