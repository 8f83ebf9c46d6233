import pandas as pd

from analytics_hub.utils.logging_helpers import get_block_logger, log_frame

if 'transformer' not in globals():
    from mage_ai.data_preparation.decorators import transformer
if 'test' not in globals():
    from mage_ai.data_preparation.decorators import test

logger = get_block_logger('transform_join_orders_charges')

AMOUNT_COLUMNS = ['order_total', 'gross_amount', 'net_amount']
STRIPE_AMOUNTS = ['gross_amount', 'refunded_amount', 'net_amount']
# Rates older than this (in days) mean the FX feed is broken, not just a weekend gap.
MAX_RATE_AGE_DAYS = 4
# An order and its charge should agree to the cent; larger gaps are partial captures or
# manual adjustments that finance wants to see in the logs.
AMOUNT_TOLERANCE = 0.01


def fx_lookup(fx: pd.DataFrame) -> dict[str, float]:
    """Currency -> rate to USD, refusing stale or non-positive rates."""
    if 'rate_age_days' in fx.columns:
        stale = fx[fx['rate_age_days'] > MAX_RATE_AGE_DAYS]
        if not stale.empty:
            raise ValueError(f'Stale FX rates for: {sorted(stale["currency"])}')
    if (fx['rate_to_usd'] <= 0).any():
        raise ValueError('FX feed holds non-positive rates')
    rates = fx.set_index('currency')['rate_to_usd'].astype(float).to_dict()
    rates['USD'] = 1.0
    return rates


def to_usd(df: pd.DataFrame, fx: pd.DataFrame, amount_columns: list[str]) -> pd.DataFrame:
    """Convert the given amount columns to USD with the day's reference rates."""
    rates = fx_lookup(fx)
    missing = sorted(set(df['currency']) - set(rates))
    if missing:
        raise ValueError(f'No FX rate for currencies: {missing}')
    factor = df['currency'].map(rates)
    for column in amount_columns:
        df[f'{column}_usd'] = (df[column] * factor).round(2)
    df['fx_rate_to_usd'] = factor
    return df


def currency_mismatches(joined: pd.DataFrame) -> pd.Series:
    """Orders charged in another currency than the order was placed in."""
    charged = joined['currency_charge'].notna()
    return charged & (joined['currency_charge'] != joined['currency'])


def amount_mismatches(joined: pd.DataFrame) -> pd.Series:
    """Orders whose Stripe gross amount differs from the order total."""
    charged = joined['id'].notna()
    gap = (joined['gross_amount'] - joined['order_total']).abs()
    return charged & (gap > AMOUNT_TOLERANCE)


@transformer
def transform_join_orders_charges(charges: pd.DataFrame, orders: pd.DataFrame,
                                  fx_rates: pd.DataFrame, *args, **kwargs) -> pd.DataFrame:
    """Join shop orders to their Stripe charge and express money in USD.

    Orders without a charge (invoiced B2B orders) are kept with zero Stripe amounts so
    the regional totals still count them. Currency and amount disagreements between an
    order and its charge are logged and flagged in ``needs_review``.
    """
    joined = orders.merge(
        charges, left_on='stripe_charge_id', right_on='id', how='left',
        suffixes=('', '_charge'), validate='one_to_one',
    )
    for column in STRIPE_AMOUNTS:
        joined[column] = joined[column].fillna(0.0)

    wrong_currency = currency_mismatches(joined)
    wrong_amount = amount_mismatches(joined)
    joined['needs_review'] = wrong_currency | wrong_amount
    if wrong_currency.any():
        logger.warning('%d orders charged in a different currency', int(wrong_currency.sum()))
    if wrong_amount.any():
        logger.warning('%d orders differ from their charge by more than %.2f',
                       int(wrong_amount.sum()), AMOUNT_TOLERANCE)

    joined = to_usd(joined, fx_rates, AMOUNT_COLUMNS)
    unmatched = joined['id'].isna().sum()
    if unmatched:
        logger.warning('%d orders have no Stripe charge', unmatched)
    log_frame(logger, 'orders joined to charges', joined)
    return joined


@test
def test_no_rows_lost(output, *args) -> None:
    assert output['order_id'].is_unique, 'The join duplicated orders'


@test
def test_usd_amounts_present(output, *args) -> None:
    for column in AMOUNT_COLUMNS:
        assert output[f'{column}_usd'].notna().all(), f'{column}_usd has gaps after FX conversion'
    assert (output['net_amount_usd'] <= output['gross_amount_usd'] + AMOUNT_TOLERANCE).all()
