import pandas as pd

if 'transformer' not in globals():
    from mage_ai.data_preparation.decorators import transformer


@transformer
def transform(spend, last_touch, linear, position_based, *args, **kwargs):
    df = spend.groupby(['channel', 'campaign'], as_index=False)[['spend', 'clicks']].sum()
    for model in (last_touch, linear, position_based):
        df = df.merge(model, on=['channel', 'campaign'], how='outer')
    df = df.fillna(0)
    for col in ['revenue_last_touch', 'revenue_linear', 'revenue_position_based']:
        df[col.replace('revenue', 'roas')] = df[col] / df['spend'].where(df['spend'] > 0)
    df['loaded_at'] = pd.Timestamp('2024-04-02')
    return df
