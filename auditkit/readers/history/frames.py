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
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .schema import ENUMS

STATUSES = list(ENUMS["pipelinerunstatus"])
RUN_COLUMNS = ["id", "pipeline", "status", "schedule_id", "created", "started", "completed",
               "execution", "end", "passed_sla", "backfill_id", "manual"]
UNIT, RECORD, COMMA = 31, 30, 44       # separator character codes (unit/record: not in uuids)


def _codes(values: list[str], expr: str) -> str:
    """CASE mapping known text values to their index (unknown -> -1)."""
    if not values:
        return "-1"
    whens = " ".join(f"WHEN '{v.replace(chr(39), chr(39) * 2)}' THEN {i}" for i, v in enumerate(values))
    return f"(CASE {expr} {whens} ELSE -1 END)"


def distinct_values(h, column: str) -> list[str]:
    """Distinct pipeline_run values of an indexed column (cheap: reads the index)."""
    frame = h.query(f"SELECT DISTINCT {h.d.text(column)} AS v FROM pipeline_run WHERE {column} IS NOT NULL",
                    f"distinct_{column}", columns=["v"])
    return sorted(str(v) for v in frame["v"])


def run_frame(h) -> pd.DataFrame:
    """One row per pipeline run in the window; times are epoch seconds (float, NaN if NULL);
    ``pipeline``/``status`` are codes into ``frame.attrs['pipelines'|'statuses']``."""
    from .queries import _run_end
    pipelines = distinct_values(h, "pipeline_uuid")
    statuses = STATUSES + [s for s in distinct_values(h, "status") if s not in STATUSES]
    d = h.d
    col = lambda name: h.col("pipeline_run", name, "pr")  # noqa: E731
    partition = d.json_has(col("variables"), "execution_partition")
    status = d.text("pr.status")
    manual = f"(CASE WHEN {partition} = 1 AND {status} <> 'CANCELLED' THEN 1 ELSE 0 END)"
    sql = (f"SELECT pr.id, {_codes(pipelines, 'pr.pipeline_uuid')}, {_codes(statuses, status)}, "
           f"pr.pipeline_schedule_id, {d.epoch(col('created_at'))}, {d.epoch(col('started_at'))}, "
           f"{d.epoch(col('completed_at'))}, {d.epoch('pr.execution_date')}, "
           f"{d.epoch(_run_end(h, 'pr', 'pipeline_run'))}, "
           f"CASE WHEN {d.is_true(col('passed_sla'))} THEN 1 ELSE 0 END, {col('backfill_id')}, {manual} "
           f"FROM pipeline_run pr WHERE {h.in_window('pr')}")
    array = h.numeric_rows(sql, "run_frame", width=len(RUN_COLUMNS))
    frame = pd.DataFrame(array, columns=RUN_COLUMNS)
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


def _block_sql(h) -> str:
    from .queries import _run_end
    d = h.d
    metrics = h.col("block_run", "metrics", "br")
    item = (f"br.block_uuid || {d.char(UNIT)} || {d.text('br.status')} || {d.char(UNIT)} || "
            f"CAST({d.json_has(metrics, 'error')} AS TEXT)")
    start = d.epoch("br.started_at")
    end = f"COALESCE({d.epoch(_run_end(h, 'br', 'block_run'))}, {start})"
    span = (f"CASE WHEN br.started_at IS NOT NULL THEN "
            f"CAST({d.round_ms(start)} AS TEXT) || ',' || CAST({d.round_ms(end)} AS TEXT) END")
    return (f"SELECT br.pipeline_run_id, {d.agg_text(item, RECORD)}, {d.agg_text(span, COMMA)} "
            f"FROM block_run br GROUP BY br.pipeline_run_id")


def _sweep_peak(spans: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Events sorted (ends before starts at equal times) and the running count."""
    times = np.concatenate([spans[:, 0], spans[:, 1]])
    deltas = np.concatenate([np.ones(len(spans), np.int8), -np.ones(len(spans), np.int8)])
    order = np.lexsort((deltas, times))
    return times[order], np.cumsum(deltas[order], dtype=np.int64)


def block_pass(h, runs: pd.DataFrame, chunk: int = 20_000) -> BlockPass:
    """Stream block_run once; ``runs`` (a run frame) maps run ids to pipelines and applies
    the window (block runs of runs outside it are skipped)."""
    empty = BlockPass(pd.DataFrame(columns=["pipeline_uuid", "block", "status", "block_runs", "with_error"]))
    if not h.has("pipeline_run", "block_run") or runs.empty:
        return empty
    pipelines = runs.attrs["pipelines"]
    code_of = np.full(int(runs["id"].max()) + 2, -1, dtype=np.int64)
    code_of[runs["id"].to_numpy()] = runs["pipeline"].to_numpy()
    signatures: Counter = Counter()
    spans_by_code: dict[int, list[np.ndarray]] = {}
    seen: list[np.ndarray] = []
    try:
        with h.engine.connect() as db:
            result = db.execute(text(_block_sql(h)), h.params())
            cursor = result.cursor
            while rows := cursor.fetchmany(chunk):
                ids = np.array([r[0] if r[0] is not None else -1 for r in rows], dtype=np.int64)
                inside = (ids >= 0) & (ids < len(code_of))
                codes = np.where(inside, code_of[np.clip(ids, 0, len(code_of) - 1)], -1)
                seen.append(ids[codes >= 0])
                texts: dict[int, list[str]] = {}
                for code, row in zip(codes.tolist(), rows):
                    if code >= 0:
                        if row[1]:
                            signatures[(code, row[1])] += 1
                        if row[2]:
                            texts.setdefault(code, []).append(row[2])
                for code, parts in texts.items():
                    values = np.array(",".join(parts).split(","), dtype=np.float64) / 1000.0
                    spans_by_code.setdefault(code, []).append(values.reshape(-1, 2))
            result.close()
    except SQLAlchemyError as exc:
        from .source import _describe
        h._problem("block_pass", f"query block_pass failed: {_describe(exc)}")
        return empty
    counts: Counter = Counter()
    errors: Counter = Counter()
    for (code, signature), times in signatures.items():
        for item in signature.split(chr(RECORD)):
            uuid, _, rest = item.partition(chr(UNIT))
            status, _, err = rest.partition(chr(UNIT))
            key = (pipelines[code], uuid.split(":", 1)[0], status)
            counts[key] += times
            errors[key] += times * (err == "1")
    stats = pd.DataFrame([(*k, n, errors[k]) for k, n in counts.items()],
                         columns=["pipeline_uuid", "block", "status", "block_runs", "with_error"])
    out = BlockPass(stats.sort_values(["pipeline_uuid", "block", "status"], ignore_index=True))
    all_spans = []
    for code, parts in spans_by_code.items():
        spans = np.concatenate(parts)
        out.peaks[pipelines[code]] = int(_sweep_peak(spans)[1].max())
        all_spans.append(spans)
    out.overall_peak = int(_sweep_peak(np.concatenate(all_spans))[1].max()) if all_spans else 0
    out.run_ids = np.unique(np.concatenate(seen)) if seen else out.run_ids
    return out
