import pandas as pd

from analytics_hub.utils.logging_helpers import get_block_logger
from analytics_hub.utils.warehouse import snowflake

if 'data_exporter' not in globals():
    from mage_ai.data_preparation.decorators import data_exporter

logger = get_block_logger(__name__)

TABLE = 'CHANGE_ME'
SCHEMA = 'CHANGE_ME'
KEY_COLUMNS = ['id']


@data_exporter
def export_upsert(df: pd.DataFrame, *args, **kwargs) -> None:
    """Upsert ``df`` into SCHEMA.TABLE keyed on KEY_COLUMNS (re-runs update, never duplicate)."""
    with snowflake(kwargs.get('io_profile', 'default')) as loader:
        loader.export(df, table_name=TABLE, schema=SCHEMA, if_exists='append',
                      unique_conflict_method='UPDATE', unique_constraints=KEY_COLUMNS)
    logger.info('Upserted %d rows into %s.%s', len(df), SCHEMA, TABLE)
