"""Operational incidents written into the demo history after the runs are played (issue 18):
a trigger edited in the UI and not saved in code, a trigger in code the server never synced, a
trigger narrowed to other ``envs`` that is still active here, a hung run, a scheduler outage
and a viewer account.

They are applied as row edits at the end, with no draw from the generator's random sequence,
so every other figure of the demo stays what it was.
"""
from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

from .history_inputs import ts_seconds_text, ts_text

# (pipeline, trigger) -> the DB columns a UI edit changed (never saved in code).
UI_EDITS = {("ops_file_ingest_daily", "daily_partner_ingest"): {"sla": 7200, "settings_timeout": 10800}}
ENV_EXCLUDED = ("sales_daily_revenue_report", "dev_revenue_daily")   # envs [dev, staging] in code
HUNG_PIPELINE = "load_and_transform_customers"
# A trigger in code the server never synced (it runs an older checkout of the project).
UNSYNCED = ("marketing_campaign_attribution_hourly", "backfill_q1_2024")
OUTAGE_DAYS_BEFORE_END, OUTAGE_HOURS = 12, 9


def apply_incidents(conn: sqlite3.Connection, root: Path, start: datetime, end: datetime,
                    repo_path: str, yaml_triggers: dict[str, list[dict]]) -> None:
    """Edit the written rows (inside the generator's transaction)."""
    _ui_edits(conn)
    conn.execute("DELETE FROM pipeline_schedule WHERE pipeline_uuid = ? AND name = ?", UNSYNCED)
    _env_excluded_schedule(conn, end, repo_path, yaml_triggers)
    _hung_run(conn, end)
    _scheduler_outage(conn, root, start, end)
    _viewer(conn, start)


def _ui_edits(conn: sqlite3.Connection) -> None:
    for (pipeline, name), edit in UI_EDITS.items():
        row = conn.execute("SELECT id, settings FROM pipeline_schedule WHERE pipeline_uuid = ? AND name = ?",
                           (pipeline, name)).fetchone()
        if row is None:
            continue
        settings = json.loads(row[1]) if row[1] else {}
        settings["timeout"] = edit["settings_timeout"]
        conn.execute("UPDATE pipeline_schedule SET sla = ?, settings = ? WHERE id = ?",
                     (edit["sla"], json.dumps(settings), row[0]))


def _env_excluded_schedule(conn: sqlite3.Connection, end: datetime, repo_path: str,
                           yaml_triggers: dict[str, list[dict]]) -> None:
    """The trigger was synced here before its ``envs`` were narrowed, and re-enabled in the UI
    yesterday: Mage keeps the row, so it fires again tonight."""
    pipeline, name = ENV_EXCLUDED
    if not any(t.get("name") == name for t in yaml_triggers.get(pipeline, [])):
        return
    sid = conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM pipeline_schedule").fetchone()[0]
    enabled = end - timedelta(hours=20)
    conn.execute(
        "INSERT INTO pipeline_schedule (id, created_at, updated_at, name, pipeline_uuid, schedule_type, "
        "start_time, schedule_interval, status, variables, repo_path, settings, token, last_enabled_at) "
        "VALUES (?, ?, ?, ?, ?, 'TIME', ?, '@daily', 'ACTIVE', ?, ?, ?, ?, ?)",
        (sid, ts_seconds_text(end - timedelta(days=400)), ts_seconds_text(enabled), name, pipeline,
         ts_text(datetime(2024, 5, 10)), json.dumps({"io_profile": "dev"}), repo_path,
         json.dumps({"skip_if_previous_running": True}), "%032x" % (sid * 7919), ts_text(enabled)))


def _hung_run(conn: sqlite3.Connection, end: datetime) -> None:
    """The worker running one scheduled run died two days before the end: the run and its
    block in progress stay RUNNING, the blocks after it never start."""
    row = conn.execute(
        "SELECT id, started_at FROM pipeline_run WHERE pipeline_uuid = ? AND status = 'COMPLETED' "
        "AND backfill_id IS NULL AND created_at < ? ORDER BY id DESC LIMIT 1",
        (HUNG_PIPELINE, ts_seconds_text(end - timedelta(days=2)))).fetchone()
    if row is None:
        return
    run_id, started = row
    conn.execute("UPDATE pipeline_run SET status = 'RUNNING', completed_at = NULL, updated_at = ? WHERE id = ?",
                 (started[:19], run_id))
    blocks = [r[0] for r in conn.execute("SELECT id FROM block_run WHERE pipeline_run_id = ? ORDER BY id", (run_id,))]
    for i, block_id in enumerate(blocks):
        if i == 1 or (i == 0 and len(blocks) == 1):
            conn.execute("UPDATE block_run SET status = 'RUNNING', completed_at = NULL WHERE id = ?", (block_id,))
        elif i > 1:
            conn.execute("UPDATE block_run SET status = 'INITIAL', started_at = NULL, completed_at = NULL "
                         "WHERE id = ?", (block_id,))


def _scheduler_outage(conn: sqlite3.Connection, root: Path, start: datetime, end: datetime) -> None:
    """The scheduler was down for some hours: no run was created then (rows and logs removed)."""
    begin = end - timedelta(days=OUTAGE_DAYS_BEFORE_END) + timedelta(hours=3)
    if begin <= start:
        return
    bounds = (ts_seconds_text(begin), ts_seconds_text(begin + timedelta(hours=OUTAGE_HOURS)))
    lost = conn.execute("SELECT id, pipeline_uuid, pipeline_schedule_id, execution_date, variables FROM pipeline_run "
                        "WHERE created_at >= ? AND created_at < ?", bounds).fetchall()
    for run_id, pipeline, sid, execution, variables in lost:
        partition = (json.loads(variables or "{}") or {}).get("execution_partition") or \
            f"{sid}/{datetime.fromisoformat(execution):%Y%m%dT%H%M%S}"
        shutil.rmtree(root / "pipelines" / pipeline / ".logs" / partition, ignore_errors=True)
        conn.execute("DELETE FROM block_run WHERE pipeline_run_id = ?", (run_id,))
        conn.execute("DELETE FROM pipeline_run WHERE id = ?", (run_id,))


def _viewer(conn: sqlite3.Connection, start: datetime) -> None:
    """A read-only colleague: the Viewer role may list runs (and so read API-trigger tokens)."""
    created = ts_seconds_text(start - timedelta(days=10))
    uid = conn.execute('SELECT COALESCE(MAX(id), 0) + 1 FROM "user"').fetchone()[0]
    conn.execute('INSERT INTO "user" (id, created_at, updated_at, email, username, owner, roles, first_name) '
                 "VALUES (?, ?, ?, 'sam.viewer@example.com', 'sam', 0, 4, 'Sam')", (uid, created, created))
    viewer = conn.execute("SELECT id FROM role WHERE name = 'Viewer'").fetchone()
    if viewer is not None:
        rid = conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM user_role").fetchone()[0]
        conn.execute("INSERT INTO user_role (id, created_at, updated_at, user_id, role_id) VALUES (?, ?, ?, ?, ?)",
                     (rid, created, created, uid, viewer[0]))
