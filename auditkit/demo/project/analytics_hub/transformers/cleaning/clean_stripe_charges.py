import pandas as pd

from analytics_hub.utils.logging_helpers import get_block_logger

if 'transformer' not in globals():
    from mage_ai.data_preparation.decorators import transformer
if 'test' not in globals():
    from mage_ai.data_preparation.decorators import test

logger = get_block_logger('clean_stripe_charges')

REQUIRED_CHARGE_COLUMNS = {'id', 'amount', 'currency', 'status', 'paid', 'customer', 'created'}
REQUIRED_REFUND_COLUMNS = {'charge', 'amount'}
# Stripe sends these currencies in major units already (no cents); dividing them by 100
# understated JPY revenue a hundredfold in the first week of the report.
ZERO_DECIMAL_CURRENCIES = {'BIF', 'CLP', 'DJF', 'GNF', 'JPY', 'KMF', 'KRW', 'MGA', 'PYG',
                           'RWF', 'UGX', 'VND', 'VUV', 'XAF', 'XOF', 'XPF'}
OUTPUT_COLUMNS = ['id', 'customer', 'currency', 'created', 'gross_amount',
                  'refunded_amount', 'net_amount']


def require_columns(df: pd.DataFrame, required: set[str], label: str) -> None:
    """Fail early, naming the missing columns, instead of a KeyError deep in a merge."""
    missing = sorted(required - set(df.columns))
    if missing:
        raise ValueError(f'{label} is missing columns {missing}')


def minor_unit_divisor(currency: pd.Series) -> pd.Series:
    """100 for ordinary currencies, 1 for Stripe's zero-decimal currencies."""
    return currency.isin(ZERO_DECIMAL_CURRENCIES).map({True: 1, False: 100})


def refunds_per_charge(refunds: pd.DataFrame) -> pd.DataFrame:
    """Total refunded minor units per charge id; refunds with no charge are ignored."""
    attached = refunds.dropna(subset=['charge'])
    if len(attached) < len(refunds):
        logger.info('Ignoring %d refunds without a charge', len(refunds) - len(attached))
    totals = attached.groupby('charge', as_index=False)['amount'].sum()
    return totals.rename(columns={'charge': 'id', 'amount': 'refunded_cents'})


@transformer
def clean_stripe_charges(charges: pd.DataFrame, refunds: pd.DataFrame, *args, **kwargs) -> pd.DataFrame:
    """Keep paid charges, net out refunds and convert cents to major units.

    Args:
        charges: output of api/load_stripe_charges.
        refunds: output of api/load_stripe_refunds.

    Returns:
        One row per paid charge with ``gross_amount``, ``refunded_amount`` and
        ``net_amount`` in major currency units.
    """
    require_columns(charges, REQUIRED_CHARGE_COLUMNS, 'charges')
    require_columns(refunds, REQUIRED_REFUND_COLUMNS, 'refunds')

    paid = charges[(charges['paid']) & (charges['status'] == 'succeeded')].copy()
    paid = paid.drop_duplicates(subset='id')
    paid = paid.merge(refunds_per_charge(refunds), on='id', how='left')
    paid['refunded_cents'] = paid['refunded_cents'].fillna(0)

    # A refund issued today for a charge from an earlier day can exceed today's amount
    # only through data errors; cap it so net revenue never goes negative silently.
    over_refunded = paid['refunded_cents'] > paid['amount']
    if over_refunded.any():
        logger.warning('%d charges refunded above their amount; capping', int(over_refunded.sum()))
        paid.loc[over_refunded, 'refunded_cents'] = paid.loc[over_refunded, 'amount']

    paid['currency'] = paid['currency'].str.upper()
    divisor = minor_unit_divisor(paid['currency'])
    paid['gross_amount'] = paid['amount'] / divisor
    paid['refunded_amount'] = paid['refunded_cents'] / divisor
    paid['net_amount'] = paid['gross_amount'] - paid['refunded_amount']

    dropped = len(charges) - len(paid)
    logger.info('Kept %d paid charges, dropped %d unpaid, failed or duplicate', len(paid), dropped)
    return paid[OUTPUT_COLUMNS].reset_index(drop=True)


@test
def test_net_not_negative(output, *args) -> None:
    assert (output['net_amount'] >= 0).all(), 'Refunds larger than the charge'


@test
def test_currency_codes(output, *args) -> None:
    assert output['currency'].str.len().eq(3).all(), 'Currency codes must be ISO 4217'


@test
def test_one_row_per_charge(output, *args) -> None:
    assert output['id'].is_unique, 'A charge appears twice after cleaning'
    assert list(output.columns) == OUTPUT_COLUMNS, 'Unexpected output columns'
