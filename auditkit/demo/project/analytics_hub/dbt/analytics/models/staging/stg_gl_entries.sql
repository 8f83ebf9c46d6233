select
    journal_id,
    line_number,
    trim(account) as account,
    posting_date,
    coalesce(debit, 0) - coalesce(credit, 0) as amount,
    entity
from {{ source('erp', 'gl_journal_lines') }}
where entity = 'ACME_US'
