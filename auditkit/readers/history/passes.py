"""Streamed passes over the big tables, one primary-key range at a time.

Both passes walk ``pipeline_run`` ids in ranges (:func:`ranges.ordered_ranges`): one short
statement per range (block_run is read along its ``pipeline_run_id`` index, so neither database
sorts), fetched ahead on two connections while this thread sweeps. The client holds a few
ranges, not the history, and no statement runs long enough to meet the statement timeout.

* :func:`block_pass`: block_run per run -> exact block-level peaks (per pipeline and overall)
  and block counts per (pipeline, block, status). SQLite sends the stored text and a
  signature per run (see :func:`queries.block_range_sqlite`); Postgres counts in the server and
  packs the spans into 8 bytes a block run (:func:`queries.block_range_pg`).
* :func:`run_concurrency` (Postgres): pipeline runs -> exact run-level peaks and timeline.
"""
from __future__ import annotations

import base64
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy import text

from . import queries as q
from .frames import EARLIEST, LATEST, US, distinct_values, joined_times_us, times_us
from .ranges import PassFailed, id_bounds, ordered_ranges, sqlite_bytes_cursor
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


def _sweep_with_retry(groups: int, passes, bucket: float | None = None) -> StreamSweep:
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

def block_pass(h, pipelines: list[str], runs: pd.DataFrame | None = None) -> BlockPass:
    """Stream block_run once (twice if the sweep's slack was too small). ``runs`` (SQLite: the
    run frame) maps run ids to pipeline codes and creation times and applies the window;
    Postgres joins pipeline_run in the server instead."""
    bounds = id_bounds(h) if h.has("pipeline_run", "block_run") else None
    if bounds is None or not pipelines:
        return BlockPass()
    stats: list[pd.DataFrame] = []
    signatures: Counter = Counter()
    if h.d.pg:
        sql, stats_sql = q.block_range_pg(h, pipelines), q.block_stats_pg(h)
        fetch = lambda db, a, b: _pg_block_range(h, db, sql, stats_sql, a, b)  # noqa: E731
    else:
        lookup = _RunLookup(runs)
        sql = q.block_range_sqlite(h)
        fetch = lambda db, a, b: _sqlite_block_range(h, db, sql, a, b, lookup)  # noqa: E731

    def one_pass(sweep: StreamSweep, first: bool) -> None:
        for codes, starts, ends, created, part in ordered_ranges(h, "block_pass", *bounds, fetch):
            sweep.feed(codes, starts, ends, created)
            if first and isinstance(part, Counter):
                signatures.update(part)
            elif first and part is not None:
                stats.append(part)

    try:
        sweep = _sweep_with_retry(len(pipelines), one_pass)
    except PassFailed:
        return BlockPass()
    frame = _stats_from_signatures(signatures, pipelines) if not h.d.pg else _sum_stats(stats)
    peaks = {pipelines[c]: p for c, p in sweep.peak_of().items()}
    return BlockPass(frame.sort_values(STAT_COLUMNS[:3], ignore_index=True), peaks, sweep.overall)


class _RunLookup:
    """Pipeline code and creation time by run id, from a run frame (-1 / NaN: not in it)."""

    def __init__(self, runs: pd.DataFrame) -> None:
        ids = runs["id"].to_numpy()
        size = int(ids.max()) + 1 if len(ids) else 1
        self.code = np.full(size, -1, np.int32)
        self.created = np.full(size, np.nan)
        self.code[ids] = runs["pipeline"].to_numpy()
        self.created[ids] = runs["created"].to_numpy()

    def __call__(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        inside = (ids >= 0) & (ids < len(self.code))
        safe = np.where(inside, ids, 0)
        return np.where(inside, self.code[safe], -1), np.where(inside, self.created[safe], np.nan)


def _sqlite_block_range(h, db, sql: str, low: int, high: int, lookup: _RunLookup):
    """One range on SQLite: per run its signature and its spans' stored text."""
    with sqlite_bytes_cursor(db) as cursor:
        rows = cursor.execute(sql, {**h.params(), "low": low, "high": high}).fetchall()
    ids = np.array([r[0] if r[0] is not None else -1 for r in rows], dtype=np.int64)
    codes, created = lookup(ids)
    mine = codes >= 0
    signatures = Counter((int(c), r[2]) for c, r, m in zip(codes, rows, mine) if m and r[2])
    counts = np.array([r[1] or 0 for r in rows], dtype=np.int64)[mine]
    texts = [r[3] for r, m in zip(rows, mine) if m and r[3]]
    stamps = joined_times_us(b",".join(texts)) if texts else np.empty(0)
    if len(stamps) != 2 * counts.sum():          # a separator inside a value: parse run by run
        return _sqlite_runs_one_by_one(rows, mine, codes, created, signatures)
    spans = stamps.reshape(-1, 2)
    span_codes = np.repeat(codes[mine], counts)
    return (*_plausible_spans(span_codes, spans), created[mine], signatures)


def _sqlite_runs_one_by_one(rows, mine, codes, created, signatures):
    parts = []
    for row, ok, code in zip(rows, mine, codes):
        if ok and row[3]:
            stamps = times_us(row[3].decode("utf-8", "replace").split(","))
            if len(stamps) % 2 == 0:
                spans = stamps.reshape(-1, 2)
                parts.append((np.full(len(spans), code), spans))
    span_codes = np.concatenate([p[0] for p in parts]) if parts else np.empty(0, np.int64)
    spans = np.concatenate([p[1] for p in parts]) if parts else np.empty((0, 2))
    return (*_plausible_spans(span_codes, spans), created[mine], signatures)


def _plausible_spans(codes: np.ndarray, spans: np.ndarray):
    """Ends clipped to their starts; spans starting outside 1900-2200 (or ending after it,
    or unreadable) are dropped."""
    starts, ends = spans[:, 0], np.fmax(spans[:, 1], spans[:, 0])
    ok = (starts >= EARLIEST) & (starts <= LATEST) & (ends <= LATEST)
    return codes[ok].astype(np.int64), starts[ok], ends[ok]


def _stats_from_signatures(signatures: Counter, pipelines: list[str]) -> pd.DataFrame:
    counts: Counter = Counter()
    errors: Counter = Counter()
    for (code, signature), times in signatures.items():
        for item in signature.decode("utf-8", "replace").split(chr(q.RECORD)):
            uuid, _, rest = item.partition(chr(q.UNIT))
            status, _, err = rest.partition(chr(q.UNIT))     # err is '1' or ''
            key = (pipelines[code], uuid.split(":", 1)[0], status)
            counts[key] += times
            errors[key] += times * (err == "1")
    return pd.DataFrame([(*k, n, errors[k]) for k, n in counts.items()], columns=STAT_COLUMNS)


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
        sweep = _sweep_with_retry(len(pipelines), one_pass, bucket=bucket_seconds * US)
    except PassFailed:
        return empty
    codes, buckets, running = sweep.timeline()
    timeline = pd.DataFrame({"pipeline_uuid": [pipelines[c] for c in codes], "bucket": buckets / US,
                             "running": running})
    return RunConcurrency({pipelines[c]: p for c, p in sweep.peak_of().items()}, sweep.overall, timeline)
