from mage_ai.io.config import ConfigFileLoader
from mage_ai.io.postgres import Postgres
from mage_ai.settings.repo import get_repo_path

if 'data_exporter' not in globals():
    from mage_ai.data_preparation.decorators import data_exporter


@data_exporter
def export_data(df, **kwargs):
    with Postgres.with_config(ConfigFileLoader(get_repo_path() + '/io_config.yaml', 'dev')) as loader:
        loader.export(df, 'crm', 'customers_enriched', index=False, if_exists='append')
