import pandas as pd

from analytics_hub.utils.logging_helpers import get_block_logger

if 'transformer' not in globals():
    from mage_ai.data_preparation.decorators import transformer
if 'test' not in globals():
    from mage_ai.data_preparation.decorators import test

logger = get_block_logger('transform_split_by_region')


@transformer
def transform_split_by_region(df: pd.DataFrame, *args, **kwargs):
    """Fan the day's orders out per sales region (dynamic block).

    Mage creates one run of each downstream block per item; the metadata names the
    child runs after the region so their logs are easy to find.
    """
    frames, metadata = [], []
    for region, part in df.groupby('region', sort=True):
        frames.append(part.reset_index(drop=True))
        metadata.append({'block_uuid': f'region_{region.lower()}'})
    logger.info('Fanning out %d regions', len(frames))
    return [frames, metadata]


@test
def test_every_row_assigned(output, *args) -> None:
    frames, metadata = output
    assert len(frames) == len(metadata), 'One metadata entry per region'
