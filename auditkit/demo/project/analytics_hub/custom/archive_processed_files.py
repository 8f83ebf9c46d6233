import boto3

from analytics_hub.utils.dates import run_date
from analytics_hub.utils.logging_helpers import get_block_logger

if 'custom' not in globals():
    from mage_ai.data_preparation.decorators import custom

logger = get_block_logger('archive_processed_files')

BUCKET = 'acme-ops-landing'
ARCHIVE_PREFIX = 'archive/'
# delete_objects takes at most 1000 keys per request.
DELETE_BATCH = 1000


def archive_key(key: str) -> str:
    """Where a landing file goes once processed (same path under archive/)."""
    return ARCHIVE_PREFIX + key


def copy_to_archive(s3, keys: list[str]) -> list[str]:
    """Copy each key to the archive; return the keys whose copy succeeded."""
    copied = []
    for key in keys:
        s3.copy_object(Bucket=BUCKET, Key=archive_key(key), CopySource={'Bucket': BUCKET, 'Key': key})
        copied.append(key)
    return copied


def delete_in_batches(s3, keys: list[str]) -> int:
    """Delete keys in DELETE_BATCH requests; return how many S3 confirmed."""
    deleted = 0
    for start in range(0, len(keys), DELETE_BATCH):
        batch = keys[start:start + DELETE_BATCH]
        response = s3.delete_objects(Bucket=BUCKET, Delete={'Objects': [{'Key': k} for k in batch]})
        for error in response.get('Errors', []):
            logger.error('Could not delete %s: %s', error.get('Key'), error.get('Code'))
        deleted += len(response.get('Deleted', []))
    return deleted


@custom
def archive_processed_files(*args, **kwargs) -> int:
    """Move the day's partner files to archive/ once they are in the lake.

    Files are copied first and deleted only after every copy succeeded, so a failure
    half-way leaves the originals in place and the next run can archive them again.
    """
    prefix = f'partners/{run_date(kwargs):%Y-%m-%d}/'
    s3 = boto3.client('s3')
    keys = []
    for page in s3.get_paginator('list_objects_v2').paginate(Bucket=BUCKET, Prefix=prefix):
        keys.extend(obj['Key'] for obj in page.get('Contents', []))
    if not keys:
        logger.info('Nothing to archive under %s', prefix)
        return 0
    copied = copy_to_archive(s3, keys)
    moved = delete_in_batches(s3, copied)
    logger.info('Archived %d of %d files from %s', moved, len(keys), prefix)
    return moved
