import os

import pandas as pd
import psycopg2

if 'transformer' not in globals():
    from mage_ai.data_preparation.decorators import transformer


@transformer
def transform(df, *args, **kwargs):
    segment = kwargs.get('segment', 'enterprise')
    conn = psycopg2.connect(
        host='warehouse-dev.internal.acme-analytics.io',
        dbname='analytics',
        user='etl_dev',
        password=os.environ.get('POSTGRES_PASSWORD'),
    )
    query = f"SELECT customer_id, lifetime_value, churn_risk FROM crm.customer_scores WHERE segment = '{segment}'"
    scores = pd.read_sql(query, conn)
    df = df.merge(scores, on='customer_id', how='left')
    df['email'] = df['email'].str.lower()
    df = df.dropna(subset=['email'])
    df['signup_date'] = pd.to_datetime(df['signup_date'])
    df = df[df['signup_date'] > '2023-06-01']
    df.to_parquet('/tmp/customers_clean.parquet')
    return df
