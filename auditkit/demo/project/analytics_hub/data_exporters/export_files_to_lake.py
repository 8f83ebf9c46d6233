import pandas as pd
from mage_ai.io.s3 import S3

from analytics_hub.utils.dates import run_date
from analytics_hub.utils.logging_helpers import get_block_logger, log_duration
from analytics_hub.utils.warehouse import config_loader

if 'data_exporter' not in globals():
    from mage_ai.data_preparation.decorators import data_exporter

logger = get_block_logger('export_files_to_lake')

LAKE_BUCKET = 'acme-data-lake'
# Athena reads parquet parts fastest at 100-500 MB; ~250k rows of these narrow tables
# land near 120 MB, so bigger kinds are split into numbered parts.
ROWS_PER_PART = 250_000
# Lineage columns the lake keeps so an analyst can trace a row back to its partner file.
LINEAGE_COLUMNS = ['source_key']


def part_keys(kind: str, day, n_parts: int) -> list[str]:
    """Object keys of the day's partition: ops/<kind>/dt=<day>/part-000.parquet, ..."""
    return [f'ops/{kind}/dt={day:%Y-%m-%d}/part-{index:03d}.parquet' for index in range(n_parts)]


def split_parts(frame: pd.DataFrame, rows_per_part: int = ROWS_PER_PART) -> list[pd.DataFrame]:
    """Row slices of at most ``rows_per_part``; always at least one (possibly empty) part."""
    if frame.empty:
        return [frame]
    return [frame.iloc[start:start + rows_per_part] for start in range(0, len(frame), rows_per_part)]


def lake_frame(frame: pd.DataFrame, day) -> pd.DataFrame:
    """Drop the routing column, keep lineage and stamp the ingest date."""
    out = frame.drop(columns=['kind'], errors='ignore').copy()
    for column in LINEAGE_COLUMNS:
        if column not in out.columns:
            out[column] = None
    out['ingest_date'] = pd.Timestamp(day).date()
    return out


@data_exporter
def export_files_to_lake(merged: dict, *args, **kwargs) -> None:
    """Write each kind to its dt= partition; a rerun overwrites the same objects.

    Large kinds are split into ROWS_PER_PART parts. A rerun with fewer parts than the
    previous run would leave stale parts behind, so the part count is logged and the
    archive step only runs after this block succeeded.
    """
    s3 = S3.with_config(config_loader(kwargs.get('io_profile', 'default')))
    day = run_date(kwargs)
    written = 0
    for kind, frame in sorted(merged.items()):
        parts = split_parts(lake_frame(frame, day))
        with log_duration(logger, f'{kind} to lake'):
            for part, key in zip(parts, part_keys(kind, day, len(parts))):
                s3.export(part, LAKE_BUCKET, key)
        written += len(frame)
        logger.info('%s: %d rows in %d parts under s3://%s/ops/%s/dt=%s/',
                    kind, len(frame), len(parts), LAKE_BUCKET, kind, f'{day:%Y-%m-%d}')
    logger.info('Exported %d rows of %d kinds', written, len(merged))
