"""Operations rules about what the database knows that the code does not (settings drift) and
the history's own hygiene (hung runs, scheduler stalls, unbounded growth). Issue 18; the
trigger-level drift (orphans, unregistered and env-excluded triggers) is MAGE-OPS-008/009/010
in ``operations.py``."""
from __future__ import annotations

from auditkit.analytics.schedule_sync import settings_drift
from auditkit.analytics.upkeep import (
    history_volume,
    hung_runs,
    retention_settings,
    scheduler_stalls,
)
from auditkit.engine.base import Rule, Threshold, register
from auditkit.engine.frames import rows
from auditkit.engine.lookups import history_of, place


class _HistoryRule(Rule):
    needs = frozenset({"inventory", "history"})
    category = "operations"
    practices = ("BP-MONITOR-HEALTH-METRICS",)

    @property
    def history(self):
        return history_of(self.ctx)


def _duration(seconds: float) -> str:
    if seconds >= 2 * 86400:
        return f"{seconds / 86400:.1f} days"
    if seconds >= 2 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 60:.0f} min"


@register
class TriggerSettingsDrift(_HistoryRule):
    """A trigger's settings in the DB differ from ``triggers.yaml``.

    What it checks:
        Triggers both in code (loadable, meant for the audited environment) and in the DB whose
        ``schedule_interval``, ``start_time``, ``status``, ``sla``, ``settings`` keys
        (``skip_if_previous_running``, ``timeout``, ``pipeline_run_limit``...; a key absent on
        one side counts as Mage's default) or ``variables`` keys differ. Variable values are
        never read. An ``@once`` trigger that Mage made inactive after its run is not drift,
        nor are the interval and start time of API and event triggers (unused by Mage).

    Why it matters:
        The server runs what the DB says, not what was reviewed. The difference comes from a UI
        edit not saved in code (the next sync of the file silently undoes it) or from code the
        server never synced.

    Example:
        ``daily_partner_ingest`` has ``sla: 5400`` in code but 7200 in the DB, edited in the UI.

    Fix:
        Decide which is right: save the trigger in code from the UI, or deploy the code again
        (touching ``triggers.yaml`` makes Mage sync it).

    Options:
        ``ignore_fields``: fields not compared (e.g. ``start_time``).
    """

    id = "MAGE-OPS-014"
    name = "trigger-settings-drift"
    title = "Trigger settings differ between code and DB"
    severity = "medium"
    practices = ("BP-DEPLOY-CICD",)
    thresholds = (Threshold("ignore_fields", (), "fields left out of the comparison",
                            "list of field names, e.g. [start_time, settings.timeout]"),)

    def check(self):
        if self.history is None:
            return
        ignored = set(self.option("ignore_fields"))
        frame = settings_drift(self.history, self.ctx.inventory, getattr(self.ctx, "mage_env", None))
        by_trigger: dict[tuple, list] = {}
        for r in rows(frame):
            if r["field"] not in ignored:
                by_trigger.setdefault((r["pipeline"], r["name"], r["trigger_id"]), []).append(r)
        for (pipeline, name, schedule_id), diffs in by_trigger.items():
            shown = "; ".join(f"{d['field']}: DB {_setting(d['db'])}, code {_setting(d['code'])}" for d in diffs[:4])
            more = f" (+{len(diffs) - 4} more)" if len(diffs) > 4 else ""
            yield self.finding(f"trigger '{name}' runs with other settings than triggers.yaml: {shown}{more}",
                               **place(self.ctx.inventory, pipeline), key=name,
                               evidence=f"schedule_id={schedule_id}, fields={','.join(d['field'] for d in diffs)}")


def _setting(value) -> str:
    """A compared setting as the message shows it: absent values read 'not set', not 'None'."""
    return "not set" if value is None else repr(value)


