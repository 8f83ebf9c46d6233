import json
import os
from pathlib import Path

import pandas as pd
from mage_ai.io.s3 import S3

from analytics_hub.utils.logging_helpers import get_block_logger, log_duration
from analytics_hub.utils.warehouse import config_loader

if 'data_loader' not in globals():
    from mage_ai.data_preparation.decorators import data_loader
if 'test' not in globals():
    from mage_ai.data_preparation.decorators import test

logger = get_block_logger('load_landing_file_chunked')

BUCKET = 'acme-ops-landing'
CHUNK_ROWS = 50_000
# Checkpoints live next to Mage's variables so a retried child run resumes where it
# stopped instead of re-reading a multi-GB partner file from the start.
CHECKPOINT_DIR = Path(os.getenv('MAGE_DATA_DIR', '/home/src/mage_data')) / 'checkpoints' / 'ops_file_ingest'

# Partner file layouts: source column -> canonical column, per partner prefix.
PARTNER_LAYOUTS = {
    'northwind': {
        'kind': 'shipment',
        'columns': {
            'shipment_id': 'shipment_id',
            'order_id': 'order_id',
            'carrier': 'carrier',
            'shipped_at': 'shipped_at',
            'delivered_at': 'delivered_at',
            'weight_kg': 'weight_kg',
            'cost': 'cost',
        },
    },
    'contoso': {
        'kind': 'inventory',
        'columns': {
            'sku': 'sku',
            'warehouse': 'warehouse',
            'on_hand': 'on_hand',
            'reserved': 'reserved',
            'snapshot_at': 'snapshot_at',
        },
    },
    'fabrikam': {
        'kind': 'returns',
        'columns': {
            'return_id': 'return_id',
            'order_id': 'order_id',
            'sku': 'sku',
            'reason_code': 'reason_code',
            'received_at': 'received_at',
            'refund_amount': 'refund_amount',
        },
    },
    'tailspin': {
        'kind': 'shipment',
        'columns': {
            'tracking_no': 'shipment_id',
            'order_ref': 'order_id',
            'carrier_code': 'carrier',
            'ship_date': 'shipped_at',
            'delivery_date': 'delivered_at',
            'kg': 'weight_kg',
            'charge': 'cost',
        },
    },
    'litware': {
        'kind': 'inventory',
        'columns': {
            'item_code': 'sku',
            'site': 'warehouse',
            'qty_on_hand': 'on_hand',
            'qty_allocated': 'reserved',
            'as_of': 'snapshot_at',
        },
    },
    'adventure_works': {
        'kind': 'returns',
        'columns': {
            'rma': 'return_id',
            'order_ref': 'order_id',
            'item_code': 'sku',
            'reason': 'reason_code',
            'received': 'received_at',
            'credit': 'refund_amount',
        },
    },
    'wingtip': {
        'kind': 'shipment',
        'columns': {
            'id': 'shipment_id',
            'order': 'order_id',
            'carrier': 'carrier',
            'shipped': 'shipped_at',
            'delivered': 'delivered_at',
            'weight': 'weight_kg',
            'amount': 'cost',
        },
    },
    'proseware': {
        'kind': 'inventory',
        'columns': {
            'sku': 'sku',
            'dc': 'warehouse',
            'available': 'on_hand',
            'committed': 'reserved',
            'ts': 'snapshot_at',
        },
    },
    'woodgrove': {
        'kind': 'returns',
        'columns': {
            'return_no': 'return_id',
            'order_no': 'order_id',
            'sku': 'sku',
            'reason': 'reason_code',
            'received_on': 'received_at',
            'refund': 'refund_amount',
        },
    },
    'lucerne': {
        'kind': 'shipment',
        'columns': {
            'consignment': 'shipment_id',
            'order_no': 'order_id',
            'courier': 'carrier',
            'dispatched': 'shipped_at',
            'delivered': 'delivered_at',
            'mass_kg': 'weight_kg',
            'fee': 'cost',
        },
    },
    'margie': {
        'kind': 'inventory',
        'columns': {
            'article': 'sku',
            'location': 'warehouse',
            'stock': 'on_hand',
            'held': 'reserved',
            'counted_at': 'snapshot_at',
        },
    },
    'coho': {
        'kind': 'returns',
        'columns': {
            'case_id': 'return_id',
            'po': 'order_id',
            'article': 'sku',
            'code': 'reason_code',
            'logged_at': 'received_at',
            'credit_note': 'refund_amount',
        },
    },
}

