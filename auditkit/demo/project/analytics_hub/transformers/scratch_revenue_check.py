if 'transformer' not in globals():
    from mage_ai.data_preparation.decorators import transformer


@transformer
def transform(df, *args, **kwargs):
    print(df.groupby('region')['net_revenue_usd'].sum())
    print(df.describe())
    return df
