from datetime import datetime

import pandas as pd

from analytics_hub.utils.warehouse import snowflake

if 'data_exporter' not in globals():
    from mage_ai.data_preparation.decorators import data_exporter


@data_exporter
def export_audit_trail(df: pd.DataFrame, *args, **kwargs) -> None:
    """Append this run's results to the audit trail (kept for SOX evidence)."""
    df = df.assign(run_at=datetime.utcnow(), run_id=kwargs.get('pipeline_run_id'))
    with snowflake(kwargs.get('io_profile', 'default')) as loader:
        loader.export(df, table_name='RECONCILIATION_AUDIT_TRAIL', database='ANALYTICS',
                      schema='FINANCE', if_exists='append')
