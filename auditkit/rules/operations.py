"""Rules of category ``operations``: triggers Mage would skip, schedule versus run time, run
health (failures, skipped, missing, late and SLA-missing runs), trigger drift between code and
DB, and backfill practice. All but the first and the last read the run history."""
from __future__ import annotations

import re

import pandas as pd

from auditkit.analytics.backfills import backfill_gaps, backfill_inventory
from auditkit.analytics.runs import expected_vs_actual, run_health, trigger_drift
from auditkit.engine.base import Rule, Threshold, register
from auditkit.engine.lookups import active_triggers, history_of, place, repeating_triggers
from auditkit.engine.frames import frame_of, number, rows

BACKFILL_NAME_RE = re.compile(r"(?i)backfill|back_fill|reload|reprocess|re_?run|historic|catch_?up|q[1-4]_?\d{4}")


@register
class InvalidTrigger(Rule):
    """A trigger in ``triggers.yaml`` that Mage cannot load.

    What it checks:
        Entries the trigger reader marked invalid: unknown keys (Mage loads each entry with a
        dataclass constructor), missing ``start_time``/``schedule_interval``, invalid cron,
        ``envs`` values outside ``dev, staging, prod, test``.

    Why it matters:
        Mage prints a traceback and skips the entry: the schedule silently never runs.

    Example:
        A trigger with ``tags: [finance]`` (not a trigger key).

    Fix:
        Remove the unknown keys or fix the value named in the finding, then check the trigger
        appears in the UI.
    """

    id = "MAGE-OPS-001"
    name = "invalid-trigger"
    title = "Trigger Mage would skip"
    category = "operations"
    severity = "high"
    practices = ("BP-MONITOR-HEALTH-METRICS",)

    def check(self):
        for t in rows(frame_of(self.ctx.inventory, "triggers")):
            if t.get("valid") is False:
                yield self.finding(f"trigger '{t.get('name')}' cannot be loaded: {t.get('problem') or 'invalid'}",
                                   project=t["project"], pipeline=t["pipeline"], path=t.get("path"),
                                   key=t.get("name"), evidence=str(t.get("problem") or ""))


class _HistoryRule(Rule):
    needs = frozenset({"inventory", "history"})

    @property
    def history(self):
        return history_of(self.ctx)


@register
class ScheduleShorterThanRun(_HistoryRule):
    """Runs take longer than the time between two scheduled runs.

    What it checks:
        Active repeating triggers whose interval is shorter than the pipeline's p95 run time
        (COMPLETED runs in the history) times ``min_ratio``.

    Why it matters:
        Runs overlap or are skipped (``skip_if_previous_running``); data arrives later and later
        and the source is queried by several runs at once.

    Example:
        An ``@hourly`` trigger on a pipeline whose p95 run time is 75 minutes.

    Fix:
        Schedule less often, make the pipeline faster, or split it.

    Options:
        ``min_ratio``: the interval must be at least p95 duration times this.
    """

    id = "MAGE-OPS-002"
    name = "schedule-shorter-than-run"
    title = "Schedule interval shorter than the run time"
    category = "operations"
    severity = "medium"
    thresholds = (Threshold("min_ratio", 1.0, "interval / p95 run time must be at least this", "number > 0"),)
    practices = ("BP-SCHEDULE-DURATION",)

    def check(self):
        if self.history is None:
            return
        health = run_health(self.history)
        if health.empty or "duration_p95_s" not in health:
            return
        p95 = {str(r["pipeline"]): number(r.get("duration_p95_s")) for r in rows(health)}
        for t in repeating_triggers(self.ctx.inventory):
            duration = p95.get(str(t["pipeline"]))
            if duration and t["interval_s"] < duration * self.option("min_ratio"):
                yield self.finding(
                    f"trigger '{t['name']}' fires every {t['interval_s'] / 60:.0f} min; runs take {duration / 60:.0f} min (p95)",
                    project=t["project"], pipeline=t["pipeline"], path=t.get("path"), key=t["name"],
                    evidence=f"interval_s={t['interval_s']:.0f}, p95_s={duration:.0f}")


