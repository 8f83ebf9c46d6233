import pandas as pd

from analytics_hub.utils.logging_helpers import get_block_logger
from analytics_hub.utils.warehouse import snowflake

if 'data_exporter' not in globals():
    from mage_ai.data_preparation.decorators import data_exporter

logger = get_block_logger('export_reconciliation_report')

DATABASE = 'ANALYTICS'
SCHEMA = 'FINANCE'
REPORT_COLUMNS = ['period_start', 'account', 'account_name', 'source', 'gl_amount',
                  'source_amount', 'difference', 'tolerance', 'matched_lines',
                  'unmatched_gl_lines', 'unmatched_source_lines', 'status']
MONEY_COLUMNS = ['gl_amount', 'source_amount', 'difference', 'tolerance']
COUNT_COLUMNS = ['matched_lines', 'unmatched_gl_lines', 'unmatched_source_lines']
# Order of the rows in the controllers' close checklist: problems first.
STATUS_ORDER = {'no_source_data': 0, 'break': 1, 'within_tolerance': 2, 'matched': 3}


def report_table_name(period_start) -> str:
    """One table per closed month, e.g. RECONCILIATION_2024_05."""
    return f'RECONCILIATION_{pd.Timestamp(period_start):%Y_%m}'


def shape_report(df: pd.DataFrame) -> pd.DataFrame:
    """Fixed columns and types, sorted for the checklist, upper-case names for Snowflake."""
    out = df.reindex(columns=REPORT_COLUMNS).copy()
    out[MONEY_COLUMNS] = out[MONEY_COLUMNS].astype(float).round(2)
    out[COUNT_COLUMNS] = out[COUNT_COLUMNS].fillna(0).astype('int64')
    out['period_start'] = pd.to_datetime(out['period_start']).dt.date
    out = out.sort_values(['status', 'account'], key=lambda s: s.map(STATUS_ORDER) if s.name == 'status' else s)
    out.columns = [c.upper() for c in out.columns]
    return out.reset_index(drop=True)


def check_one_period(df: pd.DataFrame) -> pd.Timestamp:
    """The single period of the results; a mixed frame would overwrite the wrong month."""
    periods = df['period_start'].dropna().unique()
    if len(periods) != 1:
        raise ValueError(f'Expected results of one period, got {len(periods)}')
    return pd.Timestamp(periods[0])


def check_accounts_unique(df: pd.DataFrame) -> None:
    """One row per account; two rows would make the close checklist double-count."""
    repeated = df['account'][df['account'].duplicated()].unique().tolist()
    if repeated:
        raise ValueError(f'Accounts reported more than once: {sorted(repeated)}')


@data_exporter
def export_reconciliation_report(df: pd.DataFrame, *args, **kwargs) -> None:
    """Replace the month's reconciliation table; reruns overwrite, never duplicate.

    The table holds one row per account in close-checklist order. The counts per status
    are logged so the run log doubles as the close summary.
    """
    if df.empty:
        raise ValueError('No reconciliation results to export')
    period = check_one_period(df)
    check_accounts_unique(df)
    report = shape_report(df)
    table = report_table_name(period)
    with snowflake(kwargs.get('io_profile', 'default')) as loader:
        loader.export(
            report,
            table_name=table,
            database=DATABASE,
            schema=SCHEMA,
            if_exists='replace',
        )
    by_status = df['status'].value_counts().to_dict()
    logger.info('Wrote %d accounts to %s.%s.%s: %s', len(report), DATABASE, SCHEMA, table, by_status)
