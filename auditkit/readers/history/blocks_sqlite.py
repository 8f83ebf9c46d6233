"""The block pass on SQLite: block_run read in rowid ranges, as stored values only.

On SQLite the cost of this pass is the SQL run per block run. Grouping block runs by pipeline
run (along the ``pipeline_run_id`` index) and building a text per run and per block run cost
~1.6 us of SQLite CPU a block run; reading a rowid range of the table as a few
``group_concat`` of its stored values, with no index, no sort and no expression per block run
but one cheap test, costs about half (``benchmarks/bench_history.py``). Each range
(:func:`queries.block_rows_sqlite`) comes back as one row; here:

* **spans**: a block run holds its slot from ``started_at`` to ``completed_at``. The few *odd*
  block runs (not COMPLETED, no completed_at, no uuid, or metrics mentioning "error") come with
  their status and updated_at, and end as :func:`queries.run_end_raw` says (updated_at when
  FAILED-like, else the window end). Ends are clipped to starts; starts outside 1900-2200 (and
  NULL, sent as year 1) are dropped, as on Postgres.
* **counts** per (pipeline, block, status): the uuids of a run's consecutive block runs form a
  *signature* (runs of a pipeline repeat theirs), counted once per distinct (pipeline,
  signature) as COMPLETED without error; each odd block run then moves itself to its own
  status and error flag.

Only block runs whose pipeline run is in the run frame count (the window; runs without a
pipeline are left out). Block runs arrive in rowid order, i.e. in creation order, after their
pipeline run: the stream's slack holds and, should it not, its second pass is exact. A range
whose stored values contain a separator, or that does not read back as one value a block run,
is read again one row per block run (:func:`_from_rows`), so the result is exact either way.
"""
from __future__ import annotations

import warnings
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from . import queries as q
from .frames import EARLIEST, LATEST, joined_times_us, times_us
from .passes import BlockPass, stats_frame, sweep_with_retry
from .ranges import PassFailed, ordered_ranges, sqlite_bytes_cursor

BLOCK_RANGE_IDS = 200_000                     # block runs per statement
COMPLETED = b"COMPLETED"
FAILED_LIKE = [s.encode() for s in q.FAILED_LIKE]
UNIT, RECORD = bytes([q.UNIT]), bytes([q.RECORD])


class _Irregular(Exception):
    """A range's columns do not read back as one value per block run."""


@dataclass
class _Range:
    """One range's spans (for the sweep) and counts (for the stats)."""

    codes: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    created: np.ndarray
    signatures: Counter = field(default_factory=Counter)   # (code, uuids joined by RS) -> runs
    items: Counter = field(default_factory=Counter)        # (code, uuid, status, error) -> +/- block runs


