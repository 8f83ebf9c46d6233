"""Warehouse connections built from io_config.yaml profiles."""
import os
from contextlib import contextmanager
from os import path

from mage_ai.io.config import ConfigFileLoader
from mage_ai.io.postgres import Postgres
from mage_ai.io.snowflake import Snowflake
from mage_ai.settings.repo import get_repo_path

DEFAULT_PROFILE = os.getenv('IO_CONFIG_PROFILE', 'default')


def config_loader(profile: str = DEFAULT_PROFILE) -> ConfigFileLoader:
    """Load the given io_config.yaml profile of this project."""
    config_path = path.join(get_repo_path(), 'io_config.yaml')
    return ConfigFileLoader(config_path, profile)


@contextmanager
def postgres(profile: str = DEFAULT_PROFILE):
    """Yield an open Postgres loader and always close it."""
    with Postgres.with_config(config_loader(profile)) as loader:
        yield loader


@contextmanager
def snowflake(profile: str = DEFAULT_PROFILE):
    """Yield an open Snowflake loader and always close it."""
    with Snowflake.with_config(config_loader(profile)) as loader:
        yield loader
