"""Run health: outcomes over time, durations and their trend, queue wait, SLA misses,
skipped runs, expected vs actual runs per time trigger, and trigger drift (YAML vs DB)."""
from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
from croniter import croniter

from auditkit.readers.history import queries as q
from auditkit.readers.history.frames import US
from auditkit.readers.history.runs_local import STAT_COLUMNS

from ._common import history_cached, numeric, tidy_names, timestamps

# Mage's preset intervals (PipelineSchedule): minute 0, midnight, Monday, first of month.
PRESET_CRON = {"@hourly": "0 * * * *", "@daily": "0 0 * * *", "@weekly": "0 0 * * 1",
               "@monthly": "0 0 1 * *"}
MAX_EXPECTED_TICKS = 20_000

def _aggregates(history):
    """The history's pipeline-run aggregates (server or local), or None without a DB."""
    return history.run_stats if history is not None and history.available else None


@history_cached
def run_outcomes(history, period: str = "day") -> pd.DataFrame:
    """Pipeline runs per pipeline, period ('day' or 'week', by created_at) and status."""
    cols = ["pipeline", "period", "status", "runs"]
    runs = _aggregates(history)
    out = tidy_names(runs.counts(period)) if runs is not None else pd.DataFrame(columns=cols)
    if out.empty:
        return pd.DataFrame(columns=cols)
    out["runs"] = out["runs"].astype(np.int64)
    return out[cols].sort_values(["period", "pipeline", "status"], ignore_index=True)


def _stats(history, measure: str, period: str | None = None) -> pd.DataFrame:
    keys = ["pipeline"] + (["period"] if period else [])
    runs = _aggregates(history)
    # One statement per (measure, period), whichever analytic asks (the trend's default
    # period and an explicit "week" are the same question).
    out = tidy_names(history.cached(f"run_stats_{measure}_{period}", lambda: runs.stats(measure, period))) \
        if runs is not None else pd.DataFrame()
    if out.empty:
        return pd.DataFrame(columns=keys + STAT_COLUMNS)
    out["n"] = out["n"].astype(np.int64)
    return out[keys + STAT_COLUMNS].sort_values(keys, ignore_index=True)


@history_cached
def duration_stats(history) -> pd.DataFrame:
    """Duration (completed_at - started_at, seconds) of COMPLETED runs: n, mean, p50, p95,
    max per pipeline. Percentiles use the nearest-rank method."""
    return _stats(history, "duration")


@history_cached
def duration_trend(history, period: str = "week") -> pd.DataFrame:
    """p50/p95 duration of COMPLETED runs per pipeline and period (by created_at)."""
    return _stats(history, "duration", period)


@history_cached
def queue_wait(history) -> pd.DataFrame:
    """Seconds from created_at (queued) to started_at per pipeline: n, mean, p50, p95, max."""
    return _stats(history, "queue_wait")


@history_cached
def sla_misses(history) -> pd.DataFrame:
    """Runs of triggers with an SLA and how many passed it (``passed_sla``) per pipeline."""
    cols = ["pipeline", "runs_with_sla", "sla_misses", "miss_rate"]
    runs = _aggregates(history)
    if runs is None:
        return pd.DataFrame(columns=cols)
    schedules = tidy_names(history.schedules())
    sla = pd.to_numeric(schedules["sla"], errors="coerce")
    out = tidy_names(runs.sla(set(schedules.loc[sla > 0, "schedule_id"].astype(float))))
    if out.empty:
        return pd.DataFrame(columns=cols)
    out[["runs_with_sla", "sla_misses"]] = out[["runs_with_sla", "sla_misses"]].astype(np.int64)
    out["miss_rate"] = out["sla_misses"] / out["runs_with_sla"].where(out["runs_with_sla"] > 0)
    return out[cols].sort_values("pipeline", ignore_index=True)


@history_cached
def skipped_runs(history) -> pd.DataFrame:
    """CANCELLED runs with no block runs (skipped by skip_if_previous_running or a run limit)."""
    frame = tidy_names(history.cached("skipped", lambda: history.query(
        q.skipped_runs(history), "skipped_runs", columns=["pipeline_uuid", "skipped_runs"])))
    return numeric(frame, ["skipped_runs"]).sort_values("pipeline", ignore_index=True)


