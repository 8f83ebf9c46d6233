import pandas as pd

from analytics_hub.utils.logging_helpers import get_block_logger

if 'transformer' not in globals():
    from mage_ai.data_preparation.decorators import transformer

logger = get_block_logger('transform_merge_file_batches')

# Partners re-send corrected files under a new name the same day; the later file wins.
# Keys per kind: what identifies one record across files.
DEDUP_KEYS = {
    'shipment': ['shipment_id'],
    'inventory': ['sku', 'warehouse'],
    'returns': ['return_id'],
}
# Column telling which version of a record is newer, per kind.
VERSION_COLUMNS = {'shipment': 'shipped_at', 'inventory': 'snapshot_at', 'returns': 'received_at'}


def group_by_kind(files: list[pd.DataFrame]) -> dict[str, list[pd.DataFrame]]:
    """The reduced per-file frames grouped by kind, skipping empty ones."""
    by_kind: dict[str, list[pd.DataFrame]] = {}
    for frame in files:
        if frame is None or frame.empty:
            continue
        by_kind.setdefault(frame['kind'].iloc[0], []).append(frame)
    return by_kind


def latest_records(frame: pd.DataFrame, kind: str) -> pd.DataFrame:
    """One row per record key, keeping the newest version (ties: the later file)."""
    keys = DEDUP_KEYS.get(kind)
    if not keys:
        return frame
    ordered = frame.sort_values([VERSION_COLUMNS[kind], 'source_key'], kind='stable')
    deduped = ordered.drop_duplicates(subset=keys, keep='last')
    dropped = len(frame) - len(deduped)
    if dropped:
        logger.info('%s: %d superseded rows dropped across files', kind, dropped)
    return deduped.reset_index(drop=True)


@transformer
def transform_merge_file_batches(files: list[pd.DataFrame], *args, **kwargs) -> dict[str, pd.DataFrame]:
    """Combine the validated files (reduced output of the per-file runs) by kind.

    Records sent in more than one file are kept once (see DEDUP_KEYS); the result maps
    each kind to one frame.
    """
    by_kind = group_by_kind(files)
    merged = {}
    for kind, frames in sorted(by_kind.items()):
        combined = pd.concat(frames, ignore_index=True)
        merged[kind] = latest_records(combined, kind)
    for kind, frame in merged.items():
        logger.info('%s: %d rows from %d files', kind, len(frame), len(by_kind[kind]))
    if not merged:
        logger.warning('No validated files to merge today')
    return merged
