"""Run-history reader: Mage's DB (SQLite or PostgreSQL, read-only) and its block logs."""
from __future__ import annotations

from .core import History
from .logs import LogScan, scan_logs
from .source import connect, find_mage_db, mask


def open_history(source: str | None = None, *, mage_data: str | None = None,
                 project: str | None = None, since=None, until=None,
                 statement_timeout_s: float | None = None, mage_url: str | None = None,
                 api_mirror: str | None = None) -> History | None:
    """Open a run history read-only; None when neither ``source``, ``mage_data`` nor ``mage_url``
    is given.

    ``source`` is a SQLAlchemy URL or a SQLite file path; ``mage_data`` a Mage data folder
    holding ``<project>/mage-ai.db`` and the block logs; ``mage_url`` a running Mage server read
    through its REST API (credentials from the environment only: ``MAGE_API_KEY``,
    ``MAGE_API_TOKEN`` or ``MAGE_EMAIL``/``MAGE_PASSWORD``; see :mod:`.api`), used when neither
    of the others is given (``api_mirror``: the mirror file of an earlier read of it in this
    report, reused while it exists). Problems (unreachable server, wrong password, locked or corrupt file,
    not a Mage DB, older schema, a statement that outlived ``statement_timeout_s`` on Postgres,
    an API error) never raise: they are in ``History.problems`` and the frames are empty or partial.
    """
    if source is None and mage_data is None:
        if not mage_url:
            return None
        from .api import connect_api
        return History(connect_api(mage_url, since=since, until=until, reuse_mirror=api_mirror),
                       since=since, until=until)
    return History(connect(source, mage_data=mage_data, project=project, statement_timeout_s=statement_timeout_s),
                   since=since, until=until)


__all__ = ["History", "LogScan", "open_history", "scan_logs", "connect", "find_mage_db", "mask"]
