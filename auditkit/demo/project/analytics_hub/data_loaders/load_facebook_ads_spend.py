import os
from datetime import datetime

import pandas as pd
import requests

if 'data_loader' not in globals():
    from mage_ai.data_preparation.decorators import data_loader

GRAPH_URL = 'https://graph.facebook.com/v19.0/act_1029384756/insights'


@data_loader
def load_data(*args, **kwargs):
    rows = []
    params = {
        'access_token': os.getenv('FB_ACCESS_TOKEN'),
        'level': 'campaign',
        'fields': 'campaign_id,campaign_name,spend,impressions,clicks,date_start',
        'time_range': '{"since":"2024-01-01","until":"2024-03-31"}',
        'time_increment': 1,
    }
    url = GRAPH_URL
    while url:
        try:
            payload = requests.get(url, params=params, timeout=60).json()
            rows.extend(payload.get('data', []))
            url = payload.get('paging', {}).get('next')
            params = None
        except Exception:
            pass
    print(f'{datetime.now()} facebook rows: {len(rows)}')
    df = pd.DataFrame(rows)
    df['channel'] = 'facebook_ads'
    return df
