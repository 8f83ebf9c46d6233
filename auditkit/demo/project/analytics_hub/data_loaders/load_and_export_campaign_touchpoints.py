import pandas as pd
from mage_ai.io.config import ConfigFileLoader
from mage_ai.io.postgres import Postgres
from mage_ai.settings.repo import get_repo_path

if 'data_loader' not in globals():
    from mage_ai.data_preparation.decorators import data_loader


@data_loader
def load_data(*args, **kwargs):
    config = ConfigFileLoader(get_repo_path() + '/io_config.yaml', 'default')
    with Postgres.with_config(config) as pg:
        touchpoints = pg.load("""
            SELECT t.touchpoint_id, t.anonymous_id, t.channel, t.campaign, t.touched_at,
                   c.customer_id, c.converted_at, c.order_total
            FROM marketing.touchpoints t
            LEFT JOIN marketing.conversions c USING (anonymous_id)
            WHERE t.touched_at >= '2024-01-01'
        """)
        touchpoints['channel'] = touchpoints['channel'].str.lower().str.strip()
        touchpoints = touchpoints.drop_duplicates('touchpoint_id')
        # keep a copy for the BI team, they read it directly
        pg.export(touchpoints, schema_name='marketing', table_name='touchpoints_clean_v3',
                  if_exists='append', index=False)
    print('exported', len(touchpoints), 'touchpoints')
    return touchpoints
