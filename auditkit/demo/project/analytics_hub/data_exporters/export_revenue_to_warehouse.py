import pandas as pd

from analytics_hub.utils.logging_helpers import get_block_logger, log_duration
from analytics_hub.utils.warehouse import snowflake

if 'data_exporter' not in globals():
    from mage_ai.data_preparation.decorators import data_exporter

logger = get_block_logger('export_revenue_to_warehouse')

TABLE = 'DAILY_REGION_REVENUE'
ANOMALY_TABLE = 'DAILY_REFUND_ANOMALIES'
DATABASE = 'ANALYTICS'
SCHEMA = 'SALES'
# Snowflake's MERGE through the Mage exporter slows down sharply above ~10k rows per
# statement; the anomaly list is capped upstream but the revenue table may grow with
# new regions, so both go through the same batching.
BATCH_ROWS = 5000

REVENUE_COLUMNS = ['report_date', 'region', 'orders', 'customers', 'gross_revenue_usd',
                   'net_revenue_usd', 'net_revenue_share', 'avg_order_value_usd']
ANOMALY_COLUMNS = ['report_date', 'customer_id', 'gross_amount_usd', 'net_amount_usd',
                   'orders', 'refunded_orders', 'refund_share', 'anomaly_score']


def for_snowflake(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Keep the agreed columns, in order, with upper-case names as Snowflake stores them."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f'Cannot export: columns {missing} are missing')
    out = frame[columns].copy()
    out['report_date'] = pd.to_datetime(out['report_date']).dt.date
    out.columns = [c.upper() for c in out.columns]
    return out


def batches(frame: pd.DataFrame, size: int = BATCH_ROWS):
    """Consecutive row slices of at most ``size`` rows."""
    for start in range(0, len(frame), size):
        yield frame.iloc[start:start + size]


def check_single_day(totals: pd.DataFrame) -> None:
    """The upsert key assumes one report date per run; refuse mixed snapshots."""
    days = totals['report_date'].nunique()
    if days != 1:
        raise ValueError(f'Expected one report_date in the revenue snapshot, got {days}')


@data_exporter
def export_revenue_to_warehouse(totals: pd.DataFrame, anomalies: pd.DataFrame, *args, **kwargs) -> None:
    """Upsert the daily regional revenue snapshot and the refund anomalies into Snowflake.

    Keyed on (report_date, region) and (report_date, customer_id), so re-running a day
    replaces that day's rows instead of duplicating them.
    """
    check_single_day(totals)
    profile = kwargs.get('io_profile', 'default')
    anomalies = anomalies.assign(report_date=totals['report_date'].iloc[0])
    plan = (
        (for_snowflake(totals, REVENUE_COLUMNS), TABLE, 'REGION'),
        (for_snowflake(anomalies, ANOMALY_COLUMNS), ANOMALY_TABLE, 'CUSTOMER_ID'),
    )
    with snowflake(profile) as loader:
        for frame, table, key in plan:
            if frame.empty:
                logger.info('Nothing to upsert into %s.%s', SCHEMA, table)
                continue
            with log_duration(logger, f'upsert {table}'):
                for batch in batches(frame):
                    loader.export(
                        batch,
                        table_name=table,
                        database=DATABASE,
                        schema=SCHEMA,
                        if_exists='append',
                        unique_conflict_method='UPDATE',
                        unique_constraints=['REPORT_DATE', key],
                    )
            logger.info('Upserted %d rows into %s.%s', len(frame), SCHEMA, table)
