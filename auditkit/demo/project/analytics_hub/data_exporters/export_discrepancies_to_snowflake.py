import pandas as pd

from analytics_hub.utils.logging_helpers import get_block_logger
from analytics_hub.utils.warehouse import snowflake

if 'data_exporter' not in globals():
    from mage_ai.data_preparation.decorators import data_exporter

logger = get_block_logger('export_discrepancies_to_snowflake')

TABLE = 'RECONCILIATION_BREAKS'
KEY_COLUMNS = ['period_start', 'account']
QUEUE_COLUMNS = ['period_start', 'account', 'account_name', 'source', 'gl_amount',
                 'source_amount', 'difference', 'times_tolerance', 'priority', 'direction']
PRIORITIES = {'P1', 'P2', 'P3'}
# Controllers pick up P1 breaks the same day; the owner of each source gets the rest.
OWNERS = {'bank': 'treasury', 'stripe': 'revenue_ops', 'paypal': 'revenue_ops',
          'subledger': 'accounting', 'schedule': 'accounting', 'tax': 'tax'}


def assign_owner(df: pd.DataFrame) -> pd.Series:
    """Team that must explain the break: controllers for P1, else the source's owner."""
    owner = df['source'].str.lower().map(OWNERS).fillna('accounting')
    return owner.where(df['priority'] != 'P1', 'controllers')


def require_numeric_amounts(df: pd.DataFrame) -> None:
    """Amounts must be numbers: the queue's Snowflake columns are NUMBER(18, 2)."""
    for column in ('gl_amount', 'source_amount', 'difference'):
        if not pd.api.types.is_numeric_dtype(df[column]):
            raise TypeError(f'{column} is {df[column].dtype}, expected a number')


def prepare_queue(df: pd.DataFrame) -> pd.DataFrame:
    """Queue rows: agreed columns, valid priorities, one row per (period, account)."""
    out = df.reindex(columns=QUEUE_COLUMNS).copy()
    require_numeric_amounts(out)
    bad = ~out['priority'].isin(PRIORITIES)
    if bad.any():
        raise ValueError(f'{int(bad.sum())} breaks have an unknown priority')
    duplicated = out.duplicated(subset=KEY_COLUMNS)
    if duplicated.any():
        logger.warning('Dropping %d duplicate breaks', int(duplicated.sum()))
        out = out[~duplicated]
    out['owner_team'] = assign_owner(out)
    out['review_status'] = 'open'
    return out.reset_index(drop=True)


@data_exporter
def export_discrepancies_to_snowflake(df: pd.DataFrame, *args, **kwargs) -> None:
    """Upsert open breaks into the review queue, keyed by (period_start, account).

    A rerun updates the amounts of a break that is already queued instead of adding a
    second row; ``review_status`` is reset to open because the numbers changed.
    """
    if df.empty:
        logger.info('No breaks this month')
        return
    queue = prepare_queue(df)
    with snowflake(kwargs.get('io_profile', 'default')) as loader:
        loader.export(
            queue,
            table_name=TABLE,
            database='ANALYTICS',
            schema='FINANCE',
            if_exists='append',
            unique_conflict_method='UPDATE',
            unique_constraints=KEY_COLUMNS,
        )
    per_priority = queue['priority'].value_counts().sort_index().to_dict()
    logger.info('%d breaks queued for review %s', len(queue), per_priority)