@history_cached
def failure_rate(completed: float, failed: float) -> float | None:
    """The one definition of failure rate used by the rules, ``summary.json`` and the index:
    failed runs over finished runs (COMPLETED + FAILED). Cancelled, skipped and unfinished runs
    say nothing about whether the pipeline works. None when no run finished."""
    finished = completed + failed
    return round(failed / finished, 4) if finished else None


def run_health(history) -> pd.DataFrame:
    """One row per pipeline: runs by outcome, success rate, skipped, SLA misses, duration and
    queue-wait percentiles, and the duration trend (last four weeks' p50 / earlier p50)."""
    counts = tidy_names(history.pipeline_run_counts())
    if counts.empty:
        return pd.DataFrame(columns=["pipeline", "runs", "completed", "failed", "cancelled",
                                     "in_progress", "success_rate"])
    counts = numeric(counts, ["runs"])
    wide = counts.pivot_table(index="pipeline", columns="status", values="runs",
                              aggfunc="sum", fill_value=0)
    out = pd.DataFrame({"runs": wide.sum(axis=1)})
    for status in ("COMPLETED", "FAILED", "CANCELLED"):
        out[status.lower()] = wide[status] if status in wide else 0
    out["in_progress"] = sum(wide[s] for s in ("INITIAL", "RUNNING") if s in wide) if any(
        s in wide for s in ("INITIAL", "RUNNING")) else 0
    out["failure_rate"] = [failure_rate(c, f) for c, f in zip(out["completed"], out["failed"])]
    out["failure_rate"] = out["failure_rate"].astype(float)
    out["success_rate"] = (1 - out["failure_rate"]).round(4)
    out = out.reset_index()
    out = out.merge(skipped_runs(history), on="pipeline", how="left")
    out = out.merge(sla_misses(history)[["pipeline", "runs_with_sla", "sla_misses"]],
                    on="pipeline", how="left")
    durations = duration_stats(history).rename(columns={
        "p50_s": "duration_p50_s", "p95_s": "duration_p95_s", "max_s": "duration_max_s"})
    out = out.merge(durations[["pipeline", "duration_p50_s", "duration_p95_s", "duration_max_s"]],
                    on="pipeline", how="left")
    waits = queue_wait(history).rename(columns={"p50_s": "queue_p50_s", "p95_s": "queue_p95_s"})
    out = out.merge(waits[["pipeline", "queue_p50_s", "queue_p95_s"]], on="pipeline", how="left")
    out = out.merge(_trend_ratio(duration_trend(history)), on="pipeline", how="left")
    for column in ("skipped_runs", "runs_with_sla", "sla_misses"):
        out[column] = out[column].fillna(0).astype(int)
    return out.sort_values("pipeline", ignore_index=True)


def _trend_ratio(trend: pd.DataFrame, recent: int = 4) -> pd.DataFrame:
    """p50 of the last ``recent`` periods over p50 of the earlier ones (>1 = getting slower)."""
    rows = []
    for pipeline, group in trend.sort_values("period").groupby("pipeline"):
        if len(group) <= recent:
            continue
        later = group["p50_s"].iloc[-recent:].median()
        earlier = group["p50_s"].iloc[:-recent].median()
        if earlier and earlier > 0:
            rows.append({"pipeline": pipeline, "duration_trend": round(later / earlier, 3)})
    return pd.DataFrame(rows, columns=["pipeline", "duration_trend"])


def _per_schedule(history) -> pd.DataFrame:
    """Per trigger: runs, manual runs (API/"run now"), distinct execution dates of scheduler
    runs, and lateness (started - execution_date of scheduler runs) p50/p95/max."""
    runs = _aggregates(history)
    frame = runs.per_schedule() if runs is not None else pd.DataFrame()
    if frame.empty:
        return pd.DataFrame(columns=["schedule_id", "runs", "manual_runs", "execution_dates", "p50_late_s",
                                     "p95_late_s", "max_late_s"])
    return frame.assign(schedule_id=frame["schedule_id"].astype(float))


def _reference_now(history) -> datetime | None:
    """The end of the window: ``until``, else the newest run in the DB (not the wall clock,
    so an old copied history is not reported as missing every run since)."""
    if history.until is not None:
        return history.until
    runs = _aggregates(history)
    newest = runs.newest_created() if runs is not None else None
    return None if newest is None else \
        pd.to_datetime(newest, unit="us", errors="coerce").round("ms").to_pydatetime()


