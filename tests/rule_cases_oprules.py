"""Firing and quiet cases of the issue-18 rules on hand-built history DBs: the environment-aware
trigger drift (MAGE-OPS-009/010), settings drift (MAGE-OPS-014), hung runs (MAGE-OPS-015),
scheduler stalls (MAGE-OPS-016), unbounded history (MAGE-OPS-017) and API-trigger tokens
readable through the run lists (MAGE-SEC-030).

Each case writes a tiny Mage DB (tests/history_support.py) next to an inventory with pipeline
``sales_revenue_daily`` and its YAML trigger ``daily``; the firing and quiet cases of a rule
differ in one row or one setting. ``CASES``: (rule_id, label, run(tmp_path) -> findings, expected).
"""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from history_support import empty_history_db, insert
from inventory_factory import make_inventory
from rule_cases_security import account, api_trigger, make_scan

import auditkit.rules  # noqa: F401  (registers the catalogue)
from auditkit.engine.base import REGISTRY, RuleContext
from auditkit.readers.history import open_history

PIPELINE = "sales_revenue_daily"
T0 = "2026-03-01 00:00:00.000000"
CANARY_TOKEN = "c4n4ry70k3nd0n07l34k0000000000ff"
CANARY_VALUE = "canary-variable-value-never-shown"


def stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S.%f")


def schedule(sid: int = 1, name: str = "daily", **overrides) -> tuple[str, dict]:
    row = {"id": sid, "name": name, "pipeline_uuid": PIPELINE, "schedule_type": "TIME",
           "schedule_interval": "@daily", "status": "ACTIVE", "start_time": T0, "settings": {},
           "variables": {}, "token": CANARY_TOKEN}
    row.update(overrides)
    return ("pipeline_schedule", row)


def run_row(rid: int, created: datetime, status: str = "COMPLETED", minutes: float = 10, pipeline: str = PIPELINE,
            sid: int = 1) -> tuple[str, dict]:
    done = status in ("COMPLETED", "FAILED")
    return ("pipeline_run", {"id": rid, "pipeline_uuid": pipeline, "pipeline_schedule_id": sid, "status": status,
                             "execution_date": stamp(created), "created_at": created.strftime("%Y-%m-%d %H:%M:%S"),
                             "started_at": stamp(created + timedelta(seconds=5)) if status != "INITIAL" else None,
                             "completed_at": stamp(created + timedelta(minutes=minutes)) if done else None})


def trigger(**overrides) -> dict:
    """The YAML trigger ``daily`` as the DB row of :func:`schedule` holds it."""
    return {"start_time": "2026-03-01 00:00:00", **overrides}


DEFAULT_TRIGGERS = (trigger(),)


def run_rule(rule_id: str, db_rows, *, triggers=DEFAULT_TRIGGERS, pipelines=({},), mage_env=None, thresholds=None,
             security=None):
    """``run(tmp_path)``: write ``db_rows`` to a fresh DB, then run one rule on it."""
    def run(tmp_path: Path):
        path = tmp_path / f"{rule_id}.db"
        conn = empty_history_db(path)
        for table, row in db_rows:
            insert(conn, table, **row)
        conn.close()
        history = open_history(str(path))
        assert history is not None and history.available, history and history.problems
        ctx = RuleContext(inventory=make_inventory(pipelines=list(pipelines), triggers=list(triggers)),
                          history=history, security=security, mage_env=mage_env,
                          thresholds={rule_id: thresholds} if thresholds else {})
        return list(REGISTRY[rule_id](ctx).check())
    return run


DAY = datetime(2026, 3, 1)
COMPLETED = [run_row(i, DAY + timedelta(days=i)) for i in range(1, 4)]          # 10 min each
NEWEST = run_row(10, DAY + timedelta(days=6))
HOURLY = schedule(schedule_interval="@hourly")


def hourly_runs(skip: range = range(0)) -> list[tuple[str, dict]]:
    """A run created each hour of 1 March (a minute past), except the hours in ``skip``."""
    return [run_row(h + 1, DAY + timedelta(hours=h, minutes=1)) for h in range(24) if h not in skip]


