"""Concurrency: configured limits next to observed peak concurrent runs, and a timeline.

Configured: pipeline ``concurrency_config`` (block_run_limit, pipeline_run_limit [per
trigger], pipeline_run_limit_all_triggers, on_pipeline_run_limit_reached), project
``queue_config.concurrency`` (default 20), trigger ``settings.pipeline_run_limit`` (YAML and
DB), backfill ``settings.pipeline_run_limit``, executor type and run_pipeline_in_one_process.
Observed: peaks from a sweep over run start/end events done in SQL.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from auditkit.readers.history.frames import peak_concurrency

from ._common import as_dict, history_cached, inventory_frame, to_int

DEFAULT_QUEUE_CONCURRENCY = 20
LIMIT_COLUMNS = ["pipeline_uuid", "project", "pipeline_type", "executor_type", "run_pipeline_in_one_process",
                 "pipeline_run_limit", "pipeline_run_limit_all_triggers", "block_run_limit",
                 "on_limit_reached", "trigger_run_limit", "queue_concurrency"]


def _sweep(spans: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sweep start/end events: (event times, +1/-1, runs in flight after each event).
    Ends sort before starts at equal times, so back-to-back runs do not overlap."""
    times = np.concatenate([spans[:, 0], spans[:, 1]])
    deltas = np.concatenate([np.ones(len(spans), np.int8), -np.ones(len(spans), np.int8)])
    order = np.lexsort((deltas, times))
    times, deltas = times[order], deltas[order]
    return times, deltas, np.cumsum(deltas, dtype=np.int64)


def _run_spans(history) -> dict[str, np.ndarray]:
    """(start, end) epoch pairs of started pipeline runs, per pipeline, from the run frame."""
    runs = history.run_frame()
    if runs.empty:
        return {}
    runs = runs[runs["started"].notna()]
    ends = runs["end"].fillna(runs["started"]).to_numpy()
    spans = np.column_stack([runs["started"].to_numpy(), ends])
    names = runs.attrs["pipelines"]
    codes = runs["pipeline"].to_numpy()
    return {names[c]: spans[codes == c] for c in np.unique(codes) if c >= 0}


@history_cached
def observed_peaks(history, level: str = "pipeline") -> pd.DataFrame:
    """Peak concurrent ``pipeline`` runs (or ``block`` runs) per pipeline, and the overall
    peak over all pipelines (same value on each row). Ends: completed_at, else the last
    update of a FAILED/CANCELLED run, else the window end (still running). Block runs come
    from the streamed block pass; pipeline runs from the run frame."""
    cols = ["pipeline_uuid", "peak", "overall_peak"]
    if history is None or not history.available:
        return pd.DataFrame(columns=cols)
    if level == "block":
        result = history.block_pass()
        peaks, overall = result.peaks, result.overall_peak
    else:
        spans = _run_spans(history)
        peaks = {p: peak_concurrency(a[:, 0], a[:, 1]) for p, a in spans.items()}
        both = np.concatenate(list(spans.values())) if spans else np.empty((0, 2))
        overall = peak_concurrency(both[:, 0], both[:, 1])
    frame = pd.DataFrame(sorted(peaks.items()), columns=["pipeline_uuid", "peak"])
    return frame.assign(overall_peak=overall)[cols]


@history_cached
def overall_peaks(history) -> dict:
    """{'pipeline_runs': n, 'block_runs': n}: the most runs in flight at once, all pipelines."""
    out = {}
    for level, key in (("pipeline", "pipeline_runs"), ("block", "block_runs")):
        peaks = observed_peaks(history, level)
        out[key] = int(peaks["overall_peak"].max()) if not peaks.empty else 0
    return out


@history_cached
def concurrency_timeline(history, bucket_seconds: int = 3600) -> pd.DataFrame:
    """Pipeline runs in flight per pipeline and time bucket (the most seen at a run start in
    the bucket): ``pipeline_uuid, bucket (timestamp), running``."""
    cols = ["pipeline_uuid", "bucket", "running"]
    if history is None or not history.available:
        return pd.DataFrame(columns=cols)
    parts = []
    for pipeline, spans in _run_spans(history).items():
        times, deltas, running = _sweep(spans)
        starts = deltas == 1
        frame = pd.DataFrame({"bucket": np.floor(times[starts] / bucket_seconds) * bucket_seconds,
                              "running": running[starts]})
        parts.append(frame.groupby("bucket", as_index=False)["running"].max().assign(pipeline_uuid=pipeline))
    if not parts:
        return pd.DataFrame(columns=cols)
    out = pd.concat(parts, ignore_index=True)
    out["bucket"] = pd.to_datetime(out["bucket"], unit="s", errors="coerce")
    return out[cols].sort_values(["bucket", "pipeline_uuid"], ignore_index=True)