@register
class HungRuns(_HistoryRule):
    """Pipeline runs stuck in RUNNING or INITIAL.

    What it checks:
        Runs still RUNNING or INITIAL at the end of the window (``until``, else the newest run)
        for longer than ``factor`` x the pipeline's p95 completed run time (never less than
        ``min_open_s``), or ``floor_s`` for a pipeline without completed runs. INITIAL runs
        count only when no run of their pipeline started after they were created. Streaming
        pipelines are left out (their runs stay RUNNING by design).

    Why it matters:
        A worker that crashed or a pod that was rescheduled leaves the run open forever: it
        holds a slot of the pipeline's run limit, ``skip_if_previous_running`` skips every later
        tick, and no failure alert is sent.

    Example:
        A ``sales_daily_revenue_report`` run RUNNING for 3 days; its p95 is 4 minutes.

    Fix:
        Cancel the run in the UI (or ``PUT /api/pipeline_runs/<id>``), find why its executor
        died, and set a trigger ``timeout`` so Mage fails such runs itself.

    Options:
        ``factor``: open time over p95 that counts as hung. ``floor_s``: limit for pipelines
        without completed runs. ``min_open_s``: the shortest limit.
    """

    id = "MAGE-OPS-015"
    name = "hung-runs"
    title = "Runs stuck in RUNNING or INITIAL"
    severity = "high"
    thresholds = (Threshold("factor", 5.0, "open time / p95 completed duration that counts as hung", "number > 1"),
                  Threshold("floor_s", 21600, "limit (seconds) for pipelines without completed runs", "integer > 0"),
                  Threshold("min_open_s", 1800, "shortest limit (seconds)", "integer > 0"))

    def check(self):
        if self.history is None:
            return
        hung = hung_runs(self.history, self.ctx.inventory, factor=self.option("factor"),
                         floor_s=self.option("floor_s"), min_open_s=self.option("min_open_s"))
        for pipeline, group in hung.groupby("pipeline", sort=True):
            worst = group.iloc[0]
            statuses = ", ".join(f"{n} {s}" for s, n in group["status"].value_counts().sort_index().items())
            yield self.finding(
                f"{len(group)} run(s) open far longer than usual ({statuses}); run {int(worst['run_id'])} has been "
                f"{worst['status']} for {_duration(worst['open_s'])} (limit {_duration(worst['limit_s'])})",
                **place(self.ctx.inventory, pipeline),
                evidence=f"run_ids={','.join(str(int(i)) for i in group['run_id'].head(10))}")


@register
class SchedulerStalls(_HistoryRule):
    """The scheduler started nothing while schedules were due.

    What it checks:
        Periods of at least ``min_stall_s`` in which the scheduler created no pipeline run
        (runs of API calls, "run now" and backfills are made by the web server and do not
        count) although an active
        repeating TIME schedule in the DB had a tick in them (croniter; ``@hourly``,
        ``@daily``, ``@weekly``, ``@monthly`` as Mage reads them), ``grace_s`` after the period
        began. The ``max_reported`` longest periods are reported. The window ends at ``until``,
        else at the newest run: a scheduler that is down now is seen only with ``--until``.

    Why it matters:
        A stalled scheduler (a dead scheduler process, a DB lock, a full disk) loses every run
        of every pipeline at once, and Mage sends no alert for runs it never created.

    Example:
        Nothing created for 9 hours on 20 October although 9 hourly and 1 daily ticks were due.

    Fix:
        Check the scheduler's logs for that period, monitor that runs keep being created
        (an alert on "no new pipeline_run for N minutes") and backfill the lost intervals.

    Options:
        ``min_stall_s``: shortest period reported. ``grace_s``: ticks this close to the period's
        start are not counted. ``max_reported``: periods reported.
    """

    id = "MAGE-OPS-016"
    name = "scheduler-stalls"
    title = "Scheduler stalled while schedules were due"
    severity = "medium"
    thresholds = (Threshold("min_stall_s", 7200, "shortest period without new runs (seconds)", "integer > 0"),
                  Threshold("grace_s", 600, "ticks this close to the start are not counted (seconds)", "integer >= 0"),
                  Threshold("max_reported", 5, "longest periods reported", "integer > 0"))

    def check(self):
        if self.history is None:
            return
        stalls = scheduler_stalls(self.history, min_stall_s=self.option("min_stall_s"),
                                  grace_s=self.option("grace_s"), top=self.option("max_reported"))
        for r in rows(stalls):
            names = r["schedules"]
            yield self.finding(
                f"the scheduler created no pipeline run for {_duration(r['duration_s'])} from {r['start']:%Y-%m-%d %H:%M} UTC "
                f"although {int(r['due_ticks'])} scheduled tick(s) of {len(names)} trigger(s) were due",
                project=_project(self.ctx.inventory, [n.split("/")[0] for n in names]),
                key=f"stall:{r['start']:%Y-%m-%dT%H:%M}",
                evidence=f"triggers={','.join(names[:5])}{'...' if len(names) > 5 else ''}")


