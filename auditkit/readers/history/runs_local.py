"""Pipeline-run aggregates computed in the client from the run frame (SQLite).

Each method returns the same small frame as its twin in :mod:`runs_server`, which has
PostgreSQL compute it; ``tests/test_history_postgres.py`` holds the two to each other.
Times in the run frame are epoch microseconds; results are in seconds.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .frames import US, with_names
from .sweep import bucket_peaks, peak_concurrency

STAT_COLUMNS = ["n", "mean_s", "p50_s", "p95_s", "max_s"]
SCHEDULE_COLUMNS = ["schedule_id", "runs", "manual_runs", "execution_dates", "p50_late_s", "p95_late_s",
                    "max_late_s"]
RETRIED_COLUMNS = ["pipeline_uuid", "retried_executions", "extra_runs", "recovered"]


def nearest_rank(values: np.ndarray, q: float) -> float:
    """Nearest-rank percentile: the smallest value with at least q% of values at or below."""
    return float(np.percentile(values, q, method="inverted_cdf")) if len(values) else float("nan")


def period_of(epochs_us: pd.Series, period: str) -> pd.Series:
    """'YYYY-MM-DD' of the UTC day, or of the Monday starting the week."""
    days = pd.to_datetime(epochs_us, unit="us", errors="coerce").dt.floor("D")
    if period == "week":
        days = days - pd.to_timedelta(days.dt.day_of_week, unit="D")
    return days.dt.strftime("%Y-%m-%d")


def _stats(frame: pd.DataFrame, value: pd.Series, keys: list[str]) -> pd.DataFrame:
    """n, mean, p50, p95, max of ``value`` (seconds) per ``keys``; negative and NaN dropped."""
    data = frame[keys].assign(x=value.to_numpy() / US)
    data = data[data["x"].notna() & (data["x"] >= 0)]
    rows = []
    for key, group in data.groupby(keys, observed=True, sort=True):
        x = group["x"].to_numpy()
        key = key if isinstance(key, tuple) else (key,)
        rows.append((*[str(k) for k in key], len(x), float(x.mean()), nearest_rank(x, 50),
                     nearest_rank(x, 95), float(x.max())))
    return pd.DataFrame(rows, columns=keys + STAT_COLUMNS)


class LocalRuns:
    """Aggregates over ``history.run_frame()``."""

    def __init__(self, history) -> None:
        self.h = history

    def _runs(self) -> pd.DataFrame:
        return self.h.run_frame() if self.h.available else pd.DataFrame()

    def _named(self) -> pd.DataFrame:
        runs = self._runs()
        if runs.empty:
            return pd.DataFrame(columns=["pipeline_uuid", "status_name", "created", "started", "completed"])
        return with_names(runs)

    def counts(self, period: str | None = None) -> pd.DataFrame:
        """Runs per pipeline[, period of created_at] and status."""
        keys = ["pipeline_uuid"] + (["period"] if period else []) + ["status"]
        runs = self._named()
        if runs.empty:
            return pd.DataFrame(columns=keys + ["runs"])
        if period:
            runs = runs[runs["created"].notna()].assign(period=lambda f: period_of(f["created"], period))
        out = (runs.groupby(keys[:-1] + ["status_name"], observed=True).size()
               .reset_index(name="runs").rename(columns={"status_name": "status"}))
        out["pipeline_uuid"] = out["pipeline_uuid"].astype(str)
        return out[keys + ["runs"]]

    def stats(self, measure: str, period: str | None = None) -> pd.DataFrame:
        """``duration`` (completed - started of COMPLETED runs) or ``queue_wait`` (started -
        created of all runs): n, mean, p50, p95, max per pipeline[, period of created_at]."""
        keys = ["pipeline_uuid"] + (["period"] if period else [])
        runs = self._named()
        if runs.empty:
            return pd.DataFrame(columns=keys + STAT_COLUMNS)
        if measure == "duration":
            runs = runs[runs["status_name"] == "COMPLETED"]
            value_of = lambda f: f["completed"] - f["started"]  # noqa: E731
        else:
            value_of = lambda f: f["started"] - f["created"]    # noqa: E731
        if period:
            runs = runs[runs["created"].notna()]
            runs = runs.assign(period=period_of(runs["created"], period))
        return _stats(runs, value_of(runs), keys)

    def sla(self, schedule_ids: set[float]) -> pd.DataFrame:
        """Runs of the given triggers per pipeline and how many missed their SLA."""
        cols = ["pipeline_uuid", "runs_with_sla", "sla_misses"]
        runs = self._named()
        if runs.empty:
            return pd.DataFrame(columns=cols)
        runs = runs[runs["schedule_id"].isin(schedule_ids)]
        out = runs.groupby("pipeline_uuid", observed=True).agg(
            runs_with_sla=("id", "size"), sla_misses=("passed_sla", "sum")).reset_index()
        out["pipeline_uuid"] = out["pipeline_uuid"].astype(str)
        return out[cols]

    def per_schedule(self) -> pd.DataFrame:
        """Per trigger: runs, manual runs, distinct execution dates of scheduler runs, and
        lateness (started - execution_date of scheduler runs, seconds) p50/p95/max."""
        runs = self._runs()
        if runs.empty:
            return pd.DataFrame(columns=SCHEDULE_COLUMNS)
        runs = runs[runs["schedule_id"].notna()]
        rows = []
        for schedule_id, group in runs.groupby("schedule_id"):
            ticks = group[group["manual"] == 0]
            late = ((ticks["started"] - ticks["execution"]) / US).dropna().to_numpy()
            late = late[late >= 0]
            rows.append((schedule_id, len(group), int(group["manual"].sum()), ticks["execution"].nunique(),
                         nearest_rank(late, 50), nearest_rank(late, 95),
                         float(late.max()) if len(late) else np.nan))
        return pd.DataFrame(rows, columns=SCHEDULE_COLUMNS)

    def ticks_between(self, bounds: dict[float, tuple[float, float]]) -> dict[float, int]:
        """Distinct execution dates of scheduler runs per trigger within [low, high] (epoch us)."""
        runs = self._runs()
        if runs.empty:
            return {}
        ticks = runs[runs["schedule_id"].notna() & (runs["manual"] == 0)]
        out = {}
        for schedule_id, (low, high) in bounds.items():
            mine = ticks[(ticks["schedule_id"] == schedule_id) & ticks["execution"].between(low, high)]
            out[schedule_id] = int(mine["execution"].nunique())
        return out

    def newest_created(self) -> float | None:
        """Epoch microseconds of the newest run's created_at, or None."""
        runs = self._runs()
        newest = runs["created"].max() if not runs.empty else None
        return None if newest is None or pd.isna(newest) else float(newest)

    def retried(self) -> pd.DataFrame:
        """Executions (trigger, execution_date) run more than once, per pipeline."""
        runs = self._runs()
        if runs.empty:
            return pd.DataFrame(columns=RETRIED_COLUMNS)
        runs = with_names(runs[runs["schedule_id"].notna() & runs["execution"].notna()])
        groups = runs.assign(done=runs["status_name"] == "COMPLETED") \
            .groupby(["pipeline_uuid", "schedule_id", "execution"], observed=True) \
            .agg(n=("id", "size"), done=("done", "max")).reset_index()
        groups = groups[groups["n"] > 1]
        out = groups.groupby("pipeline_uuid", observed=True).agg(
            retried_executions=("n", "size"), extra_runs=("n", lambda n: int((n - 1).sum())),
            recovered=("done", "sum")).reset_index()
        out["pipeline_uuid"] = out["pipeline_uuid"].astype(str)
        return out[RETRIED_COLUMNS]

    def spans(self) -> dict[str, np.ndarray]:
        """(start, end) epoch-us pairs of started runs, per pipeline."""
        runs = self._runs()
        if runs.empty:
            return {}
        runs = runs[runs["started"].notna() & (runs["pipeline"] >= 0)]
        spans = runs[["started", "end"]].to_numpy()
        names, codes = runs.attrs["pipelines"], runs["pipeline"].to_numpy()
        return {names[c]: spans[codes == c] for c in np.unique(codes)}

    def concurrency(self, bucket_seconds: int) -> "RunConcurrency":
        """Exact peaks of pipeline runs in flight per pipeline and overall, and per pipeline
        and bucket the most in flight at a run start."""
        spans = self.spans()
        peaks = {p: peak_concurrency(a[:, 0], a[:, 1]) for p, a in spans.items()}
        both = np.concatenate(list(spans.values())) if spans else np.empty((0, 2))
        parts = []
        for pipeline, array in spans.items():
            buckets, running = bucket_peaks(array, bucket_seconds * US)
            parts.append(pd.DataFrame({"pipeline_uuid": pipeline, "bucket": buckets / US, "running": running}))
        timeline = pd.concat(parts, ignore_index=True) if parts else \
            pd.DataFrame(columns=["pipeline_uuid", "bucket", "running"])
        return RunConcurrency(peaks, peak_concurrency(both[:, 0], both[:, 1]), timeline)


class RunConcurrency:
    """Pipeline-run concurrency: ``peaks`` {pipeline: peak}, ``overall`` (all pipelines) and
    ``timeline`` (pipeline_uuid, bucket [epoch seconds of its start], running)."""

    def __init__(self, peaks: dict[str, int], overall: int, timeline: pd.DataFrame) -> None:
        self.peaks, self.overall, self.timeline = peaks, overall, timeline