class RunLookup:
    """Pipeline code and creation time by run id, from a run frame (-1 / NaN: not in it)."""

    def __init__(self, runs) -> None:
        ids = runs["id"].to_numpy()
        size = int(ids.max()) + 1 if len(ids) else 1
        self.code = np.full(size, -1, np.int64)
        self.created = np.full(size, np.nan)
        self.code[ids] = runs["pipeline"].to_numpy()
        self.created[ids] = runs["created"].to_numpy()

    def __call__(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        inside = (ids >= 0) & (ids < len(self.code))
        safe = np.where(inside, ids, 0)
        return np.where(inside, self.code[safe], -1), np.where(inside, self.created[safe], np.nan)


def block_pass(h, pipelines: list[str], runs) -> BlockPass:
    """Stream block_run once (twice if the sweep's slack was too small): block-level peaks
    and block counts for the runs of ``runs`` (the run frame)."""
    bounds = _block_bounds(h)
    if bounds is None or not pipelines or runs is None or runs.empty:
        return BlockPass()
    lookup, sql = RunLookup(runs), q.block_rows_sqlite(h)
    window_end = float(times_us([h.params()["window_end"]])[0])
    signatures: Counter = Counter()
    items: Counter = Counter()

    def fetch(db, low: int, high: int) -> _Range:
        return _read_range(h, db, sql, low, high, lookup, window_end)

    def one_pass(sweep, first: bool) -> None:
        for part in ordered_ranges(h, "block_pass", *bounds, fetch, width=BLOCK_RANGE_IDS):
            sweep.feed(part.codes, part.starts, part.ends, part.created)
            if first:
                signatures.update(part.signatures)
                items.update(part.items)

    try:
        sweep = sweep_with_retry(len(pipelines), one_pass)
    except PassFailed:
        return BlockPass()
    for (code, signature), runs_seen in signatures.items():
        for uuid in signature.split(RECORD):
            items[(code, uuid, COMPLETED, False)] += runs_seen
    peaks = {pipelines[c]: p for c, p in sweep.peak_of().items()}
    return BlockPass(stats_frame(_named_counts(items, pipelines)), peaks, sweep.overall)


def _block_bounds(h) -> tuple[int, int] | None:
    # Two subqueries: SQLite reads MIN and MAX from the rowid alone only one per SELECT.
    frame = h.query("SELECT (SELECT MIN(id) FROM block_run), (SELECT MAX(id) FROM block_run)", "block_bounds",
                    needs=("block_run",), columns=["low", "high"])
    if frame.empty or frame.iloc[0].isna().any():
        return None
    return int(frame.iloc[0, 0]), int(frame.iloc[0, 1])


def _named_counts(items: Counter, pipelines: list[str]) -> list[tuple]:
    """(pipeline, block uuid without ``:suffix``, status, block runs, with error) rows."""
    counts: Counter = Counter()
    errors: Counter = Counter()
    for (code, uuid, status, error), n in items.items():
        key = (pipelines[code], uuid.decode("utf-8", "replace").split(":", 1)[0],
               status.decode("utf-8", "replace"))
        counts[key] += n
        errors[key] += n if error else 0
    return [(*key, n, errors[key]) for key, n in counts.items() if n]


# --- one range ---------------------------------------------------------------------------------

def _read_range(h, db, sql: str, low: int, high: int, lookup: RunLookup, window_end: float) -> _Range:
    params = {**h.params(), "low": low, "high": high}
    with sqlite_bytes_cursor(db) as cursor:
        row = cursor.execute(sql, params).fetchone()
        n = row[0].count(b",") + 1 if row and isinstance(row[0], bytes) else 0     # block runs in the range
        if not n:
            return _Range(*(np.empty(0) for _ in range(4)))
        try:
            rowids = np.arange(low, high) if n == high - low else \
                _numbers(cursor.execute(q.block_ids_sqlite(), params).fetchone()[0], n)
            return _from_columns(row, n, rowids, lookup, window_end)
        except _Irregular:
            return _from_rows(cursor.execute(q.block_rows_plain_sqlite(h), params).fetchall(), lookup, window_end)


def _numbers(joined: bytes | None, n: int) -> np.ndarray:
    """n comma-separated integers, or :class:`_Irregular`."""
    if not joined or joined.count(b",") != n - 1:
        raise _Irregular
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")        # numpy warns, and stops, at a value it cannot read
            values = np.fromstring(joined, dtype=np.int64, sep=",")
    except (ValueError, DeprecationWarning) as exc:
        raise _Irregular from exc
    if len(values) != n:
        raise _Irregular
    return values


def _times(joined: bytes | None, n: int) -> np.ndarray:
    values = joined_times_us(joined or b"")
    if len(values) != n:
        raise _Irregular
    return values


def _from_columns(row: tuple, n: int, rowids: np.ndarray, lookup: RunLookup, window_end: float) -> _Range:
    run_ids, starts, ends = _numbers(row[0], n), _times(row[1], n), _times(row[2], n)
    uuids = row[3] or b""
    separators = np.flatnonzero(np.frombuffer(uuids, np.uint8) == q.RECORD)
    if len(separators) != n - 1:
        raise _Irregular
    first = np.r_[0, separators + 1]                         # each uuid's first and past-last byte
    past = np.r_[separators, len(uuids)]
    odd = _OddRows(row[4], rowids)
    ends[odd.at] = odd.ends(ends[odd.at], window_end)
    codes, created = lookup(run_ids)
    mine = codes >= 0
    part = _Range(*_spans(codes, starts, ends, mine), created[mine])
    # Signatures: the uuids of each run's consecutive block runs, counted per (pipeline, signature).
    cuts = np.flatnonzero(run_ids[1:] != run_ids[:-1]) + 1
    begin, end = np.r_[0, cuts], np.r_[cuts, n]
    keep = mine[begin]
    part.signatures.update(zip(codes[begin[keep]].tolist(),
                               [uuids[a:b] for a, b in zip(first[begin[keep]].tolist(), past[end[keep] - 1].tolist())]))
    for at, status, error, uuid_null in zip(odd.at.tolist(), odd.status, odd.error, odd.uuid_null):
        if mine[at]:                                          # each odd block run moves itself
            uuid, code = uuids[first[at]:past[at]], int(codes[at])
            part.items[(code, uuid, COMPLETED, False)] -= 1
            if not uuid_null:
                part.items[(code, uuid, status, error)] += 1
    return part


class _OddRows:
    """The range's odd block runs: row position, status, error, updated_at, whether
    completed_at and the uuid are NULL (see :func:`queries.block_rows_sqlite`)."""

    def __init__(self, joined: bytes | None, rowids: np.ndarray) -> None:
        details = [d.split(UNIT) for d in joined.split(RECORD)] if joined else []
        if any(len(fields) != 6 or not fields[0].isdigit() for fields in details):
            raise _Irregular
        rowid, self.status, error, self.updated, completed_null, uuid_null = \
            (list(column) for column in zip(*details)) if details else ([] for _ in range(6))
        wanted = np.array(rowid, dtype=np.int64)
        self.at = np.searchsorted(rowids, wanted)
        if len(wanted) and (self.at.max() >= len(rowids) or (rowids[self.at] != wanted).any()):
            raise _Irregular
        self.error = [e == b"1" for e in error]
        self.completed_null = np.array([c == b"1" for c in completed_null], dtype=bool)
        self.uuid_null = [u == b"1" for u in uuid_null]

    def ends(self, completed: np.ndarray, window_end: float) -> np.ndarray:
        """Their ends before clipping: completed_at, else (NULL) updated_at when FAILED-like,
        else the window end (queries.run_end_raw)."""
        failed = np.array([s in FAILED_LIKE for s in self.status], dtype=bool)
        updated = times_us([u.decode("utf-8", "replace") or None for u in self.updated]) \
            if self.updated else np.empty(0)
        return np.where(self.completed_null, np.where(failed, updated, window_end), completed)


def _spans(codes: np.ndarray, starts: np.ndarray, ends: np.ndarray, mine: np.ndarray):
    """(codes, starts, ends) of the range's block runs that count: their run is in the frame,
    and they started between 1900 and 2200 and ended before 2200 (ends clipped to starts)."""
    ends = np.fmax(ends, starts)
    ok = mine & (starts >= EARLIEST) & (starts <= LATEST) & (ends <= LATEST)
    return codes[ok], starts[ok], ends[ok]


def _from_rows(rows: list[tuple], lookup: RunLookup, window_end: float) -> _Range:
    """The same range from one row per block run (:func:`queries.block_rows_plain_sqlite`)."""
    as_text = lambda v: None if v is None else v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)  # noqa: E731
    as_bytes = lambda v: b"" if v is None else v if isinstance(v, bytes) else str(v).encode()  # noqa: E731
    run_ids = np.array([v if isinstance(v, int) else int(v) if isinstance(v, float) and v.is_integer() else -1
                        for v in (r[0] for r in rows)], dtype=np.int64)
    starts = times_us([as_text(r[1]) for r in rows])
    ends = times_us([as_text(r[2]) for r in rows])
    completed_null = np.array([r[2] is None for r in rows], dtype=bool)
    failed = np.array([as_bytes(r[4]) in FAILED_LIKE for r in rows], dtype=bool)
    updated = times_us([as_text(r[6]) or None for r in rows])
    ends = np.where(completed_null, np.where(failed, updated, window_end), ends)
    codes, created = lookup(run_ids)
    mine = codes >= 0
    part = _Range(*_spans(codes, starts, ends, mine), created[mine])
    for code, r in zip(codes.tolist(), rows):
        if code >= 0 and r[3] is not None:
            part.items[(code, as_bytes(r[3]), as_bytes(r[4]), r[5] == 1)] += 1
    return part
