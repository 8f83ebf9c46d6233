"""Concurrency: configured limits next to observed peak concurrent runs, and a timeline.

Configured: pipeline ``concurrency_config`` (block_run_limit, pipeline_run_limit [per
trigger], pipeline_run_limit_all_triggers, on_pipeline_run_limit_reached), project
``queue_config.concurrency`` (default 20), trigger ``settings.pipeline_run_limit`` (YAML and
DB), backfill ``settings.pipeline_run_limit``, executor type and run_pipeline_in_one_process.
Observed: exact peaks from sweeps over run start/end events (ends free their slot before a
start at the same instant): pipeline runs from the history's run aggregates (streamed from
Postgres, or the run frame), block runs from the streamed block pass.
"""
from __future__ import annotations

import pandas as pd

from ._common import as_dict, history_cached, inventory_frame, tidy_names, to_int

DEFAULT_QUEUE_CONCURRENCY = 20
LIMIT_COLUMNS = ["pipeline", "project", "pipeline_type", "executor_type", "run_pipeline_in_one_process",
                 "pipeline_run_limit", "pipeline_run_limit_all_triggers", "block_run_limit",
                 "on_limit_reached", "trigger_run_limit", "queue_concurrency"]
DEFAULT_BUCKET_SECONDS = 3600


def _run_concurrency(history, bucket_seconds: int = DEFAULT_BUCKET_SECONDS):
    """Pipeline-run peaks and timeline, computed once per History and bucket size."""
    return history.cached_value(f"run_concurrency_{bucket_seconds}",
                                lambda: history.run_stats.concurrency(bucket_seconds))


@history_cached
def observed_peaks(history, level: str = "pipeline") -> pd.DataFrame:
    """Peak concurrent ``pipeline`` runs (or ``block`` runs) per pipeline, and the overall
    peak over all pipelines (same value on each row). Ends: completed_at, else the last
    update of a FAILED/CANCELLED run, else the window end (still running)."""
    cols = ["pipeline", "peak", "overall_peak"]
    if history is None or not history.available:
        return pd.DataFrame(columns=cols)
    if level == "block":
        result = history.block_pass()
        peaks, overall = result.peaks, result.overall_peak
    else:
        result = _run_concurrency(history)
        peaks, overall = result.peaks, result.overall
    frame = pd.DataFrame(sorted(peaks.items()), columns=["pipeline", "peak"])
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
def concurrency_timeline(history, bucket_seconds: int = DEFAULT_BUCKET_SECONDS) -> pd.DataFrame:
    """Pipeline runs in flight per pipeline and time bucket (the most seen at a run start in
    the bucket): ``pipeline, bucket (timestamp), running``."""
    cols = ["pipeline", "bucket", "running"]
    if history is None or not history.available:
        return pd.DataFrame(columns=cols)
    out = tidy_names(_run_concurrency(history, bucket_seconds).timeline.copy())
    if out.empty:
        return pd.DataFrame(columns=cols)
    out["bucket"] = pd.to_datetime(out["bucket"], unit="s", errors="coerce")
    out["running"] = out["running"].astype("int64")
    return out[cols].sort_values(["bucket", "pipeline"], ignore_index=True)


def _trigger_limits(history, inv) -> dict[str, int]:
    """Smallest ``settings.pipeline_run_limit`` over a pipeline's triggers (YAML and DB)."""
    limits: dict[str, int] = {}
    sources = [inventory_frame(inv, "triggers", ["pipeline", "settings"])]
    if history is not None and history.available:
        sources.append(tidy_names(history.schedules()))
    for frame in sources:
        for row in frame.itertuples(index=False):
            limit = to_int(as_dict(getattr(row, "settings", None)).get("pipeline_run_limit"))
            if limit is not None:
                key = str(row.pipeline)
                limits[key] = min(limit, limits.get(key, limit))
    return limits


def configured_limits(inv, history=None) -> pd.DataFrame:
    """The concurrency configuration per pipeline (works without history)."""
    pipelines = inventory_frame(inv, "pipelines", ["project", "pipeline", "pipeline_type", "executor_type",
                                                   "run_pipeline_in_one_process", "concurrency_config"])
    projects = inventory_frame(inv, "projects", ["project", "queue_config"])
    queue = {r.project: to_int(as_dict(r.queue_config).get("concurrency")) or DEFAULT_QUEUE_CONCURRENCY
             for r in projects.itertuples(index=False)}
    triggers = _trigger_limits(history, inv)
    rows = []
    for p in pipelines.itertuples(index=False):
        config = as_dict(p.concurrency_config)
        rows.append(dict(
            pipeline=p.pipeline, project=p.project, pipeline_type=p.pipeline_type,
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
    out = limits.merge(runs[["pipeline", "peak_pipeline_runs"]], on="pipeline", how="outer")
    out = out.merge(blocks[["pipeline", "peak_block_runs"]], on="pipeline", how="left")
    limit_cols = ["pipeline_run_limit", "pipeline_run_limit_all_triggers", "trigger_run_limit"]
    out["effective_run_limit"] = out[limit_cols].apply(pd.to_numeric, errors="coerce").min(axis=1)
    out["over_limit"] = (out["peak_pipeline_runs"] > out["effective_run_limit"]).fillna(False)
    out["block_over_limit"] = (out["peak_block_runs"] > pd.to_numeric(out["block_run_limit"], errors="coerce")).fillna(False)
    return out.sort_values("pipeline", ignore_index=True)


def backfill_limits(history) -> pd.DataFrame:
    """Backfill ``settings.pipeline_run_limit`` per backfill (None when unset)."""
    from .backfills import backfill_inventory
    frame = backfill_inventory(history)
    return frame[["backfill_id", "name", "pipeline", "status", "run_limit"]]


__all__ = ["observed_peaks", "overall_peaks", "concurrency_timeline", "configured_limits",
           "concurrency_overview", "backfill_limits"]
