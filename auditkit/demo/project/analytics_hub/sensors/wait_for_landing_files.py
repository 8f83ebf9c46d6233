from mage_ai.io.s3 import S3

from analytics_hub.utils.dates import run_date
from analytics_hub.utils.warehouse import config_loader

if 'sensor' not in globals():
    from mage_ai.data_preparation.decorators import sensor

BUCKET = 'acme-ops-landing'


@sensor
def wait_for_landing_files(*args, **kwargs) -> bool:
    """True once the partner's _SUCCESS marker for the run date has landed."""
    marker = f'partners/{run_date(kwargs):%Y-%m-%d}/_SUCCESS'
    return S3.with_config(config_loader(kwargs.get('io_profile', 'default'))).exists(BUCKET, marker)
