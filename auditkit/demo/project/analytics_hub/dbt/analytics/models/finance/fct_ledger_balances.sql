{{ config(materialized='table') }}

with movements as (
    select
        account,
        date_trunc('month', posting_date) as period,
        sum(amount) as movement
    from {{ ref('stg_gl_entries') }}
    group by 1, 2
),

balances as (
    select
        account,
        period,
        movement,
        sum(movement) over (partition by account order by period
                            rows between unbounded preceding and 1 preceding) as opening_balance,
        sum(movement) over (partition by account order by period) as closing_balance
    from movements
)

select
    b.account,
    b.period,
    coalesce(b.opening_balance, 0) as opening_balance,
    b.closing_balance,
    b.movement,
    m.subledger,
    m.kind
from balances b
left join {{ source('erp', 'account_map') }} m using (account)
