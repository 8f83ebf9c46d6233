import numpy as np
import pandas as pd

if 'transformer' not in globals():
    from mage_ai.data_preparation.decorators import transformer
if 'test' not in globals():
    from mage_ai.data_preparation.decorators import test

COLS = ['date', 'channel', 'campaign', 'spend', 'impressions', 'clicks']

# facebook reports some accounts in EUR and GBP, google is all USD
FB_FX = {'USD': 1.0, 'EUR': 1.08, 'GBP': 1.27}

CAMPAIGN_FIXES = {
    'brand_search_us_': 'brand_search_us',
    'retargeting-q1': 'retargeting_q1',
    'summer_sale__': 'summer_sale',
}


def clean_campaign(s):
    s = s.fillna('unknown').astype(str).str.strip().str.lower()
    s = s.str.replace(r'[\s\-]+', '_', regex=True)
    s = s.replace(CAMPAIGN_FIXES)
    return s.str.strip('_')


def drop_test_campaigns(df):
    # the agency runs test campaigns with tiny budgets, they are not real spend
    is_test = df['campaign'].str.startswith(('test_', 'zz_', 'sandbox_'))
    df = df[~is_test]
    return df.reset_index(drop=True)


def prep_google(google):
    google = google.rename(columns={'Day': 'date', 'Campaign': 'campaign', 'Cost': 'spend',
                                    'Impressions': 'impressions', 'Clicks': 'clicks'})
    return google[COLS]


def prep_facebook(facebook):
    facebook = facebook.rename(columns={'date_start': 'date', 'campaign_name': 'campaign'})
    if 'account_currency' in facebook.columns:
        rate = facebook['account_currency'].map(FB_FX).fillna(1.0)
        facebook['spend'] = pd.to_numeric(facebook['spend'], errors='coerce') * rate
    return facebook[COLS]


@transformer
def transform(google, facebook, *args, **kwargs):
    """Put Google and Facebook spend into one daily table per campaign."""
    df = pd.concat([prep_google(google), prep_facebook(facebook)], ignore_index=True)
    df['date'] = pd.to_datetime(df['date']).dt.date
    df['spend'] = pd.to_numeric(df['spend'], errors='coerce').fillna(0)
    for c in ['impressions', 'clicks']:
        df[c] = pd.to_numeric(df[c], errors='coerce').fillna(0).astype(int)
    df['campaign'] = clean_campaign(df['campaign'])
    df = drop_test_campaigns(df)

    # same campaign can show up on several rows per day (ad groups), sum them
    df = df.groupby(['date', 'channel', 'campaign'], as_index=False)[['spend', 'impressions', 'clicks']].sum()
    df['ctr'] = np.where(df['impressions'] > 0, df['clicks'] / df['impressions'], 0.0)
    df['cpc'] = np.where(df['clicks'] > 0, df['spend'] / df['clicks'], np.nan)
    df['spend'] = df['spend'].round(2)
    return df


@test
def test_output(output, *args) -> None:
    assert output is not None, 'The output is undefined'
    assert (output['spend'] >= 0).all()
