import pandas as pd

from analytics_hub.utils.logging_helpers import get_block_logger, log_frame

if 'transformer' not in globals():
    from mage_ai.data_preparation.decorators import transformer
if 'test' not in globals():
    from mage_ai.data_preparation.decorators import test

logger = get_block_logger('transform_standardize_orders')

REGION_ALIASES = {
    'US': 'NA', 'CA': 'NA', 'MX': 'LATAM', 'BR': 'LATAM', 'AR': 'LATAM',
    'GB': 'EMEA', 'DE': 'EMEA', 'FR': 'EMEA', 'NL': 'EMEA', 'ZA': 'EMEA',
    'JP': 'APAC', 'AU': 'APAC', 'SG': 'APAC', 'IN': 'APAC',
}
REGIONS = ['NA', 'LATAM', 'EMEA', 'APAC', 'OTHER']
# Legacy storefronts wrote three-letter or lower-case country codes; map them before
# the region lookup so those orders do not all land in OTHER.
COUNTRY_FIXES = {'USA': 'US', 'UK': 'GB', 'GBR': 'GB', 'DEU': 'DE', 'FRA': 'FR', 'JPN': 'JP'}
CURRENCY_FIXES = {'US$': 'USD', 'EURO': 'EUR', 'STG': 'GBP'}
ZERO_DECIMAL_CURRENCIES = {'JPY', 'KRW', 'CLP', 'VND'}
# Column names differ between the two storefront databases that feed shop.orders.
COLUMN_RENAMES = {'total_cents': 'order_total_cents', 'country_code': 'region_code',
                  'charge_id': 'stripe_charge_id'}
OUTPUT_COLUMNS = ['order_id', 'customer_id', 'stripe_charge_id', 'order_total', 'currency',
                  'region', 'created_at']


def standardise_column_names(df: pd.DataFrame) -> pd.DataFrame:
    """snake_case names, then the storefront-specific renames."""
    df = df.rename(columns=lambda c: c.strip().lower().replace(' ', '_'))
    return df.rename(columns=COLUMN_RENAMES)


def region_of(country_codes: pd.Series) -> pd.Series:
    """Sales region of each ISO country code; unknown codes become OTHER."""
    codes = country_codes.fillna('').str.strip().str.upper().replace(COUNTRY_FIXES)
    return codes.map(REGION_ALIASES).fillna('OTHER')


def major_units(cents: pd.Series, currency: pd.Series) -> pd.Series:
    """Order totals in major units; zero-decimal currencies are stored unscaled."""
    divisor = currency.isin(ZERO_DECIMAL_CURRENCIES).map({True: 1, False: 100})
    return (cents / divisor).round(2)


@transformer
def transform_standardize_orders(orders: pd.DataFrame, *args, **kwargs) -> pd.DataFrame:
    """Map country codes to sales regions and cents to major units.

    Also normalises column names, currency spellings and timestamps (UTC), and drops
    orders without an id, which the storefront writes for abandoned carts.
    """
    df = standardise_column_names(orders.copy())
    without_id = df['order_id'].isna()
    if without_id.any():
        logger.info('Dropping %d orders without id (abandoned carts)', int(without_id.sum()))
        df = df[~without_id]

    df['currency'] = df['currency'].str.strip().str.upper().replace(CURRENCY_FIXES)
    df['region'] = region_of(df['region_code'])
    df['order_total'] = major_units(df['order_total_cents'], df['currency'])
    df['created_at'] = pd.to_datetime(df['created_at'], utc=True)

    other = (df['region'] == 'OTHER').sum()
    if other:
        logger.warning('%d orders have a country outside the region map', int(other))
    df = df[OUTPUT_COLUMNS].reset_index(drop=True)
    log_frame(logger, 'standardised orders', df)
    return df


@test
def test_regions(output, *args) -> None:
    assert output['region'].isin(REGIONS).all()


@test
def test_totals_and_timestamps(output, *args) -> None:
    assert (output['order_total'] >= 0).all(), 'Negative order total'
    assert output['created_at'].notna().all(), 'Order without a creation time'
    assert str(output['created_at'].dt.tz) == 'UTC', 'Timestamps must be UTC'
