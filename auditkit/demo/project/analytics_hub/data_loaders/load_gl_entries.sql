-- GL journal lines of the previous month, from the ERP replica in Snowflake.
-- Reversed journals are left out together with their reversal (both net to zero and
-- only add noise to the line matching), and manual top-side adjustments are flagged so
-- the reconciliation can treat them as unmatched on purpose.
WITH period_lines AS (
    SELECT journal_id,
           line_number,
           TRIM(account) AS account,
           posting_date,
           COALESCE(debit, 0) AS debit,
           COALESCE(credit, 0) AS credit,
           memo,
           entity,
           journal_source,
           reversal_of_journal_id,
           is_reversed
    FROM ERP.GL_JOURNAL_LINES
    WHERE posting_date >= DATE_TRUNC('month', DATEADD(month, -1, '{{ execution_date.strftime("%Y-%m-%d") }}'::date))
      AND posting_date < DATE_TRUNC('month', '{{ execution_date.strftime("%Y-%m-%d") }}'::date)
      AND entity = 'ACME_US'
),

reversed AS (
    SELECT DISTINCT reversal_of_journal_id AS journal_id
    FROM period_lines
    WHERE reversal_of_journal_id IS NOT NULL
)

SELECT p.journal_id,
       p.line_number,
       p.account,
       p.posting_date,
       p.debit,
       p.credit,
       p.memo,
       p.entity,
       p.journal_source = 'MANUAL' AS is_manual_adjustment
FROM period_lines AS p
LEFT JOIN reversed AS r
    ON r.journal_id = p.journal_id
WHERE r.journal_id IS NULL
  AND p.reversal_of_journal_id IS NULL
  AND NOT COALESCE(p.is_reversed, FALSE)
  AND (p.debit <> 0 OR p.credit <> 0)
QUALIFY ROW_NUMBER() OVER (PARTITION BY p.journal_id, p.line_number ORDER BY p.posting_date DESC) = 1