@register
class HighFailureRate(_HistoryRule):
    """A pipeline fails too often.

    What it checks:
        Pipelines with at least ``min_runs`` finished runs whose success rate
        (COMPLETED / (COMPLETED + FAILED)) is below ``min_success_rate``.

    Why it matters:
        Frequent failures mean stale data, manual reruns and alert fatigue.

    Example:
        ``marketing_campaign_attribution_hourly``: 71% of 2,000 runs completed.

    Fix:
        Group the failures by block and error message (block logs) and fix the top cause.

    Options:
        ``min_success_rate``: acceptable share of successful runs. ``min_runs``: runs needed
        before judging.
    """

    id = "MAGE-OPS-003"
    name = "high-failure-rate"
    title = "Pipeline failure rate too high"
    category = "operations"
    severity = "high"
    thresholds = (Threshold("min_success_rate", 0.9, "lowest acceptable success rate", "0..1"),
                  Threshold("min_runs", 10, "finished runs needed before judging", "integer > 0"))
    practices = ("BP-MONITOR-HEALTH-METRICS",)

    def check(self):
        if self.history is None:
            return
        for r in rows(run_health(self.history)):
            finished = (number(r.get("completed")) or 0) + (number(r.get("failed")) or 0)
            rate = number(r.get("success_rate"))
            if rate is not None and finished >= self.option("min_runs") and rate < self.option("min_success_rate"):
                yield self.finding(f"{rate:.0%} of {int(finished)} finished runs succeeded",
                                   **place(self.ctx.inventory, r["pipeline"]),
                                   evidence=f"completed={int(r['completed'])}, failed={int(r['failed'])}")


@register
class SkippedRuns(_HistoryRule):
    """Scheduled runs were skipped.

    What it checks:
        Pipelines where CANCELLED runs with no block runs (skipped because the previous run was
        still going, or a run limit was reached) are more than ``max_share`` of all runs.

    Why it matters:
        Each skipped run is a missing data interval unless a later run covers it.

    Example:
        120 of 700 hourly runs skipped by ``skip_if_previous_running``.

    Fix:
        Make runs shorter than the interval, or schedule less often; make sure later runs load
        the skipped intervals.

    Options:
        ``max_share``: acceptable share of skipped runs.
    """

    id = "MAGE-OPS-004"
    name = "skipped-runs"
    title = "Scheduled runs skipped"
    category = "operations"
    severity = "low"
    thresholds = (Threshold("max_share", 0.05, "acceptable share of skipped runs", "0..1"),)
    practices = ("BP-SCHEDULE-DURATION", "BP-MONITOR-HEALTH-METRICS")

    def check(self):
        if self.history is None:
            return
        for r in rows(run_health(self.history)):
            skipped, runs = number(r.get("skipped_runs")) or 0, number(r.get("runs")) or 0
            if skipped and runs and skipped / runs > self.option("max_share"):
                yield self.finding(f"{int(skipped)} of {int(runs)} runs were skipped",
                                   **place(self.ctx.inventory, r["pipeline"]),
                                   evidence=f"skipped_runs={int(skipped)}, runs={int(runs)}")


@register
class MissingScheduledRuns(_HistoryRule):
    """A time trigger ran fewer times than its schedule says.

    What it checks:
        Active repeating triggers in the DB whose distinct executed intervals fall short of the
        expected ticks (croniter, since the trigger was enabled) by more than ``max_missing_share``.

    Why it matters:
        Missing runs mean missing data intervals: the scheduler was down, the trigger was
        paused, or runs were never created.

    Example:
        A ``@daily`` trigger with 90 expected and 71 actual runs.

    Fix:
        Backfill the missing intervals and find out why the scheduler did not run them.

    Options:
        ``max_missing_share``: acceptable share of missing runs.
    """

    id = "MAGE-OPS-005"
    name = "missing-scheduled-runs"
    title = "Scheduled runs missing"
    category = "operations"
    severity = "medium"
    thresholds = (Threshold("max_missing_share", 0.1, "acceptable share of missing scheduled runs", "0..1"),)
    practices = ("BP-MONITOR-HEALTH-METRICS",)

    def check(self):
        if self.history is None:
            return
        for r in rows(expected_vs_actual(self.history)):
            expected, missing = number(r.get("expected_runs")) or 0, number(r.get("missing_runs")) or 0
            if expected and missing >= 2 and missing / expected > self.option("max_missing_share"):
                yield self.finding(f"trigger '{r['name']}' ran {int(r['actual_runs'])} of {int(expected)} scheduled times",
                                   **place(self.ctx.inventory, r["pipeline"]), key=r["name"],
                                   evidence=f"missing_runs={int(missing)}")


