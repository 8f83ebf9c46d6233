"""Streamed passes over the big tables, one primary-key range at a time.

Both passes walk ``pipeline_run`` ids in ranges (:func:`ranges.ordered_ranges`): one short
statement per range (block_run is read along its ``pipeline_run_id`` index, so the database
does not sort), fetched ahead on two connections while this thread sweeps. The client holds a
few ranges, not the history, and no statement runs long enough to meet the statement timeout.

* :func:`block_pass` (Postgres): block_run per run -> exact block-level peaks (per pipeline and
  overall) and block counts per (pipeline, block, status). Postgres counts in the server and
  packs the spans into 8 bytes a block run (:func:`queries.block_range_pg`). SQLite reads
  block_run in rowid ranges instead (:mod:`blocks_sqlite`), sharing :class:`BlockPass`,
  :func:`sweep_with_retry` and :func:`stats_frame`.
* :func:`run_concurrency` (Postgres): pipeline runs -> exact run-level peaks and timeline.
"""
from __future__ import annotations

import base64
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy import text

from . import queries as q
from .frames import US, distinct_values
from .ranges import PassFailed, id_bounds, ordered_ranges
from .runs_local import RunConcurrency
from .sweep import StreamSweep

PG_EPOCH_US = 946_684_800 * US          # Postgres counts microseconds from 2000-01-01
NULL_US = np.iinfo(np.int64).min        # q.NULL_TIME: a missing timestamp
STAT_COLUMNS = ["pipeline_uuid", "block", "status", "block_runs", "with_error"]
RUN_RECORD = np.dtype([("id", ">i4"), ("code", ">i2"), ("created", ">i8"), ("start", ">i8"), ("end", ">i8")])
HEAD_RECORD = np.dtype([("id", ">i4"), ("code", ">i2"), ("created", ">i8"), ("n", ">i4")])
BODY_RECORD = np.dtype([("offset", ">i4"), ("duration", ">i4")])
WIDE_RECORD = np.dtype([("id", ">i4"), ("start", ">i8"), ("end", ">i8")])


@dataclass
class BlockPass:
    """Block-level results of one streamed pass over block_run."""

    stats: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=STAT_COLUMNS))
    peaks: dict[str, int] = field(default_factory=dict)
    overall_peak: int = 0


def sweep_with_retry(groups: int, passes, bucket: float | None = None) -> StreamSweep:
    """Run ``passes(sweep)`` once; should the default slack prove too small, once more with
    the slack the first pass measured (exact either way)."""
    sweep = StreamSweep(groups, bucket=bucket)
    passes(sweep, first=True)
    if not sweep.finish():
        sweep = StreamSweep(groups, slack=sweep.needed_slack, bucket=bucket)
        passes(sweep, first=False)
        sweep.finish()
    return sweep


# --- block pass ------------------------------------------------------------------------------

def block_pass(h, pipelines: list[str]) -> BlockPass:
    """Postgres: stream block_run once (twice if the sweep's slack was too small); the server
    joins pipeline_run, applies the window and counts (SQLite: :mod:`blocks_sqlite`)."""
    bounds = id_bounds(h) if h.has("pipeline_run", "block_run") else None
    if bounds is None or not pipelines:
        return BlockPass()
    stats: list[pd.DataFrame] = []
    sql, stats_sql = q.block_range_pg(h, pipelines), q.block_stats_pg(h)

    def one_pass(sweep: StreamSweep, first: bool) -> None:
        fetch = lambda db, a, b: _pg_block_range(h, db, sql, stats_sql, a, b)  # noqa: E731
        for codes, starts, ends, created, part in ordered_ranges(h, "block_pass", *bounds, fetch):
            sweep.feed(codes, starts, ends, created)
            if first:
                stats.append(part)

    try:
        sweep = sweep_with_retry(len(pipelines), one_pass)
    except PassFailed:
        return BlockPass()
    frame = _sum_stats(stats)
    peaks = {pipelines[c]: p for c, p in sweep.peak_of().items()}
    return BlockPass(frame.sort_values(STAT_COLUMNS[:3], ignore_index=True), peaks, sweep.overall)


def stats_frame(rows: list[tuple]) -> pd.DataFrame:
    """Block counts (rows of STAT_COLUMNS) as a frame sorted by pipeline, block, status."""
    frame = pd.DataFrame(rows, columns=STAT_COLUMNS)
    if frame.empty:
        return frame
    frame[["block_runs", "with_error"]] = frame[["block_runs", "with_error"]].astype(np.int64)
    return frame.sort_values(STAT_COLUMNS[:3], ignore_index=True)


