import boto3

from analytics_hub.utils.dates import run_date
from analytics_hub.utils.logging_helpers import get_block_logger

if 'data_loader' not in globals():
    from mage_ai.data_preparation.decorators import data_loader
if 'test' not in globals():
    from mage_ai.data_preparation.decorators import test

logger = get_block_logger('list_landing_files')

BUCKET = 'acme-ops-landing'
KNOWN_PARTNERS = {'northwind', 'contoso', 'fabrikam', 'tailspin', 'litware'}
# Partners upload a zero-byte "<name>.csv.done" marker after the data file; a file
# without its marker may still be uploading and is left for the next run.
DONE_SUFFIX = '.done'
# Mage starts one child run per item; past this many the scheduler queue backs up and
# the SLA is missed, so the rest waits for the next run (files are archived when done).
MAX_FILES_PER_RUN = 400


def partner_of(key: str) -> str:
    """Partner name from 'partners/<day>/<partner>_<anything>.csv'."""
    return key.rsplit('/', 1)[-1].split('_', 1)[0].lower()


def child_uuid(key: str) -> str:
    """Name of the child run: the file name without extension, safe for Mage uuids."""
    name = key.rsplit('/', 1)[-1].removesuffix('.csv')
    return ''.join(ch if ch.isalnum() or ch in '-_' else '_' for ch in name)


def list_objects(client, prefix: str) -> list[dict]:
    """Every object under ``prefix`` (list_objects_v2 returns at most 1000 per page)."""
    objects = []
    for page in client.get_paginator('list_objects_v2').paginate(Bucket=BUCKET, Prefix=prefix):
        objects.extend(page.get('Contents', []))
    return objects


def ready_files(objects: list[dict]) -> list[str]:
    """CSV keys that have a done marker, are not empty and come from a known partner."""
    keys = {obj['Key']: obj['Size'] for obj in objects}
    ready = []
    for key, size in sorted(keys.items()):
        if not key.endswith('.csv'):
            continue
        if key + DONE_SUFFIX not in keys:
            logger.info('Skipping %s: upload not finished (no marker)', key)
        elif size == 0:
            logger.warning('Skipping %s: empty file', key)
        elif partner_of(key) not in KNOWN_PARTNERS:
            logger.warning('Skipping %s: unknown partner %r', key, partner_of(key))
        else:
            ready.append(key)
    return ready


@data_loader
def list_landing_files(*args, **kwargs):
    """List the day's partner files (dynamic block: one child run per file).

    Returns [keys, metadata] as Mage's dynamic blocks expect; each child run is named
    after the file so a failed file is easy to spot and retry on its own. Only files
    whose upload finished are listed, at most MAX_FILES_PER_RUN of them.
    """
    prefix = f'partners/{run_date(kwargs):%Y-%m-%d}/'
    keys = ready_files(list_objects(boto3.client('s3'), prefix))
    if len(keys) > MAX_FILES_PER_RUN:
        logger.warning('%d files ready; processing the first %d', len(keys), MAX_FILES_PER_RUN)
        keys = keys[:MAX_FILES_PER_RUN]
    logger.info('%d files under s3://%s/%s', len(keys), BUCKET, prefix)
    metadata = [{'block_uuid': child_uuid(key)} for key in keys]
    return [keys, metadata]


@test
def test_output(output, *args) -> None:
    keys, metadata = output
    assert len(keys) == len(metadata)


@test
def test_child_names_unique(output, *args) -> None:
    keys, metadata = output
    uuids = [m['block_uuid'] for m in metadata]
    assert len(set(uuids)) == len(uuids), 'Two files would share a child run name'
    assert all(k.endswith('.csv') for k in keys), 'Only CSV files are fanned out'
