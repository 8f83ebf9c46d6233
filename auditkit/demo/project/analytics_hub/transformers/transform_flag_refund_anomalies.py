import pandas as pd

from analytics_hub.utils.logging_helpers import get_block_logger

if 'transformer' not in globals():
    from mage_ai.data_preparation.decorators import transformer
if 'test' not in globals():
    from mage_ai.data_preparation.decorators import test

logger = get_block_logger('transform_flag_refund_anomalies')

REFUND_SHARE_ALERT = 0.35
# Tiny baskets produce 100% refund shares on a single returned item; only customers who
# spent at least this much (USD) on the day are worth a look from the revenue team.
MIN_GROSS_USD = 50.0
# A customer refunding on several orders in one day is a stronger signal than one large
# refund, so the ranking weighs the number of refunded orders in.
REFUNDED_ORDERS_WEIGHT = 0.05
MAX_FLAGGED = 200
REQUIRED_COLUMNS = {'customer_id', 'order_id', 'gross_amount_usd', 'net_amount_usd'}


def per_customer_totals(df: pd.DataFrame) -> pd.DataFrame:
    """Gross, net, order and refunded-order counts per customer for the day."""
    df = df.assign(refunded=df['net_amount_usd'] < df['gross_amount_usd'])
    grouped = df.groupby('customer_id', as_index=False).agg(
        gross_amount_usd=('gross_amount_usd', 'sum'),
        net_amount_usd=('net_amount_usd', 'sum'),
        orders=('order_id', 'nunique'),
        refunded_orders=('refunded', 'sum'),
    )
    return grouped


def refund_share(per_customer: pd.DataFrame) -> pd.Series:
    """Refunded share of gross spend; NaN for customers with no gross spend."""
    gross = per_customer['gross_amount_usd'].where(per_customer['gross_amount_usd'] > 0)
    return (1 - per_customer['net_amount_usd'] / gross).clip(lower=0, upper=1)


def rank_anomalies(flagged: pd.DataFrame) -> pd.DataFrame:
    """Order flagged customers by a score mixing refund share and refunded order count."""
    score = flagged['refund_share'] + REFUNDED_ORDERS_WEIGHT * flagged['refunded_orders']
    flagged = flagged.assign(anomaly_score=score.round(4))
    flagged = flagged.sort_values(['anomaly_score', 'gross_amount_usd'], ascending=False)
    return flagged.head(MAX_FLAGGED).reset_index(drop=True)


@transformer
def transform_flag_refund_anomalies(df: pd.DataFrame, *args, **kwargs) -> pd.DataFrame:
    """Customers whose refunds exceed REFUND_SHARE_ALERT of their gross spend that day.

    Guest orders (no customer id) are left out: they cannot be followed up. At most
    MAX_FLAGGED customers are returned, highest ``anomaly_score`` first.
    """
    missing = sorted(REQUIRED_COLUMNS - set(df.columns))
    if missing:
        raise ValueError(f'Joined orders lack columns {missing}')
    if df.empty:
        logger.info('No orders today; nothing to flag')
        return pd.DataFrame(columns=[*REQUIRED_COLUMNS, 'refund_share', 'anomaly_score'])
    known = df.dropna(subset=['customer_id'])
    per_customer = per_customer_totals(known)
    per_customer['refund_share'] = refund_share(per_customer)
    flagged = per_customer[(per_customer['refund_share'] > REFUND_SHARE_ALERT)
                           & (per_customer['gross_amount_usd'] >= MIN_GROSS_USD)]
    flagged = rank_anomalies(flagged)
    logger.info('Flagged %d of %d customers (share > %.0f%%, gross >= %.0f USD)',
                len(flagged), len(per_customer), REFUND_SHARE_ALERT * 100, MIN_GROSS_USD)
    return flagged


@test
def test_shares_are_fractions(output, *args) -> None:
    assert output['refund_share'].between(0, 1).all(), 'Refund share outside [0, 1]'


@test
def test_flagged_customers_unique(output, *args) -> None:
    assert output['customer_id'].is_unique, 'A customer is flagged twice'
    assert len(output) <= MAX_FLAGGED, 'More anomalies than the team can review'
