"""Tidy views of a history for people asking questions in a notebook: one row per pipeline run
or block run, names instead of codes, timezone-aware datetimes and durations as timedeltas.

The analytics read the compact frames (:mod:`frames`, :mod:`passes`); these views are built
from them, or by one small query, only when a user asks. Relative windows (``"90d"``) count
back from the newest run in the history, so an old copy of a database reads like a live one.
"""
from __future__ import annotations

import json
import re
from datetime import timedelta

import pandas as pd

from .frames import with_names

RUN_VIEW_COLUMNS = ["run_id", "pipeline", "status", "trigger", "trigger_type", "backfill_id", "execution_date",
                    "created_at", "started_at", "completed_at", "duration", "queue_wait", "passed_sla"]
BLOCK_RUN_VIEW_COLUMNS = ["block_run_id", "run_id", "pipeline", "block", "status", "created_at",
                          "started_at", "completed_at", "duration"]
_RELATIVE = re.compile(r"^\s*(\d+)\s*([hdw])\s*$", re.IGNORECASE)
_UNIT = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}


def relative_span(value) -> timedelta | None:
    """``"90d"``, ``"12w"`` or ``"36h"`` as a timedelta; None for anything else."""
    match = _RELATIVE.match(value) if isinstance(value, str) else None
    return int(match.group(1)) * _UNIT[match.group(2).lower()] if match else None


def _utc(epoch_us: pd.Series) -> pd.Series:
    return pd.to_datetime(epoch_us, unit="us", utc=True)


def runs_view(h) -> pd.DataFrame:
    """One row per pipeline run of the window (see ``RUN_VIEW_COLUMNS``)."""
    frame = h.run_frame()
    if frame.empty:
        return _typed_empty(RUN_VIEW_COLUMNS)
    named = with_names(frame)
    schedules = h.schedules().set_index("schedule_id")
    created, started, completed = (_utc(named[c]) for c in ("created", "started", "completed"))
    view = pd.DataFrame({
        "run_id": named["id"].astype("Int64"),
        "pipeline": named["pipeline_uuid"].astype("string"),
        "status": named["status_name"].astype("string"),
        "trigger": named["schedule_id"].map(schedules["name"]).astype("string"),
        "trigger_type": named["schedule_id"].map(schedules["schedule_type"]).astype("string"),
        "backfill_id": named["backfill_id"].astype("Int64"),
        "execution_date": _utc(named["execution"]),
        "created_at": created, "started_at": started, "completed_at": completed,
        "duration": completed - started, "queue_wait": started - created,
        "passed_sla": named["passed_sla"].astype(bool),
    })
    return view.sort_values(["created_at", "run_id"]).reset_index(drop=True)


def block_runs_view(h, pipeline: str | None = None) -> pd.DataFrame:
    """One row per block run of the window's pipeline runs (of ``pipeline`` only, when given)."""
    c = h.col
    only = "AND pr.pipeline_uuid = :pipeline" if pipeline else ""
    sql = (f"SELECT br.id AS block_run_id, br.pipeline_run_id AS run_id, pr.pipeline_uuid AS pipeline, "
           f"br.block_uuid AS block, {h.d.text(c('block_run', 'status', 'br'))} AS status, "
           f"{c('block_run', 'created_at', 'br')} AS created_at, {c('block_run', 'started_at', 'br')} AS started_at, "
           f"{c('block_run', 'completed_at', 'br')} AS completed_at "
           f"FROM block_run br JOIN pipeline_run pr ON pr.id = br.pipeline_run_id "
           f"WHERE {h.in_window('pr')} {only} ORDER BY br.id")
    frame = h.query(sql, "block_runs_view", needs=("pipeline_run", "block_run"),
                    columns=BLOCK_RUN_VIEW_COLUMNS[:-1], extra={"pipeline": pipeline} if pipeline else None)
    if frame.empty:
        return _typed_empty(BLOCK_RUN_VIEW_COLUMNS)
    for column in ("created_at", "started_at", "completed_at"):
        frame[column] = pd.to_datetime(frame[column], errors="coerce", utc=True, format="mixed")
    frame["duration"] = frame["completed_at"] - frame["started_at"]
    for column in ("pipeline", "block", "status"):
        frame[column] = frame[column].astype("string")
    frame[["block_run_id", "run_id"]] = frame[["block_run_id", "run_id"]].astype("Int64")
    return frame[BLOCK_RUN_VIEW_COLUMNS]


def resolve_window(h, since, until) -> tuple:
    """``(since, until)`` with relative spans (``"90d"``) made absolute: ``since`` counts back
    from ``until`` (absolute) or from the newest run in the history."""
    span = relative_span(since)
    if span is None:
        return since, until
    anchor = pd.Timestamp(until) if until is not None and relative_span(until) is None else newest_run(h)
    if anchor is None:
        return None, until
    if anchor.tzinfo is not None:
        anchor = anchor.tz_convert("UTC").tz_localize(None)
    return (anchor - span).to_pydatetime(), until


def newest_run(h) -> pd.Timestamp | None:
    """Creation time of the newest pipeline run (naive UTC), whatever the window."""
    frame = h.query("SELECT MAX(created_at) AS newest FROM pipeline_run", "newest_run", columns=["newest"])
    if frame.empty or frame["newest"].isna().all():
        return None
    stamp = pd.to_datetime(frame["newest"].iloc[0], utc=True, format="mixed")
    return stamp.tz_localize(None)


def _typed_empty(columns: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype="string") for c in columns})
    for c in columns:
        if c.endswith("_at") or c == "execution_date":
            frame[c] = pd.Series(dtype="datetime64[ns, UTC]")
        elif c in ("duration", "queue_wait"):
            frame[c] = pd.Series(dtype="timedelta64[ns]")
        elif c.endswith("_id"):
            frame[c] = pd.Series(dtype="Int64")
    return frame



def variable_keys(schedules: pd.DataFrame) -> pd.DataFrame:
    """Replace the ``variables`` JSON of each schedule by its sorted keys (``variable_keys``,
    None when the JSON is missing or not an object): values may be secrets and never leave."""
    keys = []
    for text in schedules.get("variables", pd.Series(dtype=object)):
        try:
            value = json.loads(text) if isinstance(text, str) else text
        except ValueError:
            value = None
        keys.append(sorted(str(k) for k in value) if isinstance(value, dict) else None)
    return schedules.drop(columns=["variables"], errors="ignore").assign(variable_keys=keys)
