/*
description = "Influencers the shop works with"
[[test]]
type = "unique"
columns = ["influencer_id"]
*/
SELECT DISTINCT ON (influencer_id)
       CAST(influencer_id AS BIGINT) AS influencer_id, handle, platform,
       CAST(followers AS BIGINT) AS followers, CAST(fee_per_post AS NUMERIC(12,2)) AS fee_per_post
FROM bronze.influencers
WHERE influencer_id IS NOT NULL
ORDER BY influencer_id