def _sum_stats(parts: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [p for p in parts if not p.empty]
    if not frames:
        return pd.DataFrame(columns=STAT_COLUMNS)
    frame = pd.concat(frames, ignore_index=True)
    frame[["block_runs", "with_error"]] = frame[["block_runs", "with_error"]].apply(pd.to_numeric).astype(np.int64)
    return frame.groupby(STAT_COLUMNS[:3], as_index=False)[["block_runs", "with_error"]].sum()


def _decode(value, dtype: np.dtype) -> np.ndarray:
    """A base64 column (Postgres ``encode(..., 'base64')``, line breaks included) as records."""
    if not value:
        return np.empty(0, dtype)
    return np.frombuffer(base64.b64decode(value), dtype=dtype)


def _pg_time(raw: np.ndarray) -> np.ndarray:
    """Postgres timestamps (int64 microseconds since 2000) as float64 epoch microseconds."""
    values = raw.astype(np.int64)
    return np.where(values == NULL_US, np.nan, (values + PG_EPOCH_US).astype(np.float64))


def _pg_block_range(h, db, sql: str, stats_sql: str, low: int, high: int):
    """One range on Postgres: packed spans (run headers, 8-byte bodies, rare wide records)
    and the range's counts per (pipeline, block, status)."""
    params = {**h.params(), "low": low, "high": high}
    head_text, body_text, wide_text = db.execute(text(sql), params).one()
    stats = pd.DataFrame(db.execute(text(stats_sql), params).fetchall(), columns=STAT_COLUMNS)
    heads, body, wide = (_decode(head_text, HEAD_RECORD), _decode(body_text, BODY_RECORD),
                         _decode(wide_text, WIDE_RECORD))
    created = _pg_time(heads["created"])
    codes = np.repeat(heads["code"].astype(np.int64), heads["n"].astype(np.int64))
    starts = np.repeat(created, heads["n"].astype(np.int64)) + body["offset"].astype(np.float64)
    ends = starts + body["duration"].astype(np.float64)
    if len(wide):
        by_id = dict(zip(heads["id"].astype(np.int64).tolist(), heads["code"].astype(np.int64).tolist()))
        codes = np.concatenate([codes, [by_id[i] for i in wide["id"].astype(np.int64).tolist()]])
        starts = np.concatenate([starts, _pg_time(wide["start"])])
        ends = np.concatenate([ends, _pg_time(wide["end"])])
    return codes.astype(np.int64), starts, ends, created, stats


# --- pipeline-run concurrency (Postgres) -----------------------------------------------------

def run_concurrency(h, bucket_seconds: int):
    """Exact pipeline-run peaks and timeline from runs streamed in id order."""
    empty = RunConcurrency({}, 0, pd.DataFrame(columns=["pipeline_uuid", "bucket", "running"]))
    pipelines = distinct_values(h, "pipeline_uuid")
    bounds = id_bounds(h) if h.has("pipeline_run") else None
    if bounds is None or not pipelines:
        return empty
    sql = q.run_range_pg(h, pipelines)

    def fetch(db, a, b):
        records = _decode(db.execute(text(sql), {**h.params(), "low": a, "high": b}).scalar(), RUN_RECORD)
        starts, created = _pg_time(records["start"]), _pg_time(records["created"])
        ends = np.fmax(_pg_time(records["end"]), starts)
        ok = ~np.isnan(starts)
        return records["code"].astype(np.int64)[ok], starts[ok], ends[ok], created

    def one_pass(sweep: StreamSweep, first: bool) -> None:
        for codes, starts, ends, created in ordered_ranges(h, "run_concurrency", *bounds, fetch):
            sweep.feed(codes, starts, ends, created)

    try:
        sweep = sweep_with_retry(len(pipelines), one_pass, bucket=bucket_seconds * US)
    except PassFailed:
        return empty
    codes, buckets, running = sweep.timeline()
    timeline = pd.DataFrame({"pipeline_uuid": [pipelines[c] for c in codes], "bucket": buckets / US,
                             "running": running})
    return RunConcurrency({pipelines[c]: p for c, p in sweep.peak_of().items()}, sweep.overall, timeline)
