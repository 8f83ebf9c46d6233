-- Breaks above tolerance, for the controllers' review queue.
-- Priority follows the close policy: P1 over 10k, P2 over 1k, P3 otherwise; an account
-- with no source data at all is P1 whatever its amount, because nothing was checked.
-- A small break that is still five times its tolerance is raised from P3 to P2.
WITH current_breaks AS (
    SELECT account,
           account_name,
           source,
           gl_amount,
           source_amount,
           difference,
           tolerance,
           status,
           period_start
    FROM {{ df_1 }}
    WHERE status IN ('break', 'no_source_data')
),

prioritised AS (
    SELECT *,
           CASE WHEN status = 'no_source_data' THEN 'P1'
                WHEN ABS(difference) > 10000 THEN 'P1'
                WHEN ABS(difference) > 1000 THEN 'P2'
                ELSE 'P3' END AS base_priority,
           CASE WHEN tolerance > 0 THEN ROUND(ABS(difference) / tolerance, 1) END AS times_tolerance
    FROM current_breaks
)

SELECT account,
       account_name,
       source,
       gl_amount,
       source_amount,
       difference,
       times_tolerance,
       period_start,
       CASE WHEN base_priority = 'P3' AND times_tolerance >= 5 THEN 'P2'
            ELSE base_priority END AS priority,
       CASE WHEN difference > 0 THEN 'gl_higher'
            WHEN difference < 0 THEN 'source_higher'
            ELSE 'missing_source' END AS direction
FROM prioritised
ORDER BY priority, ABS(difference) DESC
