"""Firing and quiet cases of the operations rules that read the run history and had no case
built from rows: trigger drift (MAGE-OPS-008/009/010) and failed backfills (MAGE-OPS-011).

Each case writes a tiny run-history DB (tests/history_support.py) next to an inventory with one
pipeline and its YAML trigger, so the difference between the firing and the quiet case is one
DB row. The other history rules are tested on the demo history (tests/test_rules_operations.py).

``CASES``: (rule_id, label, run(tmp_path) -> findings, expected number of findings).
"""
from __future__ import annotations

from pathlib import Path

from auditkit.readers.history import open_history
from history_support import empty_history_db, insert
from inventory_factory import make_inventory
from rules_runtime_support import findings

PIPELINE = "sales_revenue_daily"          # the inventory factory's default pipeline
T0 = "2026-03-01 00:00:00.000000"


def schedule(sid: int, name: str, pipeline: str = PIPELINE, status: str = "ACTIVE") -> dict:
    return {"id": sid, "name": name, "pipeline_uuid": pipeline, "schedule_type": "TIME",
            "schedule_interval": "@daily", "status": status, "start_time": T0}


def backfill(status: str, run_statuses: list[str]) -> list[tuple[str, dict]]:
    """A three-day backfill (1-3 Jan, run limit 2) with one run per day in ``run_statuses``."""
    rows = [("backfill", {"id": 1, "name": "Reload Q1", "pipeline_uuid": PIPELINE, "status": status,
                          "interval_type": "DAY", "interval_units": 1, "settings": {"pipeline_run_limit": 2},
                          "start_datetime": "2026-01-01 00:00:00.000000",
                          "end_datetime": "2026-01-03 00:00:00.000000", "started_at": T0})]
    for day, run_status in enumerate(run_statuses, start=1):
        rows.append(("pipeline_run", {"id": day, "pipeline_uuid": PIPELINE, "backfill_id": 1, "status": run_status,
                                      "execution_date": f"2026-01-{day:02d} 00:00:00.000000",
                                      "created_at": T0, "started_at": T0,
                                      "completed_at": T0 if run_status == "COMPLETED" else None}))
    return rows


def history_case(rule_id: str, db_rows: list[tuple[str, dict]], *, pipelines=({},), triggers=({},)):
    """``run(tmp_path)``: write ``db_rows`` (table, row) to a fresh history DB and run the rule.

    The default inventory has pipeline ``sales_revenue_daily`` with the YAML trigger ``daily``."""
    def run(tmp_path: Path):
        path = tmp_path / f"{rule_id}.db"
        conn = empty_history_db(path)
        for table, row in db_rows:
            insert(conn, table, **row)
        conn.close()
        history = open_history(str(path))
        assert history is not None and history.available, history and history.problems
        inventory = make_inventory(pipelines=list(pipelines), triggers=list(triggers))
        return findings(rule_id, inventory=inventory, history=history)
    return run


DAILY = ("pipeline_schedule", schedule(1, "daily"))

CASES = [
    ("MAGE-OPS-008", "DB trigger of a deleted pipeline",
     history_case("MAGE-OPS-008", [DAILY, ("pipeline_schedule", schedule(2, "nightly", "old_customer_sync"))]), 1),
    ("MAGE-OPS-008", "the pipeline exists in the repo",
     history_case("MAGE-OPS-008", [DAILY, ("pipeline_schedule", schedule(2, "nightly", "old_customer_sync"))],
                  pipelines=({}, {"pipeline": "old_customer_sync"})), 0),
    ("MAGE-OPS-009", "YAML trigger never synced", history_case("MAGE-OPS-009", []), 1),
    ("MAGE-OPS-009", "YAML trigger in the DB", history_case("MAGE-OPS-009", [DAILY]), 0),
    ("MAGE-OPS-010", "active UI-only trigger",
     history_case("MAGE-OPS-010", [DAILY, ("pipeline_schedule", schedule(2, "hourly_refresh"))]), 1),
    ("MAGE-OPS-010", "UI-only trigger is inactive",
     history_case("MAGE-OPS-010", [DAILY, ("pipeline_schedule", schedule(2, "hourly_refresh", status="INACTIVE"))]), 0),
    ("MAGE-OPS-010", "trigger saved in code",
     history_case("MAGE-OPS-010", [DAILY, ("pipeline_schedule", schedule(2, "hourly_refresh"))],
                  triggers=({}, {"name": "hourly_refresh"})), 0),
    ("MAGE-OPS-011", "backfill with a failed run",
     history_case("MAGE-OPS-011", [DAILY] + backfill("COMPLETED", ["COMPLETED", "FAILED", "COMPLETED"])), 1),
    ("MAGE-OPS-011", "backfill with a day never run",
     history_case("MAGE-OPS-011", [DAILY] + backfill("RUNNING", ["COMPLETED", "COMPLETED"])), 1),
    ("MAGE-OPS-011", "backfill completed every day",
     history_case("MAGE-OPS-011", [DAILY] + backfill("COMPLETED", ["COMPLETED"] * 3)), 0),
]
