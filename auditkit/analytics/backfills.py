"""Backfills: inventory, intervals, run limit, runs by status, progress, duration, gaps.

A started backfill creates one pipeline_run per interval start (``execution_date``), all
tied to it by ``backfill_id``. Expected intervals come from start/end/interval; a gap is a
run of interval starts with no pipeline_run at all.
"""
from __future__ import annotations

from datetime import datetime

import pandas as pd

from dateutil.relativedelta import relativedelta

from auditkit.readers.history import queries as q

from ._common import as_dict, history_cached, numeric, tidy_names, timestamps, to_int

MAX_INTERVALS = 100_000
STEP = {"SECOND": "seconds", "MINUTE": "minutes", "HOUR": "hours", "DAY": "days", "WEEK": "weeks",
        "MONTH": "months", "YEAR": "years"}
INVENTORY_COLUMNS = ["backfill_id", "name", "pipeline", "status", "interval_type", "interval_units",
                     "start_datetime", "end_datetime", "run_limit", "expected_runs", "runs",
                     "completed_runs", "failed_runs", "running_runs", "pending_runs",
                     "cancelled_runs", "progress", "started_at", "finished_at", "duration_s",
                     "mean_run_s"]


def interval_starts(start: datetime, end: datetime, interval_type: str, units) -> list[datetime] | None:
    """Interval start datetimes from ``start`` to ``end`` inclusive; None when not computable
    (CUSTOM interval, missing bounds, non-positive units)."""
    step_name = STEP.get(str(interval_type or "").upper())
    units = to_int(units)
    if step_name is None or not units or units <= 0 or start is None or end is None \
            or pd.isna(start) or pd.isna(end):
        return None
    step = relativedelta(**{step_name: units})
    out: list[datetime] = []
    try:
        current = pd.Timestamp(start).to_pydatetime()
        end = pd.Timestamp(end).to_pydatetime()
        while current <= end and len(out) < MAX_INTERVALS:
            out.append(current)
            current = current + step
    except (OverflowError, ValueError):       # stepping past year 9999
        pass
    return out


def _runs_by_status(history) -> pd.DataFrame:
    cols = ["backfill_id", "status", "runs", "execution_dates", "first_execution", "last_execution",
            "first_started", "last_completed", "duration_sum_s"]
    frame = history.cached("backfill_runs", lambda: history.query(
        q.backfill_runs(history), "backfill_runs", columns=cols))
    return numeric(frame, ["backfill_id", "runs", "execution_dates", "duration_sum_s"])


@history_cached
def backfill_inventory(history) -> pd.DataFrame:
    """One row per backfill with its configuration and run counts by outcome.

    ``progress`` = completed runs / expected intervals; ``duration_s`` = started_at to
    completed_at/failed_at (or to the last completed run while RUNNING)."""
    if history is None or not history.has("backfill"):
        return pd.DataFrame(columns=INVENTORY_COLUMNS)
    fills = tidy_names(history.cached("backfills", lambda: history.query(
        q.backfills(history), "backfills", needs=("backfill",))))
    if fills.empty:
        return pd.DataFrame(columns=INVENTORY_COLUMNS)
    fills = timestamps(fills, ["start_datetime", "end_datetime", "started_at", "completed_at",
                               "failed_at", "created_at"])
    runs = _runs_by_status(history)
    runs = timestamps(runs, ["last_completed"])
    rows = []
    for b in fills.itertuples(index=False):
        mine = runs[runs["backfill_id"] == b.id]
        by_status = mine.groupby(mine["status"].astype(str).str.upper())["runs"].sum()
        starts = interval_starts(b.start_datetime, b.end_datetime, b.interval_type, b.interval_units)
        completed = int(by_status.get("COMPLETED", 0))
        finished_at = b.completed_at if pd.notna(b.completed_at) else b.failed_at
        if pd.isna(finished_at) and not mine.empty:
            finished_at = mine["last_completed"].max()
        duration = (finished_at - b.started_at).total_seconds() \
            if pd.notna(finished_at) and pd.notna(b.started_at) else None
        done = mine[mine["status"].astype(str).str.upper() == "COMPLETED"]
        mean_run = (done["duration_sum_s"].sum() / done["runs"].sum()) if done["runs"].sum() else None
        rows.append(dict(
            backfill_id=int(b.id), name=b.name, pipeline=b.pipeline,
            status=b.status if isinstance(b.status, str) else None,
            interval_type=b.interval_type, interval_units=to_int(b.interval_units),
            start_datetime=b.start_datetime, end_datetime=b.end_datetime,
            run_limit=to_int(as_dict(b.settings).get("pipeline_run_limit")),
            expected_runs=len(starts) if starts is not None else None,
            runs=int(mine["runs"].sum()), completed_runs=completed,
            failed_runs=int(by_status.get("FAILED", 0)), running_runs=int(by_status.get("RUNNING", 0)),
            pending_runs=int(by_status.get("INITIAL", 0)), cancelled_runs=int(by_status.get("CANCELLED", 0)),
            progress=round(min(completed / len(starts), 1.0), 4) if starts else None,
            started_at=b.started_at, finished_at=finished_at, duration_s=duration, mean_run_s=mean_run))
    return pd.DataFrame(rows, columns=INVENTORY_COLUMNS).sort_values("backfill_id", ignore_index=True)


@history_cached
def backfill_gaps(history) -> pd.DataFrame:
    """Stretches of expected interval starts with no pipeline_run, per started backfill:
    ``backfill_id, name, gap_start, gap_end, missing_intervals``."""
    cols = ["backfill_id", "name", "gap_start", "gap_end", "missing_intervals"]
    inventory = backfill_inventory(history)
    started = inventory[inventory["status"].notna()] if not inventory.empty else inventory
    if started.empty:
        return pd.DataFrame(columns=cols)
    dates = history.cached("backfill_dates", lambda: history.query(
        q.backfill_execution_dates(history), "backfill_execution_dates",
        columns=["backfill_id", "execution_date"]))
    dates = timestamps(numeric(dates, ["backfill_id"]), ["execution_date"])
    rows = []
    for b in started.itertuples(index=False):
        starts = interval_starts(b.start_datetime, b.end_datetime, b.interval_type, b.interval_units)
        if not starts:
            continue
        have = set(dates.loc[dates["backfill_id"] == b.backfill_id, "execution_date"].dt.floor("s"))
        gap: list[datetime] = []
        for start in starts + [None]:
            if start is not None and pd.Timestamp(start).floor("s") not in have:
                gap.append(start)
                continue
            if gap:
                rows.append(dict(backfill_id=b.backfill_id, name=b.name, gap_start=gap[0], gap_end=gap[-1],
                                 missing_intervals=len(gap)))
                gap = []
    return pd.DataFrame(rows, columns=cols)
