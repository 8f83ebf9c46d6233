import requests
import pandas as pd

if 'data_loader' not in globals():
    from mage_ai.data_preparation.decorators import data_loader


@data_loader
def load_data(*args, **kwargs):
    # replaced by the salesforce sync, keep for now
    resp = requests.get('https://api.hubapi.com/crm/v3/objects/contacts',
                        headers={'Authorization': 'Bearer ' + kwargs.get('hubspot_token', '')},
                        params={'limit': 100})
    return pd.DataFrame([r['properties'] for r in resp.json()['results']])
