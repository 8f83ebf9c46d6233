"""Compact frames: the two passes that let the analytics meet 1M runs / 10M block runs.

SQLite sorts for every GROUP BY and window (no hash aggregation), which costs ~40 s on 10M
block runs here. So the big tables are read once each, in the order of an existing index,
with no sort in the database:

* ``run_frame``: one numeric row per pipeline run (ids, codes, epoch seconds); every
  pipeline-level analytic (counts, outcomes, percentiles, sweeps, lateness) derives from it.
* ``block_pass``: block_run grouped by ``pipeline_run_id`` (streamed along its index). Each run
  yields a *signature* (its block runs' uuid/status/error, concatenated) and its block spans
  as text. Identical signatures collapse to counts, so per-(pipeline, block, status) numbers
  come from a few thousand distinct signatures; the spans give an exact block-level sweep.
"""
from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from . import queries as q
from .schema import ENUMS

STATUSES = list(ENUMS["pipelinerunstatus"])
RUN_COLUMNS = ["id", "pipeline", "status", "schedule_id", "created", "started", "completed",
               "execution", "end", "passed_sla", "backfill_id", "manual"]
UNIT, RECORD = 31, 30                  # separator character codes (never in uuids or statuses)
EARLIEST, LATEST = -2_208_988_800.0, 7_258_118_400.0   # 1900-01-01 .. 2200-01-01, epoch seconds


def distinct_values(h, column: str) -> list[str]:
    """Distinct pipeline_run values of an indexed column (cheap: reads the index)."""
    frame = h.query(f"SELECT DISTINCT {h.d.text(column)} AS v FROM pipeline_run WHERE {column} IS NOT NULL",
                    f"distinct_{column}", columns=["v"])
    return sorted(str(v) for v in frame["v"])


def run_frame(h) -> pd.DataFrame:
    """One row per pipeline run in the window; times are epoch seconds (float, NaN if NULL);
    ``pipeline``/``status`` are codes into ``frame.attrs['pipelines'|'statuses']``."""
    pipelines = distinct_values(h, "pipeline_uuid")
    statuses = STATUSES + [s for s in distinct_values(h, "status") if s not in STATUSES]
    array = h.numeric_rows(q.run_facts(h, pipelines, statuses), "run_frame", width=len(RUN_COLUMNS))
    frame = pd.DataFrame(array, columns=RUN_COLUMNS)
    times = ["created", "started", "completed", "execution", "end"]
    implausible = frame[times].notna() & ~frame[times].apply(lambda c: c.between(EARLIEST, LATEST))
    if implausible.to_numpy().any():
        # Years like 0001 or 9999 (or a Julian day number read as a date) would break every
        # time computation downstream; they are treated as unknown and reported.
        frame[times] = frame[times].mask(implausible)
        h._problem("implausible_times", f"{int(implausible.any(axis=1).sum())} pipeline runs have "
                                        "timestamps outside 1900-2200; those times are ignored", "history_data")
    for column in ("id", "pipeline", "status", "passed_sla", "manual"):
        frame[column] = frame[column].astype(np.int64)
    frame.attrs["pipelines"], frame.attrs["statuses"] = pipelines, statuses
    return frame


def with_names(frame: pd.DataFrame) -> pd.DataFrame:
    """Add ``pipeline_uuid`` and ``status_name`` (categorical) to a run frame."""
    pipelines = pd.Categorical.from_codes(frame["pipeline"], categories=frame.attrs["pipelines"]) \
        if frame.attrs.get("pipelines") else pd.Categorical([None] * len(frame))
    statuses = np.array(frame.attrs["statuses"] + ["UNKNOWN"], dtype=object)
    return frame.assign(pipeline_uuid=pipelines, status_name=statuses[frame["status"].to_numpy()])


@dataclass
class BlockPass:
    """Block-level results of one streamed pass over block_run."""

    stats: pd.DataFrame                    # pipeline_uuid, block, status, block_runs, with_error
    peaks: dict[str, int] = field(default_factory=dict)
    overall_peak: int = 0
    run_ids: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))


def parse_spans(text_values: str, pg: bool) -> np.ndarray:
    """'start,end,start,end,...' -> float epoch seconds array (n, 2), ends clipped to starts."""
    if pg:
        values = np.fromstring(text_values, dtype=np.float64, sep=",") / 1000.0
        if len(values) % 2:
            return np.empty((0, 2))
    else:
        parts = text_values.split(",")
        try:
            stamps = np.array(parts, dtype="datetime64[us]")
        except ValueError:        # odd stored formats (time zones, 'T'): the slow, lenient parser
            stamps = pd.to_datetime(pd.Series(parts), utc=True, format="mixed", errors="coerce") \
                .dt.tz_localize(None).to_numpy(dtype="datetime64[us]")
        values = np.where(np.isnat(stamps), np.nan, stamps.astype(np.int64) / 1e6)
    spans = values.reshape(-1, 2)
    spans[:, 1] = np.maximum(spans[:, 1], spans[:, 0])
    ok = (spans[:, 0] >= EARLIEST) & (spans[:, 0] <= LATEST) & (spans[:, 1] <= LATEST)
    return spans[ok]


