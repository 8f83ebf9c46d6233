"""Operational hygiene read from the history (reference section 14): runs that hang, periods
when the scheduler started nothing although schedules were due, and how big and old the
history has grown with no purge in sight (Mage never deletes run rows; section 13).
"""
from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from croniter import croniter

from ._common import as_dict, inventory_frame
from .runs import PRESET_CRON, _reference_now, run_health
from .schedule_sync import is_backfill_schedule

HUNG_COLUMNS = ["pipeline", "run_id", "status", "since", "open_s", "limit_s", "p95_s", "backfill_id"]
STALL_COLUMNS = ["start", "end", "duration_s", "due_ticks", "schedules"]
MAX_TICKS_PER_GAP = 10_000
EPOCH = datetime(1970, 1, 1)


def hung_runs(history, inv=None, *, factor: float = 5.0, floor_s: float = 6 * 3600,
              min_open_s: float = 1800) -> pd.DataFrame:
    """Runs still RUNNING or INITIAL at the end of the window for longer than ``factor`` x
    their pipeline's p95 completed duration (at least ``min_open_s``), or ``floor_s`` for a
    pipeline with no completed run. RUNNING counts from its start; INITIAL from its creation,
    and only when no run of its pipeline started since (a queue that moves is not hung).
    Streaming pipelines, whose runs stay RUNNING by design, are left out."""
    if history is None:
        return pd.DataFrame(columns=HUNG_COLUMNS)
    runs = history.open_runs()
    end = _reference_now(history)
    if runs.empty or end is None:
        return pd.DataFrame(columns=HUNG_COLUMNS)
    pipelines = inventory_frame(inv, "pipelines", ["pipeline", "pipeline_type"])
    streaming = set(pipelines.loc[pipelines["pipeline_type"].astype(str) == "streaming", "pipeline"].astype(str))
    health = run_health(history)
    p95 = dict(zip(health["pipeline"].astype(str), health["duration_p95_s"])) if len(health) else {}
    rows = []
    for r in runs.itertuples(index=False):
        pipeline, status = str(r.pipeline_uuid), str(r.status).upper()
        if pipeline in streaming:
            continue
        since = r.started_at if status == "RUNNING" and pd.notna(r.started_at) else r.created_at
        if pd.isna(since):
            continue
        if status == "INITIAL" and pd.notna(r.last_started_at) and r.last_started_at > r.created_at:
            continue
        typical = p95.get(pipeline)
        limit = max(factor * float(typical), min_open_s) if typical is not None and pd.notna(typical) else floor_s
        open_s = (pd.Timestamp(end) - pd.Timestamp(since)).total_seconds()
        if open_s > limit:
            rows.append({"pipeline": pipeline, "run_id": int(r.run_id), "status": status, "since": since,
                         "open_s": open_s, "limit_s": limit, "p95_s": typical, "backfill_id": r.backfill_id})
    return pd.DataFrame(rows, columns=HUNG_COLUMNS).sort_values("open_s", ascending=False, ignore_index=True)


def _epoch_s(value) -> float:
    stamp = pd.Timestamp(value)
    return (stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp).timestamp()


def _naive(seconds: float) -> datetime:
    return EPOCH + timedelta(seconds=round(float(seconds), 3))


def _cron(interval) -> str | None:
    text = str(interval or "").strip()
    cron = PRESET_CRON.get(text, text)
    return cron if cron and not cron.startswith("@") and croniter.is_valid(cron) else None


def _active_time_schedules(history) -> list[tuple[str, str, datetime]]:
    """(name, cron, active from) of the DB's active repeating TIME schedules."""
    out = []
    for r in history.schedules().to_dict("records"):
        if is_backfill_schedule(r) or str(r.get("status") or "").upper() != "ACTIVE" \
                or str(r.get("schedule_type") or "").upper() != "TIME":
            continue
        cron = _cron(r.get("schedule_interval"))
        starts = [pd.Timestamp(t) for t in (r.get("start_time"), r.get("last_enabled_at")) if t is not None and pd.notna(t)]
        if cron:
            out.append((f"{r.get('pipeline_uuid')}/{r.get('name')}", cron,
                        max(starts).to_pydatetime() if starts else datetime.min))
    return out


