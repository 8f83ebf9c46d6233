import pandas as pd

if 'transformer' not in globals():
    from mage_ai.data_preparation.decorators import transformer
if 'test' not in globals():
    from mage_ai.data_preparation.decorators import test


@transformer
def transform(df, *args, **kwargs):
    """Linear attribution: every touch before a conversion gets an equal share."""
    converted = df[df['converted_at'].notna()].copy()
    touches = converted.groupby('customer_id')['touchpoint_id'].transform('count')
    converted['credit'] = converted['order_total'] / touches
    out = converted.groupby(['channel', 'campaign'], as_index=False)['credit'].sum()
    return out.rename(columns={'credit': 'revenue_linear'})


@test
def test_credit_sums_to_revenue(output, *args) -> None:
    assert output['revenue_linear'].sum() >= 0