def _project(inventory, pipelines: list[str] = ()) -> str | None:
    """The project a history-wide finding belongs to: the only project, or the one project of
    the pipelines named; else None."""
    projects = getattr(inventory, "projects", None)
    if projects is not None and len(projects) == 1:
        return str(projects["project"].iloc[0])
    found = {place(inventory, p).get("project") for p in pipelines} - {None}
    return found.pop() if len(found) == 1 else None


@register
class UnboundedHistory(_HistoryRule):
    """The run history keeps growing and nothing purges it.

    What it checks:
        Histories holding at least ``max_rows`` pipeline and block runs together, or whose
        oldest pipeline run is older than ``max_age_days``, with no sign of a purge: Mage never
        deletes run rows itself (``logging_config.retention_period`` and ``mage
        clean-old-logs`` clean log files only, ``variables_retention_period`` block outputs
        only), so only an outside job can, and its trace is a lowest run id well above 1.

    Why it matters:
        Every runs page, the scheduler's queries and each backup slow down as
        ``pipeline_run`` and ``block_run`` grow; on SQLite the file only grows.

    Example:
        4.2 million block runs back to 2023 in a 3 GB ``mage-ai.db``, lowest run id 1.

    Fix:
        Schedule a job that deletes old ``block_run`` then ``pipeline_run`` rows (e.g. older
        than 90 days) during a quiet hour, and set ``logging_config.retention_period`` with a
        periodic ``mage clean-old-logs`` for the log files.

    Options:
        ``max_rows``: pipeline plus block runs a history may hold. ``max_age_days``: age of the
        oldest run.
    """

    id = "MAGE-OPS-017"
    name = "unbounded-history"
    title = "Run history grows without a purge"
    severity = "low"
    thresholds = (Threshold("max_rows", 1_000_000, "pipeline plus block runs kept", "integer > 0"),
                  Threshold("max_age_days", 365, "age (days) of the oldest pipeline run", "integer > 0"))

    def check(self):
        if self.history is None:
            return
        volume = history_volume(self.history)
        tables = volume["tables"]
        if tables.empty or volume["purged"]:
            return
        counts = dict(zip(tables["table"], tables["rows"]))
        kept = int(counts.get("pipeline_run", 0)) + int(counts.get("block_run", 0))
        newest = tables.loc[tables["table"] == "pipeline_run", "newest"]
        oldest = volume["oldest"]
        age = (newest.iloc[0] - oldest).days if len(newest) and oldest is not None and newest.notna().all() else 0
        if kept < self.option("max_rows") and age < self.option("max_age_days"):
            return
        size = f", {volume['db_bytes'] / 2**20:,.0f} MiB" if volume["db_bytes"] else ""
        logs = [r["logs_retention"] for r in rows(retention_settings(self.ctx.inventory)) if r["logs_retention"]]
        yield self.finding(
            f"{kept:,} pipeline and block runs kept, back to {oldest:%Y-%m-%d} ({age} days){size}; nothing purges them"
            + (" (logs retention is set, run rows are not covered)" if logs else ""),
            project=_project(self.ctx.inventory), key="history",
            evidence=", ".join(f"{t}={int(n):,}" for t, n in counts.items()))
