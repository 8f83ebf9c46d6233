"""Rules of category ``observability``: logging in blocks, failure and SLA alerting, SLAs on
scheduled triggers."""
from __future__ import annotations

from auditkit.engine.base import Rule, Threshold, register
from auditkit.engine.lookups import (
    active_triggers, alert_channels, alert_on, merged_notification, pipelines_by_uuid, projects_by_name,
    repeating_triggers,
)
from auditkit.engine.frames import fact, file_place, logic_files, number, short_list


@register
class PrintInsteadOfLogging(Rule):
    """A block reports progress with ``print`` instead of a logger.

    What it checks:
        ``print(...)`` calls in loader, transformer, exporter and custom block files.

    Why it matters:
        Printed text has no level, no timestamp and no block context; it cannot be filtered
        or alerted on, and it is easy to leak data rows into the logs.

    Example:
        ``print('exported', len(df), 'rows')``.

    Fix:
        Use the block logger: ``logger = kwargs.get('logger')`` (or ``logging.getLogger``) and
        ``logger.info('exported %d rows', len(df))``.
    """

    id = "MAGE-OBS-001"
    name = "print-instead-of-logging"
    title = "print() used instead of logging"
    category = "observability"
    severity = "low"
    off_by_default = ("Mage writes a block's printed output to its block log with a timestamp, so a print "
                      "loses little; the prints that matter are errors printed and then ignored, which "
                      "MAGE-REL-001 reports")
    practices = ("BP-MONITOR-LOGGING",)

    def check(self):
        for row in logic_files(self.ctx.inventory):
            lines = fact(row, "print_calls") or []
            if lines:
                yield self.finding(f"{len(lines)} print() call(s) instead of a logger",
                                   **file_place(row),
                                   line=min(lines), evidence=f"print at line(s) {short_list(lines)}")


@register
class NoLoggingInLargeBlock(Rule):
    """A sizeable block logs nothing at all.

    What it checks:
        Loader, transformer, exporter and custom files with at least ``min_lines`` code lines
        that neither use a logger nor print.

    Why it matters:
        When the block misbehaves, its log shows only Mage's start and end lines: no row
        counts, no timings, nothing to debug with.

    Example:
        A 120-line transformer with no ``logger`` call.

    Fix:
        Log row counts in and out, durations of slow steps and every caught error.

    Options:
        ``min_lines``: code lines from which a block is expected to log.
    """

    id = "MAGE-OBS-002"
    name = "no-logging-in-large-block"
    title = "Large block without any logging"
    category = "observability"
    severity = "info"
    off_by_default = ("whether a block needs logging depends on what it does, not on its length: on real "
                      "repos 2 of 7 labelled findings held up")
    thresholds = (Threshold("min_lines", 50, "code lines from which a block should log", "integer > 0"),)
    practices = ("BP-MONITOR-LOGGING",)

    def check(self):
        for row in logic_files(self.ctx.inventory):
            lines = number(row.get("lines_code"))
            if lines is None or lines < self.option("min_lines"):
                continue
            if fact(row, "uses_logging") is False and not (fact(row, "print_calls") or []) \
                    and isinstance(row.get("facts"), dict):
                yield self.finding(f"{int(lines)} code lines and no logging",
                                   **file_place(row),
                                   evidence=f"lines_code={int(lines)}")


class _AlertRule(Rule):
    """Shared walk over scheduled pipelines with their merged notification config."""

    def scheduled_pipelines(self):
        inv = self.ctx.inventory
        projects, pipelines = projects_by_name(inv), pipelines_by_uuid(inv)
        seen: set[str] = set()
        for t in active_triggers(inv):
            name = str(t["pipeline"])
            if name in seen or name not in pipelines:
                continue
            seen.add(name)
            p = pipelines[name]
            yield p, merged_notification(projects.get(str(p["project"])), p)


@register
class NoAlertChannel(_AlertRule):
    """A scheduled pipeline sends no alert anywhere when it fails.

    What it checks:
        Pipelines with an active trigger whose notification config (pipeline over project)
        has no channel (Slack, Teams, email, Google Chat, Discord, Telegram, Opsgenie).

    Why it matters:
        Failed scheduled runs go unnoticed until someone looks at the data; the guide asks for
        failure alerts on every scheduled pipeline.

    Example:
        No ``notification_config`` in the project or pipeline ``metadata.yaml``.

    Fix:
        Add ``notification_config`` with a channel (e.g. ``slack_config.webhook_url:
        "{{ env_var('SLACK_WEBHOOK_URL') }}"``) to the project ``metadata.yaml``.
    """

    id = "MAGE-OBS-003"
    name = "no-alert-channel"
    title = "Scheduled pipeline without an alert channel"
    category = "observability"
    severity = "medium"
    practices = ("BP-MONITOR-ALERTS", "BP-SCHEDULE-ALERTING")

    def check(self):
        for p, config in self.scheduled_pipelines():
            if not alert_channels(config):
                yield self.finding("active triggers but no notification channel configured",
                                   project=p["project"], pipeline=p["pipeline"], path=p.get("path"))


