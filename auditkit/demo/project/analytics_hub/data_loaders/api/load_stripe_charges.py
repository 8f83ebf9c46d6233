from datetime import datetime, timedelta

import pandas as pd

from analytics_hub.utils.dates import previous_day_window
from analytics_hub.utils.logging_helpers import get_block_logger, log_duration
from analytics_hub.utils.stripe_client import StripeClient

if 'data_loader' not in globals():
    from mage_ai.data_preparation.decorators import data_loader
if 'test' not in globals():
    from mage_ai.data_preparation.decorators import test

logger = get_block_logger('load_stripe_charges')

CHARGE_COLUMNS = [
    'id', 'amount', 'amount_refunded', 'currency', 'status', 'created',
    'customer', 'paid', 'refunded', 'balance_transaction',
]
INTEGER_COLUMNS = ['amount', 'amount_refunded']
BOOLEAN_COLUMNS = ['paid', 'refunded']
KNOWN_STATUSES = {'succeeded', 'pending', 'failed'}

# Black Friday days return >40k charges; slicing the day keeps each paginated listing short
# enough that a 429 retry does not restart a multi-minute walk through the cursor.
DEFAULT_SLICE_HOURS = 6


def time_slices(start: datetime, end: datetime, hours: int) -> list[tuple[int, int]]:
    """Split [start, end) into consecutive [from, to) epoch-second windows of ``hours``."""
    if end <= start:
        raise ValueError(f'Empty load window: {start} .. {end}')
    if hours <= 0:
        raise ValueError('slice_hours must be positive')
    slices = []
    cursor = start
    while cursor < end:
        upper = min(cursor + timedelta(hours=hours), end)
        slices.append((int(cursor.timestamp()), int(upper.timestamp())))
        cursor = upper
    return slices


def normalise_charges(rows: list[dict]) -> pd.DataFrame:
    """Build the charge frame with stable columns and dtypes from raw API objects.

    Stripe omits keys that are null on some objects (``customer`` on guest checkouts), so
    the frame is built against CHARGE_COLUMNS rather than whatever the first page held.
    """
    df = pd.DataFrame(rows).reindex(columns=CHARGE_COLUMNS)
    df['created'] = pd.to_datetime(df['created'], unit='s', utc=True)
    df['currency'] = df['currency'].str.upper()
    for column in INTEGER_COLUMNS:
        df[column] = pd.to_numeric(df[column], errors='coerce').fillna(0).astype('int64')
    for column in BOOLEAN_COLUMNS:
        df[column] = df[column].fillna(False).astype(bool)
    return df


def drop_slice_overlaps(df: pd.DataFrame) -> pd.DataFrame:
    """Charges created exactly on a slice boundary can be listed twice; keep one."""
    before = len(df)
    df = df.drop_duplicates(subset='id', keep='last').reset_index(drop=True)
    if len(df) != before:
        logger.info('Dropped %d charges listed in two slices', before - len(df))
    return df


@data_loader
def load_stripe_charges(*args, **kwargs) -> pd.DataFrame:
    """Load yesterday's Stripe charges (UTC day before the run's execution_date).

    The day is read in slices of ``slice_hours`` (pipeline variable, default 6) and the
    slices are concatenated and de-duplicated on the charge id.

    Returns one row per charge with the columns in CHARGE_COLUMNS; amounts are in the
    smallest currency unit, as Stripe sends them.
    """
    start, end = previous_day_window(kwargs)
    slice_hours = int(kwargs.get('slice_hours', DEFAULT_SLICE_HOURS))
    client = StripeClient()
    rows: list[dict] = []
    try:
        with log_duration(logger, 'stripe charges'):
            for created_gte, created_lt in time_slices(start, end, slice_hours):
                batch = client.list_all('charges', created_gte, created_lt)
                logger.info('Slice %s: %d charges', datetime.utcfromtimestamp(created_gte), len(batch))
                rows.extend(batch)
    finally:
        client.close()

    df = drop_slice_overlaps(normalise_charges(rows))
    unknown = sorted(set(df['status'].dropna()) - KNOWN_STATUSES)
    if unknown:
        logger.warning('Charges with unexpected status values: %s', unknown)
    logger.info('Loaded %d charges for %s', len(df), start.date())
    return df


@test
def test_output(output, *args) -> None:
    assert output is not None, 'The output is undefined'
    assert list(output.columns) == CHARGE_COLUMNS, 'Unexpected charge columns'
    assert output['id'].is_unique, 'Duplicate charge ids'


@test
def test_amounts_and_refunds(output, *args) -> None:
    assert (output['amount'] >= 0).all(), 'Negative charge amount'
    assert (output['amount_refunded'] <= output['amount']).all(), 'Refunded more than charged'
    assert output['created'].notna().all(), 'Charge without creation time'
