/*
description = "Influencer posts with their reach, engagements and clicks"
[[test]]
type = "unique"
columns = ["post_id"]
[[test]]
type = "relationships"
column = "influencer_id"
to = "silver.influencers"
*/
SELECT post_id, day, influencer_id, platform, promo_code, reach, engagements, clicks
FROM (
    SELECT CAST(post_id AS BIGINT) AS post_id,
           CAST(day AS DATE) AS day,
           CAST(influencer_id AS BIGINT) AS influencer_id,
           platform,
           upper(promo_code) AS promo_code,
           CAST(reach AS BIGINT) AS reach,
           CAST(engagements AS BIGINT) AS engagements,
           CAST(clicks AS BIGINT) AS clicks,
           row_number() OVER (PARTITION BY post_id ORDER BY dt DESC) AS copy
    FROM bronze.influencer_posts
    WHERE post_id IS NOT NULL
) p
WHERE copy = 1
