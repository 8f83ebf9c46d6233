import pandas as pd
from mage_ai.io.s3 import S3

from analytics_hub.utils.dates import run_date
from analytics_hub.utils.logging_helpers import get_block_logger
from analytics_hub.utils.warehouse import config_loader

if 'data_exporter' not in globals():
    from mage_ai.data_preparation.decorators import data_exporter

logger = get_block_logger('export_daily_summary_to_s3')

BUCKET = 'acme-analytics-exports'
PREFIX = 'revenue/daily_summary'
# Finance's spreadsheet import expects exactly these columns, rounded to cents.
SUMMARY_COLUMNS = ['report_date', 'region', 'orders', 'customers',
                   'gross_revenue_usd', 'net_revenue_usd']
MONEY_COLUMNS = ['gross_revenue_usd', 'net_revenue_usd']


def summary_object_key(day) -> str:
    """Hive-style partition key, one object per day (overwritten on rerun)."""
    return f'{PREFIX}/dt={day:%Y-%m-%d}/summary.parquet'


def shape_summary(df: pd.DataFrame) -> pd.DataFrame:
    """The published columns with money rounded and counts as integers."""
    out = df[SUMMARY_COLUMNS].copy()
    out[MONEY_COLUMNS] = out[MONEY_COLUMNS].astype(float).round(2)
    out[['orders', 'customers']] = out[['orders', 'customers']].astype('int64')
    out['report_date'] = pd.to_datetime(out['report_date']).dt.date
    return out


@data_exporter
def export_daily_summary_to_s3(df: pd.DataFrame, *args, **kwargs) -> None:
    """Write the day's summary as parquet, one object per day (overwritten on rerun)."""
    day = run_date(kwargs)
    if df.empty:
        raise ValueError(f'Empty revenue summary for {day}; refusing to overwrite the published file')
    summary = shape_summary(df)
    object_key = summary_object_key(day)
    S3.with_config(config_loader(kwargs.get('io_profile', 'default'))).export(
        summary, BUCKET, object_key,
    )
    logger.info('Wrote %d summary rows to s3://%s/%s', len(summary), BUCKET, object_key)
