/*
description = "Daily delivery per campaign as the ad platforms report it"
[[test]]
type = "unique"
columns = ["campaign_id", "day"]
[[test]]
type = "relationships"
column = "campaign_id"
to = "silver.campaigns"
[[test]]
type = "sql"
name = "clicks_within_impressions"
query = "SELECT * FROM {this} WHERE clicks > impressions OR spend < 0"
*/
SELECT day, campaign_id, platform, spend, impressions, clicks, platform_conversions
FROM (
    SELECT CAST(day AS DATE) AS day,
           CAST(campaign_id AS BIGINT) AS campaign_id,
           platform,
           CAST(spend AS NUMERIC(12,2)) AS spend,
           CAST(impressions AS BIGINT) AS impressions,
           CAST(clicks AS BIGINT) AS clicks,
           CAST(platform_conversions AS BIGINT) AS platform_conversions,
           row_number() OVER (PARTITION BY campaign_id, day ORDER BY dt DESC) AS copy
    FROM bronze.ads_daily
    WHERE campaign_id IS NOT NULL AND day IS NOT NULL
) a
WHERE copy = 1
