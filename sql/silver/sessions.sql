/*
description = "Visits built from web events: a visitor's session ends after 30 minutes without an event or when the traffic source changes"
[columns]
session_id = "anonymous_id and the visit's number for that visitor"
channel = "Where the visit came from: search, social, video, display, affiliate, email, influencer, organic, referral or direct"
is_direct = "True when the visit had neither utm tags nor a referrer"
[[test]]
type = "unique"
columns = ["session_id"]
[[test]]
type = "not_null"
columns = ["session_id", "anonymous_id", "started_at", "session_date", "channel"]
*/
WITH marked AS (
    SELECT e.*,
           concat_ws('|', utm_source, utm_medium, utm_campaign, referrer) AS source_key,
           lag(event_time) OVER visit AS previous_time,
           lag(concat_ws('|', utm_source, utm_medium, utm_campaign, referrer)) OVER visit AS previous_source
    FROM silver.web_events e
    WINDOW visit AS (PARTITION BY anonymous_id ORDER BY event_time, event_id)
),
numbered AS (
    SELECT *,
           sum(CASE WHEN previous_time IS NULL
                      OR event_time - previous_time > INTERVAL '30 minutes'
                      OR source_key <> previous_source THEN 1 ELSE 0 END)
               OVER (PARTITION BY anonymous_id ORDER BY event_time, event_id
                     ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS visit_number
    FROM marked
)
SELECT anonymous_id || ':' || CAST(visit_number AS VARCHAR) AS session_id,
       anonymous_id,
       max(customer_id) AS customer_id,
       min(event_time) AS started_at,
       max(event_time) AS ended_at,
       CAST(min(event_time) AS DATE) AS session_date,
       first_value(device ORDER BY event_time) AS device,
       first_value(utm_source ORDER BY event_time) AS utm_source,
       first_value(utm_medium ORDER BY event_time) AS utm_medium,
       first_value(utm_campaign ORDER BY event_time) AS utm_campaign,
       first_value(referrer ORDER BY event_time) AS referrer,
       CASE first_value(utm_medium ORDER BY event_time)
            WHEN 'cpc' THEN 'search'
            WHEN 'paid_social' THEN 'social'
            WHEN 'paid_video' THEN 'video'
            WHEN 'display' THEN 'display'
            WHEN 'affiliate' THEN 'affiliate'
            WHEN 'email' THEN 'email'
            WHEN 'influencer' THEN 'influencer'
            ELSE CASE
                WHEN first_value(utm_medium ORDER BY event_time) IS NOT NULL THEN 'other'
                WHEN first_value(referrer ORDER BY event_time) LIKE '%google.%'
                  OR first_value(referrer ORDER BY event_time) LIKE '%bing.%' THEN 'organic'
                WHEN first_value(referrer ORDER BY event_time) IS NOT NULL THEN 'referral'
                ELSE 'direct' END
       END AS channel,
       first_value(utm_source ORDER BY event_time) IS NULL
           AND first_value(utm_medium ORDER BY event_time) IS NULL
           AND first_value(utm_campaign ORDER BY event_time) IS NULL
           AND first_value(referrer ORDER BY event_time) IS NULL AS is_direct,
       count(*) AS events,
       count(*) FILTER (WHERE event_type = 'page_view') AS page_views,
       count(*) FILTER (WHERE event_type = 'product_view') AS product_views,
       count(*) FILTER (WHERE event_type = 'add_to_cart') AS cart_adds,
       count(*) FILTER (WHERE event_type = 'begin_checkout') AS checkouts,
       count(*) FILTER (WHERE event_type = 'purchase') AS purchases,
       max(order_id) AS order_id
FROM numbered
GROUP BY anonymous_id, visit_number
