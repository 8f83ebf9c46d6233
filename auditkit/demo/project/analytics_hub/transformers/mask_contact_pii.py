import hashlib

import pandas as pd

if 'transformer' not in globals():
    from mage_ai.data_preparation.decorators import transformer

PII_COLUMNS = ('Email', 'Phone', 'MobilePhone')


@transformer
def mask_contact_pii(df: pd.DataFrame, *args, **kwargs) -> pd.DataFrame:
    """Replace contact emails and phone numbers with stable hashes before loading."""
    for column in PII_COLUMNS:
        if column in df.columns:
            df[column] = df[column].map(
                lambda v: hashlib.sha256(str(v).lower().encode()).hexdigest()[:20] if pd.notna(v) else None)
    return df