def _due_ticks(cron: str, start: datetime, end: datetime) -> int:
    try:
        it = croniter(cron, start)
        count = 0
        while count < MAX_TICKS_PER_GAP and it.get_next(datetime) < end:
            count += 1
        return count
    except (ValueError, OverflowError, TypeError, KeyError):
        return 0


def scheduler_stalls(history, *, min_stall_s: float = 2 * 3600, grace_s: float = 600,
                     top: int = 10) -> pd.DataFrame:
    """The longest periods of at least ``min_stall_s`` in which the scheduler created no
    pipeline run (API, "run now" and backfill runs do not count: the web server makes them)
    although an active repeating TIME schedule of the DB was due (a cron or preset tick more
    than ``grace_s`` after the period began and before it ended). The window runs from
    ``since`` (else the first run) to ``until`` (else the newest run), so a copied history is
    not read as a stall up to today."""
    if history is None:
        return pd.DataFrame(columns=STALL_COLUMNS)
    times = history.run_creation_seconds()
    end = _reference_now(history)
    if len(times) == 0 or end is None:
        return pd.DataFrame(columns=STALL_COLUMNS)
    first = _epoch_s(history.since) if history.since is not None else times[0]
    points = np.concatenate([[first], times, [max(_epoch_s(end), times[-1])]])
    gaps = np.diff(points)
    schedules = _active_time_schedules(history)
    rows = []
    for i in np.flatnonzero(gaps >= min_stall_s):
        start, stop = _naive(points[i]), _naive(points[i + 1])
        due, names = 0, []
        for name, cron, active_from in schedules:
            n = _due_ticks(cron, max(start + timedelta(seconds=grace_s), active_from), stop - timedelta(seconds=grace_s))
            if n:
                due += n
                names.append(name)
        if due:
            rows.append({"start": start, "end": stop, "duration_s": float(gaps[i]), "due_ticks": due,
                         "schedules": sorted(names)})
    frame = pd.DataFrame(rows, columns=STALL_COLUMNS)
    return frame.sort_values("duration_s", ascending=False, ignore_index=True).head(top)


def retention_settings(inv) -> pd.DataFrame:
    """What the projects configure for cleanup: ``logging_config.retention_period`` (block logs,
    applied by ``mage clean-old-logs``) and ``variables_retention_period`` (block outputs).
    Neither deletes run rows: Mage has no setting that does."""
    projects = inventory_frame(inv, "projects", ["project", "metadata"])
    rows = []
    for p in projects.to_dict("records"):
        meta = as_dict(p.get("metadata"))
        rows.append({"project": p.get("project"),
                     "logs_retention": as_dict(meta.get("logging_config")).get("retention_period"),
                     "variables_retention": meta.get("variables_retention_period")})
    return pd.DataFrame(rows, columns=["project", "logs_retention", "variables_retention"])


def history_volume(history) -> dict:
    """The history's size for people: ``tables`` (rows, oldest row, bytes), ``months`` (growth),
    ``db_bytes``, ``oldest`` (the oldest pipeline run) and ``purged`` (True when the lowest
    pipeline run id left is well above 1, at least 100 and 5% of the highest: the oldest rows
    were deleted, so some purge exists; ids are never reused)."""
    if history is None or not history.available:
        return {"tables": pd.DataFrame(), "months": pd.DataFrame(), "db_bytes": None, "oldest": None, "purged": None}
    volume = history.volume()
    tables = volume["tables"]
    runs = tables[tables["table"] == "pipeline_run"]
    oldest = runs["oldest"].iloc[0] if len(runs) else None
    low = float(runs["min_id"].iloc[0]) if len(runs) and pd.notna(runs["min_id"].iloc[0]) else None
    high = float(runs["max_id"].iloc[0]) if low is not None else None
    purged = None if low is None else bool(low - 1 >= max(100.0, 0.05 * high))
    return {"tables": tables, "months": volume["months"], "db_bytes": volume["db_bytes"],
            "oldest": oldest, "purged": purged}
