import pandas as pd

from analytics_hub.utils.dates import run_date
from analytics_hub.utils.logging_helpers import get_block_logger

if 'transformer' not in globals():
    from mage_ai.data_preparation.decorators import transformer
if 'test' not in globals():
    from mage_ai.data_preparation.decorators import test

logger = get_block_logger('transform_combine_region_totals')

EXPECTED_REGIONS = {'NA', 'LATAM', 'EMEA', 'APAC'}
KPI_COLUMNS = ['orders', 'customers', 'gross_revenue_usd', 'net_revenue_usd']
MONEY_COLUMNS = ['gross_revenue_usd', 'net_revenue_usd', 'avg_order_value_usd']


def regional_frame(region_results: list[dict]) -> pd.DataFrame:
    """The reduced child outputs as a frame, one row per region, KPI columns filled."""
    df = pd.DataFrame(region_results)
    if df.empty:
        return pd.DataFrame(columns=['region', *KPI_COLUMNS])
    df = df.drop_duplicates(subset='region', keep='last')
    df[KPI_COLUMNS] = df[KPI_COLUMNS].fillna(0)
    return df.sort_values('region').reset_index(drop=True)


def add_shares(df: pd.DataFrame) -> pd.DataFrame:
    """Each region's share of the company's net revenue and its average order value."""
    company_net = df['net_revenue_usd'].sum()
    df['net_revenue_share'] = (df['net_revenue_usd'] / company_net).round(4) if company_net else 0.0
    df['avg_order_value_usd'] = (df['net_revenue_usd'] / df['orders'].where(df['orders'] > 0)).round(2)
    return df


def round_money(df: pd.DataFrame) -> pd.DataFrame:
    """Cents precision for every money column, counts as integers."""
    df[MONEY_COLUMNS] = df[MONEY_COLUMNS].astype(float).round(2)
    df[['orders', 'customers']] = df[['orders', 'customers']].astype('int64')
    return df


@transformer
def transform_combine_region_totals(region_results: list[dict], *args, **kwargs) -> pd.DataFrame:
    """Collect the per-region KPIs (reduce_output of the dynamic child) into one table.

    Adds a company-wide TOTAL row and the report date, so the exporters write one
    self-contained daily snapshot.
    """
    df = add_shares(regional_frame(region_results))
    missing = EXPECTED_REGIONS - set(df['region'])
    if missing:
        # A region with no orders at all is unusual enough to say so, but not an error.
        logger.warning('No orders today for regions %s', sorted(missing))

    total = df.drop(columns=['region']).sum(numeric_only=True)
    total['region'] = 'TOTAL'
    total['avg_order_value_usd'] = round(total['net_revenue_usd'] / total['orders'], 2) if total['orders'] else None
    df = pd.concat([df, total.to_frame().T], ignore_index=True)
    df = round_money(df)
    df['report_date'] = run_date(kwargs)
    logger.info('Net revenue %.2f USD across %d regions',
                float(total['net_revenue_usd']), len(region_results))
    return df


@test
def test_total_row(output, *args) -> None:
    assert (output['region'] == 'TOTAL').sum() == 1, 'Exactly one TOTAL row'


@test
def test_no_negative_revenue(output, *args) -> None:
    assert (output['gross_revenue_usd'] >= 0).all(), 'Negative gross revenue'


@test
def test_total_matches_regions(output, *args) -> None:
    regions = output[output['region'] != 'TOTAL']
    total = output[output['region'] == 'TOTAL'].iloc[0]
    assert abs(regions['net_revenue_usd'].sum() - total['net_revenue_usd']) < 0.01, 'TOTAL is not the sum'