def _epoch_us(value) -> int:
    return int(pd.Timestamp(value).value // 1000)


def count_ticks(interval: str, start: datetime, end: datetime) -> tuple[int | None, bool]:
    """Cron/preset ticks in (start - 1s, end]; (None, False) when not a repeating schedule.
    Past MAX_EXPECTED_TICKS the count is extrapolated from the ticks seen (second value True)."""
    cron = PRESET_CRON.get(interval, interval)
    if not interval or interval.startswith("@") and interval not in PRESET_CRON:
        return None, False
    try:
        if not croniter.is_valid(cron) or start is None or end is None or pd.isna(start) or pd.isna(end):
            return None, False
        it = croniter(cron, start - pd.Timedelta(seconds=1).to_pytimedelta())
        count = 0
        while count < MAX_EXPECTED_TICKS:
            tick = it.get_next(datetime)
            if tick > end:
                return count, False
            count += 1
    except (ValueError, OverflowError, TypeError, KeyError):
        return None, False
    covered = (tick - start).total_seconds()
    return int(count * (end - start).total_seconds() / covered) if covered > 0 else count, True


@history_cached
def expected_vs_actual(history) -> pd.DataFrame:
    """Per active TIME trigger with a repeating interval: expected ticks (croniter) since the
    later of start_time, last_enabled_at and the window start, against distinct execution
    dates of scheduler-made runs in that same window (``actual_runs``; API/"run now" runs carry an
    execution_partition and are counted apart as ``manual_runs``), plus lateness
    (started_at - execution_date of scheduled runs) p50/p95/max."""
    cols = ["trigger_id", "pipeline", "name", "schedule_interval", "expected_runs",
            "actual_runs", "runs", "manual_runs", "missing_runs", "p50_late_s", "p95_late_s", "max_late_s", "capped"]
    schedules = timestamps(tidy_names(history.schedules()), ["start_time", "last_enabled_at", "created_at"])
    if schedules.empty:
        return pd.DataFrame(columns=cols)
    actual = _per_schedule(history)
    now = _reference_now(history)
    timed = schedules[(schedules["schedule_type"].astype(str).str.upper() == "TIME")
                      & (schedules["status"].astype(str).str.upper() == "ACTIVE")]
    plans = []
    for s in timed.itertuples(index=False):
        starts = [t for t in (s.start_time, s.last_enabled_at, history.since) if t is not None and pd.notna(t)]
        if now is None or not starts:
            continue
        start = max(starts)
        expected, capped = count_ticks(str(s.schedule_interval or ""), start, now)
        if expected is not None:
            plans.append((s, start, expected, capped))
    # The same window on both sides: runs executed before the trigger was (re-)enabled
    # must not make up for missing ones after it.
    bounds = {float(s.schedule_id): (_epoch_us(start) - US, _epoch_us(now)) for s, start, _, _ in plans}
    runs = _aggregates(history)
    got_by_schedule = runs.ticks_between(bounds) if runs is not None else {}
    rows = []
    for s, start, expected, capped in plans:
        match = actual[actual["schedule_id"] == float(s.schedule_id)]
        got = got_by_schedule.get(float(s.schedule_id), 0)
        runs_n = int(match["runs"].iloc[0]) if not match.empty else 0
        manual = int(match["manual_runs"].fillna(0).iloc[0]) if not match.empty else 0
        late = match.iloc[0] if not match.empty else {}
        rows.append(dict(trigger_id=s.schedule_id, pipeline=s.pipeline, name=s.name,
                         schedule_interval=s.schedule_interval, expected_runs=expected,
                         actual_runs=got, runs=runs_n, manual_runs=manual, missing_runs=max(expected - got, 0),
                         p50_late_s=late.get("p50_late_s"), p95_late_s=late.get("p95_late_s"),
                         max_late_s=late.get("max_late_s"), capped=capped))
    return pd.DataFrame(rows, columns=cols)


def trigger_drift(history, inv=None, mage_env: str | None = None) -> pd.DataFrame:
    """Triggers that differ between code and DB; see :func:`auditkit.analytics.schedule_sync.trigger_drift`."""
    from .schedule_sync import trigger_drift as drift
    return drift(history, inv, mage_env)
