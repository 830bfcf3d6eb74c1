/*
description = "Ad campaigns, with the utm tags their landing pages carry"
[[test]]
type = "unique"
columns = ["campaign_id"]
[[test]]
type = "not_null"
columns = ["campaign_id", "name", "channel", "utm_campaign", "utm_medium"]
*/
SELECT DISTINCT ON (campaign_id)
       CAST(campaign_id AS BIGINT) AS campaign_id, name, channel, platform,
       CAST(start_date AS DATE) AS start_date, CAST(end_date AS DATE) AS end_date,
       CAST(daily_budget AS NUMERIC(12,2)) AS daily_budget, utm_source, utm_medium, utm_campaign
FROM bronze.ads_campaigns
WHERE campaign_id IS NOT NULL
ORDER BY campaign_id