def peak_concurrency(starts: np.ndarray, ends: np.ndarray) -> int:
    """Most intervals [start, end) open at once. At a start, the open count is the starts so
    far minus the ends at or before it (an end at the same instant frees its slot first).
    Two sorts and a binary search: far less memory than sorting 2n tagged events."""
    if len(starts) == 0:
        return 0
    starts, ends = np.sort(starts), np.sort(ends)
    open_now = np.arange(1, len(starts) + 1) - np.searchsorted(ends, starts, side="right")
    return int(open_now.max())


@dataclass
class _Partial:
    signatures: Counter = field(default_factory=Counter)
    spans: dict[int, list[np.ndarray]] = field(default_factory=dict)
    seen: list[np.ndarray] = field(default_factory=list)


def _scan(h, code_of: np.ndarray, low: int, high: int, chunk: int) -> _Partial:
    """Stream block runs of pipeline runs with low <= id < high (one connection)."""
    part = _Partial()
    sql = q.block_signatures(h, UNIT, RECORD).replace(
        "GROUP BY", "WHERE br.pipeline_run_id >= :low AND br.pipeline_run_id < :high GROUP BY")
    with h.engine.connect() as db:
        result = db.execute(text(sql), {**h.params(), "low": low, "high": high})
        cursor = result.cursor
        while rows := cursor.fetchmany(chunk):
            ids = np.array([r[0] if r[0] is not None else -1 for r in rows], dtype=np.int64)
            inside = (ids >= 0) & (ids < len(code_of))
            codes = np.where(inside, code_of[np.clip(ids, 0, len(code_of) - 1)], -1)
            part.seen.append(ids[codes >= 0])
            texts: dict[int, list[str]] = {}
            for code, row in zip(codes.tolist(), rows):
                if code >= 0:
                    if row[1]:
                        part.signatures[(code, row[1])] += 1
                    if row[2]:
                        texts.setdefault(code, []).append(row[2])
            for code, values in texts.items():
                part.spans.setdefault(code, []).append(parse_spans(",".join(values), h.d.pg))
        result.close()
    return part


def block_pass(h, runs: pd.DataFrame, chunk: int = 20_000, workers: int = 2) -> BlockPass:
    """Stream block_run once; ``runs`` (a run frame) maps run ids to pipelines and applies
    the window (block runs of runs outside it are skipped). The id range is split over
    ``workers`` connections: SQLite and psycopg2 release the GIL while the DB works."""
    empty = BlockPass(pd.DataFrame(columns=["pipeline_uuid", "block", "status", "block_runs", "with_error"]))
    if not h.has("pipeline_run", "block_run") or runs.empty:
        return empty
    pipelines = runs.attrs["pipelines"]
    top = int(runs["id"].max()) + 1
    code_of = np.full(top + 1, -1, dtype=np.int64)
    code_of[runs["id"].to_numpy()] = runs["pipeline"].to_numpy()
    bounds = [int(b) for b in np.linspace(int(runs["id"].min()), top, workers + 1)]  # plain ints bind
    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            parts = list(pool.map(lambda i: _scan(h, code_of, bounds[i], bounds[i + 1], chunk), range(workers)))
    except SQLAlchemyError as exc:
        from .source import _describe
        h._problem("block_pass", f"query block_pass failed: {_describe(exc)}")
        return empty
    signatures: Counter = Counter()
    for part in parts:
        signatures.update(part.signatures)
    counts: Counter = Counter()
    errors: Counter = Counter()
    for (code, signature), times in signatures.items():
        for item in signature.split(chr(RECORD)):
            uuid, _, rest = item.partition(chr(UNIT))
            status, _, err = rest.partition(chr(UNIT))     # err is '1' or ''
            key = (pipelines[code], uuid.split(":", 1)[0], status)
            counts[key] += times
            errors[key] += times * (err == "1")
    stats = pd.DataFrame([(*k, n, errors[k]) for k, n in counts.items()],
                         columns=["pipeline_uuid", "block", "status", "block_runs", "with_error"])
    out = BlockPass(stats.sort_values(["pipeline_uuid", "block", "status"], ignore_index=True))
    starts, ends = [], []
    for code in sorted({c for part in parts for c in part.spans}):
        spans = np.concatenate([a for part in parts for a in part.spans.pop(code, [])])
        out.peaks[pipelines[code]] = peak_concurrency(spans[:, 0], spans[:, 1])
        starts.append(spans[:, 0].copy())
        ends.append(spans[:, 1].copy())
        del spans
    out.overall_peak = peak_concurrency(np.concatenate(starts), np.concatenate(ends)) if starts else 0
    seen = [a for part in parts for a in part.seen]
    out.run_ids = np.unique(np.concatenate(seen)) if seen else out.run_ids
    return out
