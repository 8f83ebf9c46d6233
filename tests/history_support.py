"""Helpers shared by the run-history tests: a tiny Mage project and hand-built history DBs."""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import yaml

from auditkit.readers.history.schema import ALEMBIC_HEAD, TABLES, ddl

DEMO_PROJECT = Path(__file__).resolve().parents[1] / "auditkit" / "demo" / "project" / "analytics_hub"


def write_tiny_project(root: Path) -> Path:
    """A three-pipeline Mage project: daily batch with retries, hourly with a run limit,
    and a streaming pipeline. Returns the project folder."""
    project = root / "tiny_hub"
    (project / "pipelines").mkdir(parents=True)
    (project / "metadata.yaml").write_text(yaml.safe_dump(
        {"project_type": "standalone", "retry_config": {"retries": 1, "delay": 5},
         "queue_config": {"concurrency": 4}}))
    pipelines = {
        "daily_sales": {
            "type": "python",
            "blocks": [
                {"uuid": "load_orders", "type": "data_loader", "downstream_blocks": ["clean"],
                 "retry_config": {"retries": 2}},
                {"uuid": "clean", "type": "transformer", "upstream_blocks": ["load_orders"],
                 "downstream_blocks": ["export"]},
                {"uuid": "export", "type": "data_exporter", "upstream_blocks": ["clean"]},
                {"uuid": "notes", "type": "markdown"},
            ],
            "triggers": [
                {"name": "daily", "schedule_type": "time", "schedule_interval": "@daily",
                 "start_time": "2026-01-01 00:00:00", "status": "active", "sla": 120,
                 "settings": None, "envs": [], "variables": {}},
                {"name": "staging only", "schedule_type": "time", "schedule_interval": "@hourly",
                 "start_time": "2026-01-01 00:00:00", "status": "active", "envs": ["staging"]},
            ],
        },
        "hourly_events": {
            "type": "python",
            "concurrency_config": {"pipeline_run_limit": 1},
            "blocks": [
                {"uuid": "api/load_events", "type": "data_loader", "downstream_blocks": ["split"]},
                {"uuid": "split", "type": "transformer", "configuration": {"dynamic": True},
                 "upstream_blocks": ["api/load_events"], "downstream_blocks": ["enrich"]},
                {"uuid": "enrich", "type": "transformer", "upstream_blocks": ["split"]},
            ],
            "triggers": [
                {"name": "hourly", "schedule_type": "time", "schedule_interval": "15 * * * *",
                 "start_time": "2026-01-01 00:00:00", "status": "active",
                 "settings": {"skip_if_previous_running": True, "pipeline_run_limit": 1}},
                {"name": "on demand", "schedule_type": "api", "schedule_interval": None,
                 "start_time": None, "status": "active"},
            ],
        },
        "clicks_stream": {"type": "streaming", "blocks": [
            {"uuid": "kafka_source", "type": "data_loader"}], "triggers": []},
    }
    for uuid, spec in pipelines.items():
        folder = project / "pipelines" / uuid
        folder.mkdir()
        triggers = spec.pop("triggers")
        (folder / "metadata.yaml").write_text(yaml.safe_dump({"uuid": uuid, "name": uuid, **spec}))
        if triggers:
            (folder / "triggers.yaml").write_text(yaml.safe_dump({"triggers": triggers}))
    return project


def empty_history_db(path: Path, *, drop: dict[str, list[str] | None] | None = None) -> sqlite3.Connection:
    """Create Mage's SQLite schema at ``path``; ``drop`` removes tables (None) or columns."""
    conn = sqlite3.connect(path, isolation_level=None)
    for statement in ddl("sqlite"):
        conn.execute(statement)
    conn.execute("INSERT INTO alembic_version VALUES (?)", (ALEMBIC_HEAD,))
    for table, columns in (drop or {}).items():
        if columns is None:
            conn.execute(f'DROP TABLE "{table}"')
        else:
            for column in columns:
                conn.execute(f'DROP INDEX IF EXISTS "ix_{table}_{column}"')
                conn.execute(f'ALTER TABLE "{table}" DROP COLUMN "{column}"')
    return conn


def insert(conn: sqlite3.Connection, table: str, **row) -> None:
    """Insert one row, JSON-encoding dict/list values."""
    known = {c for c, _ in TABLES[table]}
    present = {r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')}
    row = {k: (json.dumps(v) if isinstance(v, (dict, list)) else v) for k, v in row.items()
           if k in known and k in present}
    cols = ", ".join(f'"{c}"' for c in row)
    conn.execute(f'INSERT INTO "{table}" ({cols}) VALUES ({", ".join("?" * len(row))})',
                 tuple(row.values()))
