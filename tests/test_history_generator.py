"""The demo history generator: Mage's schema, realistic content, determinism, and the reader
agreeing with direct SQL on what it wrote."""
from __future__ import annotations

import hashlib
import json
import sqlite3
from datetime import datetime

import bcrypt
import pytest

from auditkit.demo.history import generate_history
from auditkit.readers.history import open_history
from auditkit.readers.history.schema import ALEMBIC_HEAD, ENUMS, TABLES
from auditkit.analytics.summary import history_summary
from history_support import DEMO_PROJECT, write_tiny_project


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("gen")
    project = write_tiny_project(root)
    db = generate_history(root / "data", project, days=100, scale=0.5)
    return root, project, db


def _sql(db, query):
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return conn.execute(query).fetchall()


def test_schema_matches_mage(tiny):
    _, _, db = tiny
    tables = {r[0] for r in _sql(db, "SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables == set(TABLES)
    for table, columns in TABLES.items():
        present = [r[1] for r in _sql(db, f'PRAGMA table_info("{table}")')]
        assert set(present) == {c for c, _ in columns}, table
    assert _sql(db, "SELECT version_num FROM alembic_version") == [(ALEMBIC_HEAD,)]


def test_enum_names_upper_case_and_naive_timestamps(tiny):
    _, _, db = tiny
    for table, column, enum in (("pipeline_run", "status", "pipelinerunstatus"),
                                ("block_run", "status", "blockrunstatus"),
                                ("pipeline_schedule", "schedule_type", "scheduletype"),
                                ("backfill", "interval_type", "intervaltype")):
        values = {r[0] for r in _sql(db, f"SELECT DISTINCT {column} FROM {table}") if r[0] is not None}
        assert values and values <= set(ENUMS[enum]), (table, values)
    stamps = [r[0] for r in _sql(db, "SELECT started_at FROM pipeline_run WHERE started_at IS NOT NULL LIMIT 50")]
    assert all(len(s) == 26 and "+" not in s and "T" not in s for s in stamps)
    created = _sql(db, "SELECT created_at FROM pipeline_run LIMIT 1")[0][0]
    assert len(created) == 19                              # CURRENT_TIMESTAMP: second precision


def test_content_covers_every_scenario(tiny):
    _, _, db = tiny
    one = lambda q: _sql(db, q)[0][0]  # noqa: E731
    # Fail-fast: a FAILED run keeps completed_at NULL and its downstream blocks are CANCELLED.
    assert one("SELECT COUNT(*) FROM pipeline_run WHERE status='FAILED' AND completed_at IS NOT NULL") == 0
    assert one("SELECT COUNT(*) FROM block_run b JOIN pipeline_run r ON r.id=b.pipeline_run_id "
               "WHERE r.status='FAILED' AND b.status='CANCELLED'") > 0
    # Retry blocks: COMPLETED block runs that kept metrics.error.
    assert one("SELECT COUNT(*) FROM block_run WHERE status='COMPLETED' AND json_extract(metrics,'$.error') IS NOT NULL") > 0
    # Retry run: several runs for one (trigger, execution_date).
    assert one("SELECT COUNT(*) FROM (SELECT 1 FROM pipeline_run GROUP BY pipeline_schedule_id, execution_date "
               "HAVING COUNT(*) > 1)") > 0
    # Skipped runs: CANCELLED without block runs.
    assert one("SELECT COUNT(*) FROM pipeline_run r WHERE status='CANCELLED' AND NOT EXISTS "
               "(SELECT 1 FROM block_run b WHERE b.pipeline_run_id=r.id)") > 0
    assert one("SELECT COUNT(*) FROM pipeline_run WHERE passed_sla = 1") > 0
    assert {r[0] for r in _sql(db, "SELECT status FROM backfill")} == {"COMPLETED", "FAILED", "RUNNING", None}
    assert one("SELECT COUNT(*) FROM pipeline_schedule WHERE name LIKE 'Backfill %' AND schedule_type IS NULL "
               "AND repo_path IS NULL AND schedule_interval='@once'") == 3
    settings = [r[0] for r in _sql(db, "SELECT settings FROM backfill")]
    assert None in settings and "null" in settings               # SQL NULL and JSON 'null'
    assert one("SELECT COUNT(*) FROM pipeline_schedule WHERE pipeline_uuid='legacy_orders_export'") == 1
    # Streaming pipelines get runs but no block runs.
    assert one("SELECT COUNT(*) FROM block_run b JOIN pipeline_run r ON r.id=b.pipeline_run_id "
               "WHERE r.pipeline_uuid='clicks_stream'") == 0
    # The trigger limited to staging is never synced into this (prod) DB.
    assert one("SELECT COUNT(*) FROM pipeline_schedule WHERE name='staging only'") == 0
    days = one("SELECT julianday(MAX(execution_date)) - julianday(MIN(execution_date)) FROM pipeline_run "
               "WHERE backfill_id IS NULL")
    assert days >= 90


def test_accounts_admin_hash_salt_blob_token_secret(tiny):
    _, _, db = tiny
    email, hashed, salt, owner = _sql(db, "SELECT email, password_hash, password_salt, owner FROM user WHERE id=1")[0]
    assert email == "admin@admin.com" and owner == 0
    assert bcrypt.checkpw(b"admin", hashed.encode())
    assert isinstance(salt, bytes) and hashed.startswith(salt.decode())
    assert _sql(db, "SELECT typeof(password_salt) FROM user")[0][0] == "blob"
    assert _sql(db, "SELECT COUNT(*) FROM user WHERE owner=1")[0][0] == 1
    assert _sql(db, "SELECT client_id, client_type, name FROM oauth2_application")[0] == (
        "zkWlN0PkIKSN0C11CfUHUj84OT5XOJ6tDZ6bDRO2", "PUBLIC", "frontend")
    assert _sql(db, "SELECT value FROM secret")[0][0].startswith("gAAAAA")
    assert _sql(db, "SELECT COUNT(*) FROM oauth2_access_token")[0][0] == 1
    assert {r[0] for r in _sql(db, "SELECT name FROM role")} == {"Owner", "Admin", "Editor", "Viewer"}


def test_logs_hold_retries_that_match_the_config(tiny):
    _, _, db = tiny
    history = open_history(mage_data=str(db.parent.parent))
    retries = history.logs.retries_by_block().set_index(["pipeline_uuid", "block_uuid"])
    assert retries["retries"].sum() > 0
    # daily_sales/load_orders has retries: 2 (M = 3); 'clean' inherits the project's 1 (M = 2).
    attempts = history.logs.attempts
    m = attempts.groupby(["pipeline_uuid", "block_uuid"])["max_attempts"].max()
    assert m.get(("daily_sales", "load_orders"), 3) == 3
    assert m.get(("daily_sales", "clean"), 2) == 2
    # A nested uuid logs under its clean_name without '/'.
    names = {p.name for p in (db.parent / "pipelines" / "hourly_events" / ".logs").rglob("*.log")}
    assert any(n.startswith("api_load_events") for n in names)


def test_reader_agrees_with_direct_sql(tiny):
    _, _, db = tiny
    summary = history_summary(open_history(str(db)))
    direct = {}
    for pipeline, status, n in _sql(db, "SELECT pipeline_uuid, status, COUNT(*) FROM pipeline_run GROUP BY 1, 2"):
        direct.setdefault(pipeline, {})[status] = n
    assert summary["pipeline_runs"] == direct
    blocks = {}
    for pipeline, status, n in _sql(db, "SELECT r.pipeline_uuid, b.status, COUNT(*) FROM block_run b "
                                        "JOIN pipeline_run r ON r.id=b.pipeline_run_id GROUP BY 1, 2"):
        blocks.setdefault(pipeline, {})[status] = n
    assert summary["block_runs"] == blocks
    failed = dict(_sql(db, "SELECT backfill_id, COUNT(*) FROM pipeline_run WHERE status='FAILED' "
                           "AND backfill_id IS NOT NULL GROUP BY 1"))
    assert {b["id"]: b["failed_runs"] for b in summary["backfills"] if b["failed_runs"]} == failed
    assert summary["max_concurrent_pipeline_runs"]["hourly_events"] >= 2   # bursts over the limit of 1
    json.dumps(summary)                                                    # JSON-serialisable


def test_deterministic_from_seed(tmp_path, tiny):
    _, project, db = tiny
    again = generate_history(tmp_path / "again", project, days=100, scale=0.5)
    other = generate_history(tmp_path / "other", project, days=100, scale=0.5, seed=8)

    def digest(path):
        with sqlite3.connect(path) as conn:
            dump = "\n".join(conn.iterdump())
        return hashlib.sha256(dump.encode()).hexdigest()

    assert digest(again) == digest(db)
    assert digest(other) != digest(db)


def test_scale_multiplies_volume(tmp_path, tiny):
    _, project, db = tiny
    bigger = generate_history(tmp_path / "big", project, days=100, scale=2.0, max_log_files=10)
    count = lambda path: _sql(path, "SELECT COUNT(*) FROM pipeline_run WHERE variables LIKE "  # noqa: E731
                                    "'%execution_partition%' AND status <> 'CANCELLED'")[0][0]
    # API/manual runs scale 4x; the fixed bursts above run limits keep the ratio a bit lower.
    assert 3.0 < count(bigger) / count(db) <= 4.05
    assert sum(1 for _ in (bigger.parent / "pipelines").rglob("*.log")) <= 10


@pytest.mark.slow
def test_demo_project_history(tmp_path):
    if not (DEMO_PROJECT / "pipelines").is_dir():
        pytest.skip("demo project not present")
    db = generate_history(tmp_path, DEMO_PROJECT, days=95, end=datetime(2026, 11, 1))
    pipelines = {r[0] for r in _sql(db, "SELECT DISTINCT pipeline_uuid FROM pipeline_run")}
    expected = {p.name for p in (DEMO_PROJECT / "pipelines").iterdir() if (p / "metadata.yaml").is_file()}
    assert expected <= pipelines
    streaming = _sql(db, "SELECT COUNT(*) FROM block_run b JOIN pipeline_run r ON r.id=b.pipeline_run_id "
                         "WHERE r.pipeline_uuid='product_events_realtime'")[0][0]
    assert streaming == 0