@register
class LateRuns(_HistoryRule):
    """Scheduled runs start long after their scheduled time.

    What it checks:
        Active repeating triggers whose p95 start delay (started_at - execution_date) exceeds
        ``max_late_s``.

    Why it matters:
        Late starts mean a saturated queue or scheduler; data is late even when runs succeed.

    Example:
        p95 start delay of 25 minutes on an hourly trigger.

    Fix:
        Raise ``queue_config.concurrency`` if the host allows, spread schedules over the hour,
        or shorten long runs that hold the queue.

    Options:
        ``max_late_s``: acceptable p95 start delay in seconds.
    """

    id = "MAGE-OPS-006"
    name = "late-runs"
    title = "Runs start late"
    category = "operations"
    severity = "low"
    thresholds = (Threshold("max_late_s", 900, "acceptable p95 start delay (seconds)", "number > 0"),)
    practices = ("BP-MONITOR-HEALTH-METRICS",)

    def check(self):
        if self.history is None:
            return
        for r in rows(expected_vs_actual(self.history)):
            late = number(r.get("p95_late_s"))
            if late is not None and late > self.option("max_late_s"):
                yield self.finding(f"trigger '{r['name']}' starts {late / 60:.0f} min late (p95)",
                                   **place(self.ctx.inventory, r["pipeline"]), key=r["name"],
                                   evidence=f"p95_late_s={late:.0f}")


@register
class SlaMisses(_HistoryRule):
    """Runs passed their trigger's SLA.

    What it checks:
        Pipelines whose runs were flagged ``passed_sla`` more than ``max_share`` of the runs of
        triggers with an SLA.

    Why it matters:
        The SLA is the promise made to data consumers; repeated misses mean the promise or the
        pipeline needs to change.

    Example:
        18 of 90 runs passed the 1-hour SLA.

    Fix:
        Find the slow blocks (block run durations) and speed them up, or renegotiate the SLA.

    Options:
        ``max_share``: acceptable share of runs passing the SLA.
    """

    id = "MAGE-OPS-007"
    name = "sla-misses"
    title = "Runs passing their SLA"
    category = "operations"
    severity = "low"
    thresholds = (Threshold("max_share", 0.05, "acceptable share of runs passing the SLA", "0..1"),)
    practices = ("BP-MONITOR-HEALTH-METRICS",)

    def check(self):
        if self.history is None:
            return
        for r in rows(run_health(self.history)):
            misses, total = number(r.get("sla_misses")) or 0, number(r.get("runs_with_sla")) or 0
            if misses and total and misses / total > self.option("max_share"):
                yield self.finding(f"{int(misses)} of {int(total)} runs passed their SLA",
                                   **place(self.ctx.inventory, r["pipeline"]),
                                   evidence=f"sla_misses={int(misses)}, runs_with_sla={int(total)}")


class _DriftRule(_HistoryRule):
    issue = ""
    issues: tuple[str, ...] = ()            # several issues (else ``issue`` alone)

    def drift(self) -> pd.DataFrame:
        if self.history is None:
            return pd.DataFrame(columns=["issue"])
        frame = trigger_drift(self.history, self.ctx.inventory, getattr(self.ctx, "mage_env", None))
        return frame[frame["issue"].isin(self.issues or (self.issue,))]


@register
class OrphanDbTrigger(_DriftRule):
    """A trigger in the DB belongs to a pipeline that no longer exists.

    What it checks:
        ``pipeline_schedule`` rows (backfill schedules aside) whose ``pipeline_uuid`` has no
        pipeline folder in the repo (deleting a pipeline does not delete its triggers). Active
        ones get the rule's severity; inactive ones are reported as ``info`` (they no longer
        fire, but clutter the trigger list and the history).

    Why it matters:
        Active orphans keep creating runs that fail at once, filling the history and alerts.

    Example:
        Trigger ``nightly`` for ``old_customer_sync``, deleted from the repo last quarter.

    Fix:
        Delete the trigger in the UI (or through the API).
    """

    id = "MAGE-OPS-008"
    name = "orphan-db-trigger"
    title = "DB trigger of a deleted pipeline"
    category = "operations"
    severity = "medium"
    practices = ("BP-MONITOR-HEALTH-METRICS",)
    issue = "pipeline_missing"

    def check(self):
        for r in rows(self.drift()):
            active = str(r.get("status") or "").upper() == "ACTIVE"
            yield self.finding(f"DB trigger '{r['name']}' ({r.get('status')}) points at missing pipeline '{r['pipeline']}'"
                               + ("; it keeps firing" if active else ""),
                               pipeline=str(r["pipeline"]), key=r["name"],
                               evidence=f"schedule_id={r.get('trigger_id')}", severity=None if active else "info")


