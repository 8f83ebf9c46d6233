import pandas as pd

if 'transformer' not in globals():
    from mage_ai.data_preparation.decorators import transformer


@transformer
def transform(touchpoints, sessions, *args, **kwargs):
    sessions = sessions.rename(columns={'utm_source': 'channel', 'utm_campaign': 'campaign',
                                        'started_at': 'touched_at'})
    sessions['channel'] = sessions['channel'].fillna('direct').str.lower()
    df = pd.concat([touchpoints, sessions], ignore_index=True, sort=False)
    df = df.sort_values(['anonymous_id', 'touched_at'])
    # 30 minutes of inactivity starts a new session
    gap = df.groupby('anonymous_id')['touched_at'].diff() > pd.Timedelta(minutes=30)
    df['session_number'] = gap.groupby(df['anonymous_id']).cumsum()
    df = df[df['converted_at'].isna() | (df['touched_at'] <= df['converted_at'])]
    print('touchpoints after sessionizing', len(df))
    return df
