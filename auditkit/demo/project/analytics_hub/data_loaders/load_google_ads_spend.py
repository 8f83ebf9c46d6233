import io
import os
import time

import pandas as pd
import requests

if 'data_loader' not in globals():
    from mage_ai.data_preparation.decorators import data_loader
if 'test' not in globals():
    from mage_ai.data_preparation.decorators import test


BASE_URL = 'https://reports.acme-analytics.io/google-ads'
ACCOUNTS = ['acme-us', 'acme-eu', 'acme-brand']
PAGE_ROWS = 10000


def get_page(account, start_date, end_date, page_token=None):
    params = {'from': start_date, 'to': end_date, 'account': account, 'rows': PAGE_ROWS}
    if page_token:
        params['page_token'] = page_token
    for attempt in range(3):
        resp = requests.get(BASE_URL + '/campaign_spend.csv', params=params,
                            headers={'X-Report-Token': os.getenv('ADS_REPORT_TOKEN', '')}, timeout=60)
        if resp.status_code == 429:
            print('rate limited, sleeping', 5 * (attempt + 1))
            time.sleep(5 * (attempt + 1))
            continue
        resp.raise_for_status()
        return resp
    resp.raise_for_status()
    return resp


def fetch_account(account, start_date, end_date):
    frames = []
    page_token = None
    while True:
        resp = get_page(account, start_date, end_date, page_token)
        frame = pd.read_csv(io.StringIO(resp.text))
        frames.append(frame)
        print(account, 'page', len(frames), frame.shape)
        page_token = resp.headers.get('X-Next-Page-Token')
        if not page_token or frame.empty:
            break
    return pd.concat(frames, ignore_index=True)


@data_loader
def load_data(*args, **kwargs):
    # TODO: use execution_date instead, hard-coded while we backfill Q1
    start_date = '2024-01-01'
    end_date = '2024-03-31'
    print('loading google ads spend from', start_date, 'to', end_date)

    all_accounts = []
    for account in ACCOUNTS:
        df = fetch_account(account, start_date, end_date)
        df['account'] = account
        all_accounts.append(df)
    df = pd.concat(all_accounts, ignore_index=True)
    print(df.shape)

    # cost comes in micros from the API
    if 'Cost' in df.columns and df['Cost'].max() > 1e6:
        df['Cost'] = df['Cost'] / 1e6
    df = df.drop_duplicates(subset=['Day', 'Campaign', 'account'])
    df['channel'] = 'google_ads'
    return df


@test
def test_output(output, *args) -> None:
    assert output is not None, 'The output is undefined'
