from datetime import datetime, timedelta

import pandas as pd

from analytics_hub.utils.dates import previous_day_window
from analytics_hub.utils.logging_helpers import get_block_logger, log_duration, log_frame
from analytics_hub.utils.warehouse import postgres

if 'data_loader' not in globals():
    from mage_ai.data_preparation.decorators import data_loader
if 'test' not in globals():
    from mage_ai.data_preparation.decorators import test

logger = get_block_logger('load_postgres_orders')

ORDERS_QUERY = """
SELECT o.order_id,
       o.customer_id,
       o.stripe_charge_id,
       o.order_total_cents,
       o.currency,
       o.region_code,
       o.created_at,
       o.updated_at
FROM shop.orders AS o
WHERE o.created_at >= %(start)s
  AND o.created_at < %(end)s
  AND o.status <> 'test'
"""

ORDER_DTYPES = {
    'order_id': 'int64',
    'customer_id': 'Int64',
    'stripe_charge_id': 'string',
    'order_total_cents': 'int64',
    'currency': 'string',
    'region_code': 'string',
}
# Orders arrive around the clock; when the newest order of the day is older than this, the
# replica has not caught up and the run should fail (and be retried) rather than under-report.
MAX_TAIL_GAP = timedelta(hours=3)
# Reading the day in hour windows keeps each result set under ~50k rows on peak days.
WINDOW_HOURS = 4


def hour_windows(start: datetime, end: datetime, hours: int = WINDOW_HOURS) -> list[tuple[datetime, datetime]]:
    """Consecutive [from, to) windows covering [start, end)."""
    windows, cursor = [], start
    while cursor < end:
        upper = min(cursor + timedelta(hours=hours), end)
        windows.append((cursor, upper))
        cursor = upper
    return windows


def check_replica_freshness(df: pd.DataFrame, end: datetime) -> None:
    """Raise when the newest order is much older than the end of the window."""
    if df.empty:
        logger.warning('No orders in the window; check the replica before trusting the report')
        return
    newest = df['created_at'].max().tz_convert(None)
    if pd.Timestamp(end) - newest > MAX_TAIL_GAP:
        raise RuntimeError(f'Replica looks stale: newest order created at {newest}')


def coerce_orders(df: pd.DataFrame) -> pd.DataFrame:
    """Apply ORDER_DTYPES and keep the latest version of an order updated twice in a day."""
    df = df.astype(ORDER_DTYPES)
    df['created_at'] = pd.to_datetime(df['created_at'], utc=True)
    df['updated_at'] = pd.to_datetime(df['updated_at'], utc=True)
    df = df.sort_values('updated_at').drop_duplicates(subset='order_id', keep='last')
    return df.reset_index(drop=True)


@data_loader
def load_postgres_orders(*args, **kwargs) -> pd.DataFrame:
    """Load yesterday's shop orders from the operational Postgres replica.

    The query is parameterised; the window comes from the run's execution_date so a
    backfill of any day reads exactly that day. The day is read in WINDOW_HOURS slices
    over one connection.
    """
    start, end = previous_day_window(kwargs)
    profile = kwargs.get('io_profile', 'default')
    frames = []
    with postgres(profile) as loader, log_duration(logger, 'orders query'):
        for window_start, window_end in hour_windows(start, end):
            part = loader.load(ORDERS_QUERY, query_vars={'start': window_start, 'end': window_end})
            logger.info('Orders %s..%s: %d rows', window_start, window_end, len(part))
            frames.append(part)
    df = coerce_orders(pd.concat(frames, ignore_index=True))
    check_replica_freshness(df, end)
    log_frame(logger, 'orders', df)
    return df


@test
def test_output(output, *args) -> None:
    assert output is not None, 'The output is undefined'
    assert output['order_id'].notna().all(), 'Orders without id'
    assert output['order_id'].is_unique, 'Duplicate order ids'


@test
def test_order_totals(output, *args) -> None:
    assert (output['order_total_cents'] >= 0).all(), 'Negative order total'
    assert output['currency'].str.len().eq(3).all(), 'Currency codes must have 3 letters'
