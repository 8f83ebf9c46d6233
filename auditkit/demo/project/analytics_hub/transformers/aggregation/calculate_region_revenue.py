import pandas as pd

if 'transformer' not in globals():
    from mage_ai.data_preparation.decorators import transformer
if 'test' not in globals():
    from mage_ai.data_preparation.decorators import test


@transformer
def calculate_region_revenue(region_orders: pd.DataFrame, *args, **kwargs) -> dict:
    """Revenue KPIs of one region (runs once per region; outputs are reduced)."""
    return {
        'region': region_orders['region'].iloc[0],
        'orders': int(region_orders['order_id'].nunique()),
        'customers': int(region_orders['customer_id'].nunique()),
        'gross_revenue_usd': float(region_orders['gross_amount_usd'].sum()),
        'net_revenue_usd': float(region_orders['net_amount_usd'].sum()),
    }


@test
def test_revenue_consistent(output, *args) -> None:
    assert output['net_revenue_usd'] <= output['gross_revenue_usd'] + 0.01
