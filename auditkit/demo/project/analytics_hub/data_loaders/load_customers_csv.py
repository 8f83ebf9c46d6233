import pandas as pd

if 'data_loader' not in globals():
    from mage_ai.data_preparation.decorators import data_loader


@data_loader
def load_data(*args, **kwargs):
    # full CRM export, ~4GB
    df = pd.read_csv('/home/src/data/exports/customers_full_export.csv')
    print(len(df))
    return df
