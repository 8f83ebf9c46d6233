SELECT session_id,
       anonymous_id,
       customer_id,
       utm_source,
       utm_medium,
       utm_campaign,
       landing_page,
       started_at
FROM analytics.web_sessions
WHERE started_at >= '2024-01-01'
  AND started_at < '2024-04-01'