@register
class YamlTriggerNotInDb(_DriftRule):
    """A trigger in ``triggers.yaml`` never reached the DB.

    What it checks:
        Triggers in code that Mage can load (entries it cannot are MAGE-OPS-001's) and that are
        meant for the audited environment (no ``envs``, or ``envs`` holding it), with no
        ``pipeline_schedule`` row of the same pipeline and name. Mage syncs a trigger whatever
        its ``status``, so an inactive one missing from the DB counts too. The environment is
        ``mage_env`` in auditkit.yaml, else inferred from the triggers the DB holds; when it is
        unknown, triggers restricted by ``envs`` are not judged.

    Why it matters:
        The schedule does not run: the scheduler has not synced the file since it changed
        (it was not restarted, or it reads another checkout), or the trigger was deleted in
        the UI while its entry stayed in code.

    Example:
        ``daily_partner_ingest`` added to ``triggers.yaml`` while the server still runs the
        previous release.

    Fix:
        Deploy the code to the server (or restart its scheduler) and check the trigger
        appears in the UI; delete the entry if the trigger was retired on purpose.
    """

    id = "MAGE-OPS-009"
    name = "yaml-trigger-not-in-db"
    title = "Trigger in code missing from the DB"
    category = "operations"
    severity = "low"
    practices = ("BP-MONITOR-HEALTH-METRICS",)
    issue = "yaml_not_in_db"

    def check(self):
        for r in rows(self.drift()):
            scope = f" (envs {', '.join(r['envs'])})" if r.get("envs") else ""
            yield self.finding(f"trigger '{r['name']}'{scope} from triggers.yaml is not in the run-history DB",
                               **place(self.ctx.inventory, r["pipeline"]), key=r["name"],
                               evidence=f"status in code: {r.get('status') or 'inactive'}")


@register
class DbTriggerNotInCode(_DriftRule):
    """An active trigger in the DB that the code does not define for this environment.

    What it checks:
        Active ``pipeline_schedule`` rows of existing pipelines that either have no entry in
        the pipeline's ``triggers.yaml`` (created in the UI, or deleted from YAML, which Mage
        does not sync: ``info``), or whose entry's ``envs`` no longer include the audited
        environment (``medium``: it was synced before the ``envs`` were narrowed and keeps
        firing). The environment is ``mage_env`` in auditkit.yaml, else inferred from the
        triggers the DB holds. Schedules of deleted pipelines are MAGE-OPS-008's; a schedule
        whose YAML entry Mage can no longer load is MAGE-OPS-001's.

    Why it matters:
        The schedule is not versioned or reviewed and is lost when the server is rebuilt; one
        the code meant for another environment runs here against this environment's data.

    Example:
        A UI-made ``hourly_refresh`` trigger on ``sales_daily_revenue_report``; a
        ``dev_revenue_daily`` trigger now limited to ``envs: [dev, staging]`` still active in
        production's DB.

    Fix:
        Save the trigger in code ("Save trigger in code", or
        ``settings.triggers.save_in_code_automatically: true``), or delete it in the UI (or
        through the API) of the environment that should not run it.
    """

    id = "MAGE-OPS-010"
    name = "db-trigger-not-in-code"
    title = "Active DB trigger the code does not define here"
    category = "operations"
    severity = "info"
    practices = ("BP-DEPLOY-CICD",)
    issues = ("db_not_in_yaml", "env_excluded")

    def check(self):
        for r in rows(self.drift()):
            if str(r.get("status") or "").upper() != "ACTIVE":
                continue
            if r["issue"] == "env_excluded":
                yield self.finding(f"active DB trigger '{r['name']}' is defined in triggers.yaml only for "
                                   f"envs {', '.join(r['envs'])}; it keeps firing here",
                                   **place(self.ctx.inventory, r["pipeline"]), key=r["name"],
                                   evidence=f"schedule_id={number(r.get('trigger_id')):.0f}", severity="medium")
            else:
                yield self.finding(f"active DB trigger '{r['name']}' is not in triggers.yaml",
                                   **place(self.ctx.inventory, r["pipeline"]), key=r["name"])


