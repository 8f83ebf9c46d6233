-- Daily ECB reference rates, one row per currency, for the day before the run date.
-- ECB publishes no rates on weekends and TARGET holidays, so each currency takes its
-- latest rate from the seven days up to that day; rate_age_days tells how old it is.
WITH ranked AS (
    SELECT upper(r.currency) AS currency,
           r.rate_to_usd,
           r.rate_date,
           row_number() OVER (
               PARTITION BY upper(r.currency)
               ORDER BY r.rate_date DESC, r.loaded_at DESC
           ) AS recency
    FROM reference.fx_rates AS r
    WHERE r.rate_date <= '{{ execution_date.strftime("%Y-%m-%d") }}'::date - INTERVAL '1 day'
      AND r.rate_date > '{{ execution_date.strftime("%Y-%m-%d") }}'::date - INTERVAL '8 days'
      AND r.rate_to_usd > 0
)
SELECT currency,
       rate_to_usd,
       rate_date,
       ('{{ execution_date.strftime("%Y-%m-%d") }}'::date - INTERVAL '1 day')::date - rate_date
           AS rate_age_days
FROM ranked
WHERE recency = 1
  AND currency <> 'USD'
ORDER BY currency
