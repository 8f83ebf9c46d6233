"""A private, temporary SQLite copy of what Mage's API returned, in Mage's exact schema.

The folder is made by ``tempfile.mkdtemp`` (mode 0700, in the system temp folder, never in the
audited repo) and holds ``mage-ai.db`` (schema from :func:`schema.ddl`) and ``pipelines/`` (the
block logs read). API values are turned back into what Mage stores: enum values upper-case
(``completed`` -> ``COMPLETED``), naive UTC timestamp text, JSON text. What must never be
kept is not: run, schedule and backfill ``variables``/``event_variables`` keep their keys only
(each value replaced by ``REDACTED``: the analytics only test for keys such as
``execution_partition``); a schedule token becomes ``TOKEN_FINGERPRINT_PREFIX`` plus its short
hash (enough for ``has_token`` and for matching a token committed in ``triggers.yaml``).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import tempfile
from pathlib import Path, PurePosixPath

from auditkit.model import short_hash

from ..schema import ALEMBIC_HEAD, TABLES, ddl
from .walk import parse_time

REDACTED = "REDACTED"
MIRROR_PREFIX = "auditkit-mage-api-"
TOKEN_FINGERPRINT_PREFIX = "auditkit-fingerprint:"
NAIVE_TEXT = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,6})?$")
REDACTED_COLUMNS = {("pipeline_run", "variables"), ("pipeline_run", "event_variables"),
                    ("pipeline_schedule", "variables"), ("backfill", "variables")}


def redact(value):
    """A JSON object's keys with every value replaced (non-objects become ``REDACTED``)."""
    if value is None:
        return None
    if isinstance(value, dict):
        return {str(k): REDACTED for k in value}
    return REDACTED


def token_fingerprint(token) -> str | None:
    """What the mirror stores for a schedule token: a prefix and its short hash, never the token."""
    return f"{TOKEN_FINGERPRINT_PREFIX}{short_hash(token)}" if token else None


def _time_text(value) -> str | None:
    """Mage's SQLite text for a timestamp: naive UTC, fraction only when there is one."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and NAIVE_TEXT.match(value):
        return value                        # already Mage's naive text: keep it byte for byte
    stamp = parse_time(value)               # naive UTC, or None
    if stamp is None:
        return None
    return stamp.strftime("%Y-%m-%d %H:%M:%S.%f" if stamp.microsecond else "%Y-%m-%d %H:%M:%S")


def _convert(table: str, column: str, kind: str, value):
    if (table, column) in REDACTED_COLUMNS:
        value = redact(value)
    if value is None:
        return None
    if kind.startswith("enum:"):
        return str(value).upper()
    if kind in ("ts", "ts_default"):
        return _time_text(value)
    if kind == "json":
        return json.dumps(value)
    if kind == "bool":
        return 1 if value else 0
    if kind in ("id", "int") or kind.startswith("fk:"):
        try:
            return int(value)
        except (TypeError, ValueError):
            return None
    return value if isinstance(value, (str, int, float)) else json.dumps(value)


class Mirror:
    """The temporary folder, its SQLite file and its log root; ``remove()`` deletes them."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix=MIRROR_PREFIX))
        self.db_path = self.folder / "mage-ai.db"
        self.log_root = self.folder / "pipelines"
        self.log_root.mkdir(mode=0o700)
        self.db = sqlite3.connect(self.db_path, isolation_level=None)
        os.chmod(self.db_path, 0o600)
        self.db.execute("PRAGMA journal_mode=OFF")
        self.db.execute("PRAGMA synchronous=OFF")
        for statement in ddl("sqlite"):
            self.db.execute(statement)
        self.db.execute("INSERT INTO alembic_version VALUES (?)", (ALEMBIC_HEAD,))
        self.db.execute("BEGIN")
        self._statements = {t: self._insert_sql(t) for t in ("pipeline_schedule", "pipeline_run", "block_run",
                                                               "backfill")}
        self.log_files = 0

    @staticmethod
    def _insert_sql(table: str) -> tuple[str, list[tuple[str, str]]]:
        columns = TABLES[table]
        names = ", ".join(f'"{c}"' for c, _ in columns)
        return f'INSERT OR REPLACE INTO "{table}" ({names}) VALUES ({", ".join("?" * len(columns))})', columns

    def add(self, table: str, records: list[dict]) -> int:
        """Insert API records (a repeated id replaces the row); returns how many."""
        sql, columns = self._statements[table]
        rows = [tuple(_convert(table, c, kind, r.get(c)) for c, kind in columns) for r in records]
        self.db.executemany(sql, rows)
        return len(rows)

    def count(self, table: str) -> int:
        return self.db.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]

    def add_schedules(self, schedules: list[dict], run_tokens: dict[int, str]) -> None:
        """Schedules with the token (or the one the run lists revealed) as a fingerprint."""
        records = []
        for s in schedules:
            token = s.get("token") or run_tokens.get(s.get("id"))
            records.append({**s, "token": token_fingerprint(token)})
        self.add("pipeline_schedule", records)

    def add_log(self, server_path: str, content: str) -> bool:
        """Write one block log under the log root, at its path below the server's
        ``pipelines/`` folder; False when the path is not a block log's (never outside the root)."""
        relative = log_relative_path(server_path)
        if relative is None:
            return False
        target = self.log_root.joinpath(*relative.parts)
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with open(target, "w", encoding="utf-8", opener=_private_opener) as fh:
            fh.write(content)
        self.log_files += 1
        return True

    def finish(self) -> None:
        self.db.execute("COMMIT")
        self.db.close()

    def remove(self) -> None:
        try:
            self.db.close()
        except sqlite3.Error:
            pass
        shutil.rmtree(self.folder, ignore_errors=True)


def _private_opener(path, flags):
    return os.open(path, flags, 0o600)


def log_relative_path(server_path: str) -> PurePosixPath | None:
    """``<pipeline>/.logs/<...>/<block>.log`` from a server path such as
    ``/home/src/mage_data/proj/pipelines/<pipeline>/.logs/1/20261101T000000/load.log``."""
    if not isinstance(server_path, str) or "/.logs/" not in server_path:
        return None
    head, _, tail = server_path.replace("\\", "/").partition("/.logs/")
    pipeline = head.rsplit("/", 1)[-1]
    parts = [pipeline, ".logs", *[p for p in tail.split("/") if p]]
    if any(p in ("", ".", "..") for p in parts) or not parts[-1].endswith(".log") or len(parts) < 3:
        return None
    return PurePosixPath(*parts)
