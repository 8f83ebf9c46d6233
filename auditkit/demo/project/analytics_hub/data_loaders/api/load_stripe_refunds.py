import pandas as pd

from analytics_hub.utils.dates import previous_day_window
from analytics_hub.utils.logging_helpers import get_block_logger
from analytics_hub.utils.stripe_client import StripeClient

if 'data_loader' not in globals():
    from mage_ai.data_preparation.decorators import data_loader
if 'test' not in globals():
    from mage_ai.data_preparation.decorators import test

logger = get_block_logger('load_stripe_refunds')

REFUND_COLUMNS = ['id', 'charge', 'amount', 'currency', 'reason', 'status', 'created']
# Stripe's documented reasons; anything else is mapped to 'other' so downstream
# group-bys keep a closed set of values.
REFUND_REASONS = {'duplicate', 'fraudulent', 'requested_by_customer', 'expired_uncaptured_charge'}
COUNTED_STATUSES = {'succeeded', 'pending'}


def refunds_frame(rows: list[dict]) -> pd.DataFrame:
    """Refund objects as a frame with fixed columns and parsed timestamps."""
    df = pd.DataFrame(rows).reindex(columns=REFUND_COLUMNS)
    df['created'] = pd.to_datetime(df['created'], unit='s', utc=True)
    df['amount'] = pd.to_numeric(df['amount'], errors='coerce').fillna(0).astype('int64')
    df['currency'] = df['currency'].str.upper()
    df['reason'] = df['reason'].where(df['reason'].isin(REFUND_REASONS), 'other')
    return df


def keep_counted_refunds(df: pd.DataFrame) -> pd.DataFrame:
    """Drop failed and cancelled refunds: the money never left the account."""
    return df[df['status'].isin(COUNTED_STATUSES)].reset_index(drop=True)


def log_refund_mix(df: pd.DataFrame) -> None:
    """Count and amount per reason: a jump in 'fraudulent' is the first sign of an attack."""
    if df.empty:
        logger.info('No refunds yesterday')
        return
    mix = df.groupby('reason')['amount'].agg(['count', 'sum'])
    for reason, row in mix.iterrows():
        logger.info('Refunds %s: %d, %d minor units', reason, row['count'], row['sum'])


@data_loader
def load_stripe_refunds(*args, **kwargs) -> pd.DataFrame:
    """Load refunds created on the day before the run date.

    Refunds whose charge is missing (platform-level adjustments) are kept; the cleaning
    step ignores them when it nets refunds against charges.
    """
    start, end = previous_day_window(kwargs)
    client = StripeClient()
    try:
        rows = client.list_all('refunds', int(start.timestamp()), int(end.timestamp()))
    finally:
        client.close()
    df = keep_counted_refunds(refunds_frame(rows))
    df = df.drop_duplicates(subset='id').reset_index(drop=True)
    log_refund_mix(df)
    return df


@test
def test_output(output, *args) -> None:
    assert output is not None, 'The output is undefined'
    assert (output['amount'] >= 0).all(), 'Refund amounts must be positive'


@test
def test_refund_ids_unique(output, *args) -> None:
    assert output['id'].is_unique, 'Duplicate refund ids'
    assert output['reason'].isin(REFUND_REASONS | {'other'}).all(), 'Unmapped refund reason'