def api_runs(hours: range) -> list[tuple[str, dict]]:
    """Runs started through the API at half past the given hours (they carry a partition)."""
    out = []
    for h in hours:
        table, row = run_row(100 + h, DAY + timedelta(hours=h, minutes=30))
        out.append((table, {**row, "variables": {"execution_partition": f"1/2026030{h}"}}))
    return out


def history_of_age(first_id: int, first: datetime) -> list[tuple[str, dict]]:
    return [run_row(first_id, first), run_row(first_id + 1, DAY)]


VIEWER = account("v1", roles=["Viewer"])
SEC_RUNS = [schedule(schedule_type="API", schedule_interval=None), run_row(1, DAY)]

CASES = [
    # --- MAGE-OPS-009: a trigger meant for this environment never synced ---
    ("MAGE-OPS-009", "envs hold the audited environment", run_rule(
        "MAGE-OPS-009", [], triggers=(trigger(envs=["prod"]),), mage_env="prod"), 1),
    ("MAGE-OPS-009", "envs leave out the audited environment", run_rule(
        "MAGE-OPS-009", [], triggers=(trigger(envs=["staging"]),), mage_env="prod"), 0),
    ("MAGE-OPS-009", "environment unknown: an env-restricted trigger is not judged", run_rule(
        "MAGE-OPS-009", [], triggers=(trigger(envs=["staging"]),)), 0),
    ("MAGE-OPS-009", "inactive trigger in code is synced too", run_rule(
        "MAGE-OPS-009", [], triggers=(trigger(status="inactive"),)), 1),
    ("MAGE-OPS-009", "a trigger Mage cannot load is MAGE-OPS-001's", run_rule(
        "MAGE-OPS-009", [], triggers=(trigger(valid=False, problem="unknown key(s): tags"),)), 0),
    # --- MAGE-OPS-010: env-excluded schedules still active ---
    ("MAGE-OPS-010", "the schedule's YAML entry no longer loads: MAGE-OPS-001's, not 'not in code'", run_rule(
        "MAGE-OPS-010", [schedule()], triggers=(trigger(valid=False, problem="unknown key(s): tags"),)), 0),
    ("MAGE-OPS-010", "envs narrowed to staging, prod DB", run_rule(
        "MAGE-OPS-010", [schedule()], triggers=(trigger(envs=["staging"]),), mage_env="prod"), 1),
    ("MAGE-OPS-010", "envs narrowed to staging, staging DB", run_rule(
        "MAGE-OPS-010", [schedule()], triggers=(trigger(envs=["staging"]),), mage_env="staging"), 0),
    ("MAGE-OPS-010", "env inferred from the other triggers the DB holds", run_rule(
        "MAGE-OPS-010", [schedule(), schedule(2, "hourly"), schedule(3, "weekly")],
        triggers=(trigger(envs=["staging"]), trigger(name="hourly", envs=["prod"]),
                  trigger(name="weekly", envs=["prod"]))), 1),
    # --- MAGE-OPS-014: settings drift ---
    ("MAGE-OPS-014", "SLA edited in the UI", run_rule("MAGE-OPS-014", [schedule(sla=7200)]), 1),
    ("MAGE-OPS-014", "a timeout set only in the DB", run_rule("MAGE-OPS-014", [schedule(settings={"timeout": 10800})]),
     1),
    ("MAGE-OPS-014", "a variable key added in the UI (keys only)", run_rule(
        "MAGE-OPS-014", [schedule(variables={"io_profile": "prod", "api_key": CANARY_VALUE})],
        triggers=(trigger(variable_keys=["io_profile"]),)), 1),
    ("MAGE-OPS-014", "same settings; absent keys equal Mage's defaults", run_rule(
        "MAGE-OPS-014", [schedule(settings={"skip_if_previous_running": False}, variables={"io_profile": "x"})],
        triggers=(trigger(variable_keys=["io_profile"]),)), 0),
    ("MAGE-OPS-014", "@once trigger made inactive by Mage after its run", run_rule(
        "MAGE-OPS-014", [schedule(schedule_interval="@once", status="INACTIVE")],
        triggers=(trigger(schedule_interval="@once"),)), 0),
    ("MAGE-OPS-014", "ignored field", run_rule("MAGE-OPS-014", [schedule(sla=7200)],
                                               thresholds={"ignore_fields": ["sla"]}), 0),
    # --- MAGE-OPS-015: hung runs ---
    ("MAGE-OPS-015", "RUNNING for days, p95 10 minutes", run_rule(
        "MAGE-OPS-015", [schedule(), *COMPLETED, run_row(9, DAY + timedelta(days=4), "RUNNING"), NEWEST]), 1),
    ("MAGE-OPS-015", "RUNNING for 20 minutes (under min_open_s)", run_rule(
        "MAGE-OPS-015", [schedule(), *COMPLETED, run_row(9, DAY + timedelta(days=6) - timedelta(minutes=20), "RUNNING"),
                         NEWEST]), 0),
    ("MAGE-OPS-015", "INITIAL but later runs of the pipeline started (a moving queue)", run_rule(
        "MAGE-OPS-015", [schedule(), *COMPLETED, run_row(9, DAY + timedelta(days=4), "INITIAL"), NEWEST]), 0),
    ("MAGE-OPS-015", "streaming pipeline RUNNING by design", run_rule(
        "MAGE-OPS-015", [schedule(), *COMPLETED, run_row(9, DAY + timedelta(days=4), "RUNNING"), NEWEST],
        pipelines=({"pipeline_type": "streaming"},)), 0),
    # --- MAGE-OPS-016: scheduler stalls ---
    ("MAGE-OPS-016", "six hours without runs, hourly schedule due", run_rule(
        "MAGE-OPS-016", [HOURLY, *hourly_runs(range(8, 14))]), 1),
    ("MAGE-OPS-016", "API runs in the gap do not hide it (the web server makes them)", run_rule(
        "MAGE-OPS-016", [HOURLY, *hourly_runs(range(8, 14)), *api_runs(range(9, 13))]), 1),
    ("MAGE-OPS-016", "a run every hour", run_rule("MAGE-OPS-016", [HOURLY, *hourly_runs()]), 0),
    ("MAGE-OPS-016", "the gap but no active schedule due", run_rule(
        "MAGE-OPS-016", [schedule(schedule_interval="@hourly", status="INACTIVE"), *hourly_runs(range(8, 14))]), 0),
    # --- MAGE-OPS-017: unbounded history ---
    ("MAGE-OPS-017", "runs back 14 months, lowest id 1", run_rule(
        "MAGE-OPS-017", [schedule(), *history_of_age(1, DAY - timedelta(days=420))]), 1),
    ("MAGE-OPS-017", "same age but the oldest ids were purged", run_rule(
        "MAGE-OPS-017", [schedule(), *history_of_age(5000, DAY - timedelta(days=420))]), 0),
    ("MAGE-OPS-017", "young history", run_rule(
        "MAGE-OPS-017", [schedule(), *history_of_age(1, DAY - timedelta(days=30))]), 0),
    # --- MAGE-SEC-030: tokens readable through the run lists ---
    ("MAGE-SEC-030", "a viewer and an API trigger with runs", run_rule(
        "MAGE-SEC-030", SEC_RUNS, security=make_scan(accounts=[VIEWER], api_triggers=[api_trigger()])), 1),
    ("MAGE-SEC-030", "only owners and admins", run_rule(
        "MAGE-SEC-030", SEC_RUNS, security=make_scan(accounts=[account("o1", is_owner=True)],
                                                     api_triggers=[api_trigger()])), 0),
    ("MAGE-SEC-030", "the API trigger never ran", run_rule(
        "MAGE-SEC-030", SEC_RUNS[:1], security=make_scan(accounts=[VIEWER], api_triggers=[api_trigger()])), 0),
]
