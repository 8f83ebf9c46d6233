"""Inputs and plumbing of the demo history generator: reading the demo project's pipelines
and triggers, the buffered row writer, and the account/security rows (users, roles, OAuth,
secrets) a Mage server creates."""
from __future__ import annotations

import json
import random
import re
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import bcrypt
import yaml

from auditkit.readers.history.schema import ALEMBIC_HEAD, TABLES

NON_EXECUTABLE = {"markdown", "chart", "scratchpad"}
# Trigger dataclass fields: any other key makes Mage skip the trigger (reference section 4).
TRIGGER_KEYS = {"name", "schedule_type", "schedule_interval", "start_time", "status", "variables",
                "sla", "settings", "envs", "last_enabled_at", "description", "token",
                "pipeline_uuid", "repo_path"}
FRONTEND_CLIENT_ID = "zkWlN0PkIKSN0C11CfUHUj84OT5XOJ6tDZ6bDRO2"
FLUSH_ROWS = 200_000


@dataclass
class DemoPipeline:
    uuid: str
    type: str
    blocks: list[tuple[str, str]]                # (uuid, type) in topological order
    retries: dict[str, int]                      # effective retries per block
    dynamic_children: set[str] = field(default_factory=set)
    run_limit: int | None = None
    executor_type: str = "LOCAL_PYTHON"
    slowness: float = 1.0


def ts_text(value: datetime | None) -> str | None:
    """Mage/SQLAlchemy's SQLite text form: naive UTC with microseconds."""
    if value is None:
        return None
    text = value.isoformat(" ")          # isoformat is ~10x faster than strftime
    return text if len(text) > 19 else text + ".000000"


def ts_seconds_text(value: datetime) -> str:
    """CURRENT_TIMESTAMP form used by created_at/updated_at (second precision)."""
    return value.isoformat(" ", "seconds")


def clean_name(name: str) -> str:
    """Mage's clean_name without '/' (used for log file names)."""
    return re.sub(r"\W", "_", name).lower()


def _load_yaml(path: Path):
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None


def _topological(blocks: list[dict]) -> list[dict]:
    by_uuid = {b["uuid"]: b for b in blocks}
    done: list[dict] = []
    seen: set[str] = set()

    def visit(block: dict, stack: tuple = ()) -> None:
        if block["uuid"] in seen or block["uuid"] in stack:
            return
        for up in block.get("upstream_blocks") or []:
            if up in by_uuid:
                visit(by_uuid[up], stack + (block["uuid"],))
        seen.add(block["uuid"])
        done.append(block)

    for block in blocks:
        visit(block)
    return done


def read_demo_project(project_dir: Path) -> tuple[dict[str, DemoPipeline], dict[str, list[dict]]]:
    """Pipelines (with effective block retries) and YAML triggers of a Mage project."""
    project_meta = _load_yaml(project_dir / "metadata.yaml") or {}
    project_retry = project_meta.get("retry_config") or {}
    pipelines: dict[str, DemoPipeline] = {}
    triggers: dict[str, list[dict]] = {}
    for meta_path in sorted((project_dir / "pipelines").glob("*/metadata.yaml")):
        meta = _load_yaml(meta_path)
        if not isinstance(meta, dict):
            continue
        uuid = meta_path.parent.name
        raw = [b for b in (meta.get("blocks") or []) if isinstance(b, dict) and b.get("uuid")]
        ordered = [b for b in _topological(raw) if b.get("type") not in NON_EXECUTABLE]
        retries = {}
        for b in ordered:
            merged = {**project_retry, **(b.get("retry_config") or {})}
            retries[b["uuid"]] = int(merged.get("retries") or 0)
        dynamic_parents = {b["uuid"] for b in ordered
                           if isinstance(b.get("configuration"), dict) and b["configuration"].get("dynamic")}
        children = {b["uuid"] for b in ordered
                    if set(b.get("upstream_blocks") or []) & dynamic_parents}
        concurrency = meta.get("concurrency_config") or {}
        executor = str(meta.get("executor_type") or "local_python")
        pipelines[uuid] = DemoPipeline(
            uuid=uuid, type=str(meta.get("type") or "python"),
            blocks=[(b["uuid"], str(b.get("type"))) for b in ordered], retries=retries,
            dynamic_children=children, run_limit=concurrency.get("pipeline_run_limit"),
            executor_type=executor.upper() if "{" not in executor else "LOCAL_PYTHON",
        )
        doc = _load_yaml(meta_path.parent / "triggers.yaml")
        items = doc.get("triggers") if isinstance(doc, dict) else None
        triggers[uuid] = [t for t in (items or []) if isinstance(t, dict) and t.get("name")]
    return pipelines, triggers