@register
class BackfillFailed(_HistoryRule):
    """A backfill failed or left failed runs behind.

    What it checks:
        Backfills whose status is FAILED or that have FAILED runs, and started backfills with
        gaps (interval starts with no run at all).

    Why it matters:
        The historical data the backfill was meant to load is incomplete, and nobody may have
        noticed.

    Example:
        ``Backfill 2024`` with 12 failed runs out of 365.

    Fix:
        Rerun the failed intervals, then check the row counts of the backfilled period.
    """

    id = "MAGE-OPS-011"
    name = "backfill-failed"
    title = "Backfill failed or incomplete"
    category = "operations"
    severity = "medium"
    practices = ("BP-BACKFILL-MONITOR",)

    def check(self):
        if self.history is None:
            return
        gaps = backfill_gaps(self.history)
        missing = gaps.groupby("backfill_id")["missing_intervals"].sum() if not gaps.empty else pd.Series(dtype=int)
        for b in rows(backfill_inventory(self.history)):
            failed = number(b.get("failed_runs")) or 0
            holes = int(missing.get(b["backfill_id"], 0))
            if str(b.get("status") or "").upper() == "FAILED" or failed or holes:
                yield self.finding(
                    f"backfill '{b['name']}' ({b.get('status')}): {int(failed)} failed runs, {holes} intervals never run",
                    **place(self.ctx.inventory, b["pipeline"]), key=f"backfill:{b['name']}",
                    evidence=f"runs={b.get('runs')}, expected_runs={b.get('expected_runs')}")


@register
class BackfillWithoutRunLimit(_HistoryRule):
    """A large backfill ran without a run limit.

    What it checks:
        Backfills of at least ``min_intervals`` intervals without ``settings.pipeline_run_limit``.

    Why it matters:
        All intervals are queued at once; they compete with the scheduled runs and can exhaust
        the Mage host and the sources. The guide: process backfills in chunks.

    Example:
        A 365-day daily backfill with no run limit.

    Fix:
        Set the backfill's run limit (e.g. 2-5 concurrent runs) when creating it.

    Options:
        ``min_intervals``: backfills with at least this many intervals need a limit.
    """

    id = "MAGE-OPS-012"
    name = "backfill-without-run-limit"
    title = "Large backfill without run limit"
    category = "operations"
    severity = "low"
    thresholds = (Threshold("min_intervals", 30, "intervals from which a backfill needs a run limit", "integer > 0"),)
    practices = ("BP-BACKFILL-CHUNKS",)

    def check(self):
        if self.history is None:
            return
        for b in rows(backfill_inventory(self.history)):
            size = number(b.get("expected_runs")) or number(b.get("runs")) or 0
            if size >= self.option("min_intervals") and b.get("run_limit") is None:
                yield self.finding(f"backfill '{b['name']}' of {int(size)} intervals has no run limit",
                                   **place(self.ctx.inventory, b["pipeline"]), key=f"backfill:{b['name']}",
                                   evidence=f"interval={b.get('interval_units')} {b.get('interval_type')}")


@register
class BackfillByOnceTrigger(Rule):
    """Historical data is reloaded with a one-off trigger instead of a backfill.

    What it checks:
        ``@once`` time triggers whose name says backfill, reload, rerun or a past period
        (``q1_2024``).

    Why it matters:
        A one-off run loads the whole period at once in one run: no per-interval runs, no
        progress, no partial retry. Mage's backfills split the period and track each interval.

    Example:
        ``backfill_q1_2024`` with ``schedule_interval: '@once'`` and hard-coded dates.

    Fix:
        Create a backfill for the pipeline (date range, interval, run limit) and let the blocks
        read ``execution_date``.
    """

    id = "MAGE-OPS-013"
    name = "backfill-by-once-trigger"
    title = "One-off trigger used as a backfill"
    category = "operations"
    severity = "info"
    practices = ("BP-BACKFILL-BUILTIN",)

    def check(self):
        for t in active_triggers(self.ctx.inventory, schedule_type="time"):
            if str(t.get("schedule_interval") or "") == "@once" and BACKFILL_NAME_RE.search(str(t.get("name") or "")):
                yield self.finding(f"@once trigger '{t['name']}' looks like a hand-made backfill",
                                   project=t["project"], pipeline=t["pipeline"], path=t.get("path"), key=t["name"])
