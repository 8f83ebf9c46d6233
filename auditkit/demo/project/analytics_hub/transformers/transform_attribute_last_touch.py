import pandas as pd

if 'transformer' not in globals():
    from mage_ai.data_preparation.decorators import transformer


@transformer
def transform(df, *args, **kwargs):
    converted = df[df['converted_at'].notna()]
    last = converted.sort_values('touched_at').groupby('customer_id').tail(1)
    out = last.groupby(['channel', 'campaign'], as_index=False)['order_total'].sum()
    out = out.rename(columns={'order_total': 'revenue_last_touch'})
    return out