CANONICAL_DTYPES = {
    'weight_kg': 'float32',
    'cost': 'float64',
    'on_hand': 'int32',
    'reserved': 'int32',
    'refund_amount': 'float64',
}
DATE_COLUMNS = ('shipped_at', 'delivered_at', 'snapshot_at', 'received_at')


def partner_of(key: str) -> str:
    """Partner name from a key like partners/2024-06-01/northwind_shipments_001.csv."""
    stem = key.rsplit('/', 1)[-1]
    for partner in sorted(PARTNER_LAYOUTS, key=len, reverse=True):
        if stem.startswith(partner):
            return partner
    raise ValueError(f'Unknown partner file: {stem}')


def checkpoint_path(key: str) -> Path:
    return CHECKPOINT_DIR / (key.replace('/', '__') + '.json')


def read_checkpoint(key: str) -> dict:
    """Chunks already written for this file (empty when starting fresh)."""
    path = checkpoint_path(key)
    if path.exists():
        return json.loads(path.read_text())
    return {'chunks_done': 0, 'parts': []}


def write_checkpoint(key: str, state: dict) -> None:
    path = checkpoint_path(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix('.tmp')
    tmp.write_text(json.dumps(state))
    tmp.replace(path)  # atomic, so a crash never leaves a half-written checkpoint


def clear_checkpoint(key: str) -> None:
    checkpoint_path(key).unlink(missing_ok=True)


def to_canonical(chunk: pd.DataFrame, partner: str) -> pd.DataFrame:
    """Rename partner columns to the canonical layout and fix types."""
    layout = PARTNER_LAYOUTS[partner]
    missing = set(layout['columns']) - set(chunk.columns)
    if missing:
        raise ValueError(f'{partner}: missing columns {sorted(missing)}')
    chunk = chunk[list(layout['columns'])].rename(columns=layout['columns'])
    for column, dtype in CANONICAL_DTYPES.items():
        if column in chunk.columns:
            chunk[column] = pd.to_numeric(chunk[column], errors='coerce').astype(dtype)
    for column in DATE_COLUMNS:
        if column in chunk.columns:
            chunk[column] = pd.to_datetime(chunk[column], errors='coerce', utc=True)
    chunk['partner'] = partner
    chunk['kind'] = layout['kind']
    return chunk


@data_loader
def load_landing_file_chunked(key: str, *args, **kwargs) -> pd.DataFrame:
    """Read one partner CSV in chunks of CHUNK_ROWS, checkpointing after each chunk.

    Args:
        key: S3 key of the file (one dynamic child run per file).

    Returns:
        The file in the canonical layout of its kind, with ``partner``, ``kind`` and
        ``source_key`` columns.
    """
    partner = partner_of(key)
    state = read_checkpoint(key)
    s3 = S3.with_config(config_loader(kwargs.get('io_profile', 'default')))
    staging = CHECKPOINT_DIR / 'parts'
    staging.mkdir(parents=True, exist_ok=True)

    with log_duration(logger, f'read {key}'):
        body = s3.client.get_object(Bucket=BUCKET, Key=key)['Body']
        reader = pd.read_csv(body, chunksize=CHUNK_ROWS, dtype=str)
        for index, chunk in enumerate(reader):
            if index < state['chunks_done']:
                continue  # written by an earlier attempt
            part = staging / f"{key.replace('/', '__')}.{index:05d}.parquet"
            to_canonical(chunk, partner).to_parquet(part, index=False)
            state['chunks_done'] = index + 1
            state['parts'].append(str(part))
            write_checkpoint(key, state)

    df = pd.concat((pd.read_parquet(p) for p in state['parts']), ignore_index=True)
    df['source_key'] = key
    clear_checkpoint(key)
    logger.info('%s: %d rows in %d chunks', key, len(df), state['chunks_done'])
    return df


@test
def test_canonical_columns(output, *args) -> None:
    kind = output['kind'].iloc[0]
    expected = {
        'shipment': {'shipment_id', 'order_id', 'carrier'},
        'inventory': {'sku', 'warehouse', 'on_hand'},
        'returns': {'return_id', 'order_id', 'sku'},
    }[kind]
    assert expected <= set(output.columns), f'{kind} file is missing canonical columns'
