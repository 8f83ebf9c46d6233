SELECT payout_id,
       amount_cents,
       fee_cents,
       refunded_cents,
       currency,
       arrival_date,
       status
FROM stripe.payouts
WHERE status = 'paid'
  AND arrival_date >= date_trunc('month', '{{ execution_date.strftime("%Y-%m-%d") }}'::date - interval '1 month')
