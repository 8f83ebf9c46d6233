"""Retries: the effective ``retry_config`` next to what actually happened.

Mage has three retry mechanisms (reference section 5.4): automatic attempts inside one block
run (only in block logs: lines ``attempt N of M`` with N < M), "retry blocks" on an existing
run (a COMPLETED block_run that kept ``metrics.error``) and "retry run" (a new pipeline_run
with the same trigger and execution_date).
"""
from __future__ import annotations

import pandas as pd

from ._common import NON_EXECUTABLE_BLOCK_TYPES, as_dict, history_cached, inventory_frame, numeric, tidy_names, to_int

RETRY_DEFAULTS = {"retries": 0, "delay": 5, "max_delay": 60, "exponential_backoff": True}


def effective_retry_config(inv) -> pd.DataFrame:
    """Per executable block: Mage's RetryConfig = defaults <- project retry_config <- block
    retry_config, with ``source`` naming where ``retries`` came from."""
    cols = ["project", "pipeline", "block", "retries", "delay", "max_delay", "exponential_backoff", "source"]
    blocks = inventory_frame(inv, "blocks", ["project", "pipeline", "block", "block_type", "section", "retry_config"])
    projects = inventory_frame(inv, "projects", ["project", "retry_config"])
    project_retry = {r.project: as_dict(r.retry_config) for r in projects.itertuples(index=False)}
    # Most blocks carry no retry_config: their merged config is their project's, built once.
    project_merged = {name: ({**RETRY_DEFAULTS, **cfg}, "project" if "retries" in cfg else "default")
                      for name, cfg in project_retry.items()}
    plain = (RETRY_DEFAULTS, "default")
    rows = []
    for project, pipeline, block, kind, section, retry_config in zip(
            *(blocks[c].tolist() for c in ("project", "pipeline", "block", "block_type", "section", "retry_config"))):
        if section not in (None, "blocks") or kind in NON_EXECUTABLE_BLOCK_TYPES:
            continue
        block_cfg = as_dict(retry_config)
        if block_cfg:
            proj_cfg = project_retry.get(project, {})
            merged = {**RETRY_DEFAULTS, **proj_cfg, **block_cfg}
            source = "block" if "retries" in block_cfg else "project" if "retries" in proj_cfg else "default"
        else:
            merged, source = project_merged.get(project, plain)
        rows.append((project, pipeline, block, to_int(merged.get("retries")) or 0, merged.get("delay"),
                     merged.get("max_delay"), merged.get("exponential_backoff"), source))
    return pd.DataFrame(rows, columns=cols)


@history_cached
def block_outcomes(history) -> pd.DataFrame:
    """Per (pipeline, block): block runs, completed, failed, and ``retried_block_runs``
    (COMPLETED yet still holding metrics.error: rerun by "retry blocks")."""
    cols = ["pipeline", "block", "block_runs", "completed", "failed", "retried_block_runs"]
    stats = tidy_names(history.block_run_stats()) if history is not None else pd.DataFrame()
    if stats.empty:
        return pd.DataFrame(columns=cols)
    stats = numeric(stats, ["block_runs", "with_error"])
    status = stats["status"].astype(str).str.upper()
    stats = stats.assign(completed=stats["block_runs"].where(status == "COMPLETED", 0),
                         failed=stats["block_runs"].where(status == "FAILED", 0),
                         retried_block_runs=stats["with_error"].where(status == "COMPLETED", 0))
    out = stats.groupby(["pipeline", "block"], as_index=False)[
        ["block_runs", "completed", "failed", "retried_block_runs"]].sum()
    return out[cols].sort_values(["pipeline", "block"], ignore_index=True)


@history_cached
def retried_pipeline_runs(history) -> pd.DataFrame:
    """Per pipeline: executions (trigger, execution_date) run more than once, the extra runs,
    and how many of those executions ended with a COMPLETED run."""
    cols = ["pipeline", "retried_executions", "extra_runs", "recovered"]
    if history is None or not history.available:
        return pd.DataFrame(columns=cols)
    out = tidy_names(history.run_stats.retried())
    if out.empty:
        return pd.DataFrame(columns=cols)
    out[cols[1:]] = out[cols[1:]].astype("int64")
    return out[cols].sort_values("pipeline", ignore_index=True)


@history_cached
def observed_retries(history) -> pd.DataFrame:
    """Per (pipeline, block): log retry attempts (N < M), final failures in logs (N = M),
    block runs retried automatically, and the DB outcome counts of :func:`block_outcomes`."""
    outcomes = block_outcomes(history)
    logs = tidy_names(history.logs.retries_by_block()).rename(columns={
        "retries": "log_retries", "final_failures": "log_final_failures",
        "block_runs_retried": "block_runs_auto_retried"})
    out = outcomes.merge(logs, on=["pipeline", "block"], how="outer")
    count_cols = ["block_runs", "completed", "failed", "retried_block_runs", "log_retries",
                  "log_final_failures", "block_runs_auto_retried"]
    out[count_cols] = out[count_cols].apply(pd.to_numeric, errors="coerce").fillna(0).astype(int)
    return out.sort_values(["pipeline", "block"], ignore_index=True)


def retry_overview(history, inv=None) -> pd.DataFrame:
    """Configured retries next to observed ones per block, with two judgements:
    ``flaky`` (failed or needed retries, yet also completed) and ``failed_without_retry``
    (failed block runs while no retries are configured)."""
    config = effective_retry_config(inv).rename(columns={"retries": "configured_retries"})
    if history is None or not history.available:
        return config
    observed = observed_retries(history)
    out = observed.merge(config, on=["pipeline", "block"], how="left") if not config.empty \
        else observed.assign(configured_retries=None, source=None)
    trouble = out["log_retries"] + out["retried_block_runs"] + out["failed"]
    out["flaky"] = (trouble > 0) & (out["completed"] > 0) & (
        (out["log_retries"] > 0) | (out["retried_block_runs"] > 0))
    configured = pd.to_numeric(out["configured_retries"], errors="coerce")
    out["failed_without_retry"] = (out["failed"] > 0) & (configured.fillna(0) == 0) & configured.notna()
    return out.sort_values(["pipeline", "block"], ignore_index=True)


def flaky_blocks(history, inv=None, top: int = 20) -> pd.DataFrame:
    """The blocks that most often needed a retry, worst first."""
    frame = retry_overview(history, inv)
    if frame.empty or "flaky" not in frame:
        return frame
    frame = frame[frame["flaky"]].copy()
    frame["retry_events"] = frame["log_retries"] + frame["retried_block_runs"]
    return frame.sort_values(["retry_events", "pipeline"], ascending=[False, True]).head(top) \
        .reset_index(drop=True)