@register
class FailureAlertsOff(_AlertRule):
    """Alerts are configured but not for failed runs.

    What it checks:
        Scheduled pipelines with a notification channel whose ``alert_on`` list (pipeline over
        project) leaves out ``trigger_failure``.

    Why it matters:
        The team hears about successes or SLA misses but not about the runs that broke.

    Example:
        ``alert_on: [trigger_success]``.

    Fix:
        Include ``trigger_failure`` in ``alert_on`` (Mage's default is
        ``[trigger_failure, trigger_passed_sla]``).
    """

    id = "MAGE-OBS-004"
    name = "failure-alerts-off"
    title = "Failure alerts switched off"
    category = "observability"
    severity = "medium"
    practices = ("BP-MONITOR-ALERTS", "BP-SCHEDULE-ALERTING")

    def check(self):
        for p, config in self.scheduled_pipelines():
            events = alert_on(config)
            if alert_channels(config) and "trigger_failure" not in events:
                yield self.finding("alert_on leaves out trigger_failure",
                                   project=p["project"], pipeline=p["pipeline"], path=p.get("path"),
                                   evidence=f"alert_on={list(events)}")


@register
class ScheduledTriggerWithoutSla(Rule):
    """A repeating scheduled trigger has no SLA.

    What it checks:
        Active time triggers with a repeating interval (cron, ``@hourly``, ``@daily``, ...) in
        ``triggers.yaml`` without ``sla``.

    Why it matters:
        Without an SLA a run that hangs or queues for hours raises no alert; data is late and
        nobody knows.

    Example:
        ``schedule_interval: '@hourly'`` and no ``sla:``.

    Fix:
        Set ``sla`` (seconds) to the latest acceptable finish after the scheduled time, and keep
        ``trigger_passed_sla`` in ``alert_on``.
    """

    id = "MAGE-OBS-005"
    name = "scheduled-trigger-without-sla"
    title = "Scheduled trigger without SLA"
    category = "observability"
    severity = "low"
    off_by_default = ("an SLA only helps when someone is alerted: on real repos the triggers without SLA "
                      "belonged to small personal schedules or to pipelines with no alert channel at all "
                      "(MAGE-OBS-003); 0 of 4 labelled findings held up")
    practices = ("BP-MONITOR-ALERTS",)

    def check(self):
        for t in repeating_triggers(self.ctx.inventory):
            if number(t.get("sla")) is None:
                yield self.finding(f"trigger '{t['name']}' ({t.get('schedule_interval')}) has no SLA",
                                   project=t["project"], pipeline=t["pipeline"], path=t.get("path"),
                                   key=t["name"])


@register
class SlaAlertsOff(_AlertRule):
    """A trigger has an SLA but passing it alerts nobody.

    What it checks:
        Pipelines with an active trigger that sets ``sla`` while the notification config has
        a channel and an explicit ``alert_on`` without ``trigger_passed_sla``.

    Why it matters:
        Mage marks late runs (``passed_sla``) but sends nothing; the SLA is decoration.

    Example:
        ``sla: 3600`` on the trigger, ``alert_on: [trigger_failure]`` in the project.

    Fix:
        Add ``trigger_passed_sla`` to ``alert_on``.
    """

    id = "MAGE-OBS-006"
    name = "sla-alerts-off"
    title = "SLA set but SLA alerts off"
    category = "observability"
    severity = "info"
    practices = ("BP-MONITOR-ALERTS",)

    def check(self):
        with_sla = {str(t["pipeline"]) for t in active_triggers(self.ctx.inventory) if number(t.get("sla"))}
        for p, config in self.scheduled_pipelines():
            if str(p["pipeline"]) in with_sla and alert_channels(config) \
                    and "trigger_passed_sla" not in alert_on(config):
                yield self.finding("triggers have an SLA but alert_on leaves out trigger_passed_sla",
                                   project=p["project"], pipeline=p["pipeline"], path=p.get("path"),
                                   evidence=f"alert_on={list(alert_on(config))}")
