import pandas as pd

from analytics_hub.utils.logging_helpers import get_block_logger

if 'transformer' not in globals():
    from mage_ai.data_preparation.decorators import transformer
if 'test' not in globals():
    from mage_ai.data_preparation.decorators import test

logger = get_block_logger('validate_file_schema')

MAX_NULL_SHARE = 0.05
KEY_COLUMNS = {'shipment': 'shipment_id', 'inventory': 'sku', 'returns': 'return_id'}
# Canonical columns and types per kind, after load_landing_file_chunked renamed them.
SCHEMAS = {
    'shipment': {'shipment_id': 'string', 'order_id': 'string', 'carrier': 'string',
                 'shipped_at': 'datetime', 'delivered_at': 'datetime', 'weight_kg': 'number',
                 'cost': 'number'},
    'inventory': {'sku': 'string', 'warehouse': 'string', 'on_hand': 'number',
                  'reserved': 'number', 'snapshot_at': 'datetime'},
    'returns': {'return_id': 'string', 'order_id': 'string', 'sku': 'string',
                'reason_code': 'string', 'received_at': 'datetime', 'refund_amount': 'number'},
}
# Columns that may legitimately be empty (a shipment not delivered yet).
NULLABLE = {'delivered_at', 'reason_code'}
NON_NEGATIVE = {'weight_kg', 'cost', 'on_hand', 'reserved', 'refund_amount'}


class FileRejected(ValueError):
    """A partner file that must not reach the lake; fails only its own child run."""


def coerce_types(df: pd.DataFrame, schema: dict[str, str], source: str) -> pd.DataFrame:
    """Cast each schema column; values that do not parse become NaN/NaT and are counted."""
    for column, kind in schema.items():
        before = df[column].notna().sum()
        if kind == 'datetime':
            df[column] = pd.to_datetime(df[column], errors='coerce', utc=True)
        elif kind == 'number':
            df[column] = pd.to_numeric(df[column], errors='coerce')
        else:
            df[column] = df[column].astype('string').str.strip()
        lost = before - df[column].notna().sum()
        if lost:
            logger.warning('%s: %d values of %s did not parse as %s', source, lost, column, kind)
    return df


def schema_problems(df: pd.DataFrame, kind: str) -> list[str]:
    """Every problem found in one file, so the partner gets one complete answer."""
    schema, key = SCHEMAS[kind], KEY_COLUMNS[kind]
    problems = [f'missing column {c}' for c in schema if c not in df.columns]
    if problems:
        return problems
    if df[key].isna().any():
        problems.append(f'null {key}')
    if kind != 'inventory' and df[key].duplicated().any():
        problems.append(f'duplicate {key}')
    null_share = df[[c for c in schema if c not in NULLABLE]].isna().mean().max()
    if null_share > MAX_NULL_SHARE:
        problems.append(f'{null_share:.0%} empty values')
    for column in NON_NEGATIVE & set(schema):
        if (df[column] < 0).any():
            problems.append(f'negative {column}')
    return problems


@transformer
def validate_file_schema(df: pd.DataFrame, *args, **kwargs) -> pd.DataFrame:
    """Reject a file whose key column has nulls or duplicates, or too many empty values.

    Columns are cast to the kind's schema first; every problem of the file is reported
    in one error. Raising here fails only this file's child run; the other files still load.
    """
    source = df['source_key'].iloc[0]
    kind = df['kind'].iloc[0]
    if kind not in SCHEMAS:
        raise FileRejected(f'{source}: unknown file kind {kind!r}')
    present = {c: t for c, t in SCHEMAS[kind].items() if c in df.columns}
    df = coerce_types(df, present, source)
    problems = schema_problems(df, kind)
    if problems:
        raise FileRejected(f'{source}: ' + '; '.join(problems))
    extra = sorted(set(df.columns) - set(SCHEMAS[kind]) - {'kind', 'source_key'})
    if extra:
        logger.info('%s: dropping unexpected columns %s', source, extra)
    logger.info('%s passed validation (%d rows)', source, len(df))
    return df[[*SCHEMAS[kind], 'kind', 'source_key']]


@test
def test_output(output, *args) -> None:
    assert output is not None and len(output) > 0, 'Empty file passed validation'


@test
def test_keys_present(output, *args) -> None:
    key = KEY_COLUMNS[output['kind'].iloc[0]]
    assert output[key].notna().all(), f'Validated file has null {key}'
    assert output['source_key'].nunique() == 1, 'One child run validates one file'