def _trigger_limits(history, inv) -> dict[str, int]:
    """Smallest ``settings.pipeline_run_limit`` over a pipeline's triggers (YAML and DB)."""
    limits: dict[str, int] = {}
    sources = [inventory_frame(inv, "triggers", ["pipeline", "settings"]).rename(columns={"pipeline": "pipeline_uuid"})]
    if history is not None and history.available:
        sources.append(history.schedules())
    for frame in sources:
        for row in frame.itertuples(index=False):
            limit = to_int(as_dict(getattr(row, "settings", None)).get("pipeline_run_limit"))
            if limit is not None:
                key = str(row.pipeline_uuid)
                limits[key] = min(limit, limits.get(key, limit))
    return limits


def configured_limits(inv, history=None) -> pd.DataFrame:
    """The concurrency configuration per pipeline (works without history)."""
    pipelines = inventory_frame(inv, "pipelines", ["project", "pipeline", "type", "executor_type",
                                                   "run_pipeline_in_one_process", "concurrency_config"])
    projects = inventory_frame(inv, "projects", ["project", "queue_config"])
    queue = {r.project: to_int(as_dict(r.queue_config).get("concurrency")) or DEFAULT_QUEUE_CONCURRENCY
             for r in projects.itertuples(index=False)}
    triggers = _trigger_limits(history, inv)
    rows = []
    for p in pipelines.itertuples(index=False):
        config = as_dict(p.concurrency_config)
        rows.append(dict(
            pipeline_uuid=p.pipeline, project=p.project, pipeline_type=p.type,
            executor_type=p.executor_type, run_pipeline_in_one_process=p.run_pipeline_in_one_process,
            pipeline_run_limit=to_int(config.get("pipeline_run_limit")),
            pipeline_run_limit_all_triggers=to_int(config.get("pipeline_run_limit_all_triggers")),
            block_run_limit=to_int(config.get("block_run_limit")),
            on_limit_reached=config.get("on_pipeline_run_limit_reached") or ("wait" if config else None),
            trigger_run_limit=triggers.get(p.pipeline),
            queue_concurrency=queue.get(p.project, DEFAULT_QUEUE_CONCURRENCY)))
    return pd.DataFrame(rows, columns=LIMIT_COLUMNS)


def concurrency_overview(history, inv=None) -> pd.DataFrame:
    """Configured limits next to observed peaks per pipeline, with ``over_limit`` when the
    pipeline-run peak exceeds the tightest pipeline-run limit configured for it."""
    limits = configured_limits(inv, history)
    if history is None or not history.available:
        for column in ("peak_pipeline_runs", "peak_block_runs", "effective_run_limit", "over_limit"):
            limits[column] = None
        return limits
    runs = observed_peaks(history, "pipeline").rename(columns={"peak": "peak_pipeline_runs"})
    blocks = observed_peaks(history, "block").rename(columns={"peak": "peak_block_runs"})
    out = limits.merge(runs[["pipeline_uuid", "peak_pipeline_runs"]], on="pipeline_uuid", how="outer")
    out = out.merge(blocks[["pipeline_uuid", "peak_block_runs"]], on="pipeline_uuid", how="left")
    limit_cols = ["pipeline_run_limit", "pipeline_run_limit_all_triggers", "trigger_run_limit"]
    out["effective_run_limit"] = out[limit_cols].apply(pd.to_numeric, errors="coerce").min(axis=1)
    out["over_limit"] = (out["peak_pipeline_runs"] > out["effective_run_limit"]).fillna(False)
    out["block_over_limit"] = (out["peak_block_runs"] > pd.to_numeric(out["block_run_limit"], errors="coerce")).fillna(False)
    return out.sort_values("pipeline_uuid", ignore_index=True)


def backfill_limits(history) -> pd.DataFrame:
    """Backfill ``settings.pipeline_run_limit`` per backfill (None when unset)."""
    from .backfills import backfill_inventory
    frame = backfill_inventory(history)
    return frame[["id", "name", "pipeline_uuid", "status", "run_limit"]]


__all__ = ["observed_peaks", "overall_peaks", "concurrency_timeline", "configured_limits",
           "concurrency_overview", "backfill_limits"]