class RowWriter:
    """Buffers rows per table and flushes them with executemany in big transactions."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.buffers: dict[str, list[tuple]] = {}
        self.columns = {t: [c for c, _ in cols] for t, cols in TABLES.items()}

    def add(self, table: str, row: dict) -> None:
        buf = self.buffers.setdefault(table, [])
        buf.append(tuple(row.get(c) for c in self.columns[table]))
        if len(buf) >= FLUSH_ROWS:
            self.flush(table)

    def add_tuple(self, table: str, row: tuple) -> None:
        """Hot path: ``row`` is already in the table's column order."""
        buf = self.buffers.setdefault(table, [])
        buf.append(row)
        if len(buf) >= FLUSH_ROWS:
            self.flush(table)

    def flush(self, table: str | None = None) -> None:
        for name in [table] if table else list(self.buffers):
            rows = self.buffers.get(name) or []
            if rows:
                cols = self.columns[name]
                sql = (f'INSERT INTO "{name}" ({", ".join(chr(34) + c + chr(34) for c in cols)}) '
                       f'VALUES ({", ".join("?" * len(cols))})')
                self.conn.executemany(sql, rows)
                self.buffers[name] = []


def as_datetime(value) -> datetime | None:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if hasattr(value, "year"):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip()).replace(tzinfo=None)
        except ValueError:
            return None
    return None


def _salt(rng: random.Random) -> bytes:
    """A bcrypt salt from the seeded RNG (bcrypt.gensalt would make output non-deterministic).
    The 22nd character carries only 2 bits, so it is drawn from the 4 valid ones."""
    alphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    body = "".join(rng.choice(alphabet) for _ in range(21)) + rng.choice(".Oeu")
    return f"$2b$04${body}".encode()


def write_accounts(w: RowWriter, rng: random.Random, repo_path: str, start: datetime,
                   end: datetime) -> None:
    """Users (the default admin with a bcrypt hash of 'admin', an owner), roles, permissions,
    the frontend OAuth app and a token, a secret, a tag, a user_project, alembic_version."""
    created = ts_seconds_text(start - timedelta(days=30))
    stamp = dict(created_at=created, updated_at=created)
    # Cost 4 instead of Mage's 14 keeps generation fast; the hash still verifies 'admin'.
    salt = _salt(rng)
    w.add("user", dict(id=1, email="admin@admin.com", username="admin", owner=0, roles=1,
                       password_hash=bcrypt.hashpw(b"admin", salt).decode(),
                       password_salt=salt, preferences=None, **stamp))
    salt2 = _salt(rng)
    w.add("user", dict(id=2, email="dana.owner@example.com", username="dana", owner=1,
                       first_name="Dana", last_name="Owner", roles=1,
                       password_hash=bcrypt.hashpw(b"a-long-passphrase-%d" % rng.getrandbits(32),
                                                   salt2).decode(),
                       password_salt=salt2, preferences=json.dumps({repo_path: {}}), **stamp))
    for rid, (role, access) in enumerate([("Owner", 1), ("Admin", 2), ("Editor", 4), ("Viewer", 8)], 1):
        w.add("role", dict(id=rid, name=role, user_id=None, **stamp))
        w.add("permission", dict(id=rid, entity="GLOBAL", access=access, role_id=rid,
                                 options=None, **stamp))
    w.add("user_role", dict(id=1, user_id=1, role_id=1, **stamp))
    w.add("user_role", dict(id=2, user_id=2, role_id=2, **stamp))
    w.add("oauth2_application", dict(id=1, authorization_grant_type="AUTHORIZATION_CODE",
                                     client_id=FRONTEND_CLIENT_ID, client_type="PUBLIC",
                                     name="frontend", redirect_uris="", user_id=1, **stamp))
    w.add("oauth2_access_token", dict(id=1, expires=ts_text(end + timedelta(days=30)),
                                      oauth2_application_id=1, user_id=1, **stamp,
                                      token="%043x" % rng.getrandbits(172)))
    w.add("secret", dict(id=1, name="stripe_api_key", repo_name=repo_path,
                         key_uuid=repo_path.rsplit("/", 1)[-1], **stamp,
                         value="gAAAAAB" + "%0100x" % rng.getrandbits(400)))
    w.add("tag", dict(id=1, name="finance", description="finance triggers", **stamp))
    w.add("user_project", dict(id=1, user_id=1, root_project_uuid="%032x" % rng.getrandbits(128),
                               project_name=repo_path.rsplit("/", 1)[-1], active=1, **stamp))
    w.add("alembic_version", dict(version_num=ALEMBIC_HEAD))
