"""Lookups shared by the reliability, performance, observability, operations and deployment
rules: pipelines by uuid, active triggers and their intervals, merged notification settings,
block files by path, and whether a usable run history is present.

Pure functions over inventory frames; no rule lives here.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from croniter import croniter

from auditkit.engine.frames import frame_of, records, shared

# Mage's preset intervals in seconds (@once / @always_on are not repeating schedules).
PRESET_SECONDS = {"@hourly": 3600, "@daily": 86400, "@weekly": 7 * 86400, "@monthly": 28 * 86400}
CHANNEL_KEYS = ("email_config", "slack_config", "teams_config", "google_chat_config", "discord_config",
                "telegram_config", "opsgenie_config")
# NotificationConfig.alert_on when the key is absent (orchestration/notification/config.py).
DEFAULT_ALERT_ON = ("trigger_failure", "trigger_passed_sla")
BATCH_TYPES = ("python", "pyspark", "databricks", None)


def history_of(ctx: Any):
    """The run history when it was opened and holds a DB, else None."""
    history = getattr(ctx, "history", None)
    return history if history is not None and getattr(history, "available", False) else None


def pipelines_by_uuid(inventory: Any) -> dict[str, dict]:
    """Pipeline rows keyed by pipeline uuid (the folder name used by the run history).

    Shared between rules during a rule run (see ``util.shared_lookups``): read only."""
    frame = frame_of(inventory, "pipelines")
    return shared("pipelines_by_uuid", (frame,),
                  lambda: {str(r["pipeline"]): r for r in records(frame)})


def projects_by_name(inventory: Any) -> dict[str, dict]:
    """Project rows keyed by project name (shared during a rule run: read only)."""
    frame = frame_of(inventory, "projects")
    return shared("projects_by_name", (frame,), lambda: {str(r["project"]): r for r in records(frame)})


def block_files_by_path(inventory: Any) -> dict[tuple[str, str], dict]:
    """``block_files`` rows keyed by (project, repo-relative path) (shared during a rule run: read only)."""
    frame = frame_of(inventory, "block_files")
    return shared("block_files_by_path", (frame,),
                  lambda: {(str(r["project"]), str(r["path"])): r for r in records(frame)})


def place(inventory: Any, pipeline: str) -> dict:
    """project/pipeline/path keyword arguments for a finding about pipeline ``pipeline``."""
    row = pipelines_by_uuid(inventory).get(str(pipeline), {})
    return {"project": row.get("project"), "pipeline": str(pipeline), "path": row.get("path")}


def interval_seconds(interval: Any) -> float | None:
    """Seconds between two runs of a schedule interval (preset or cron), None when not repeating."""
    if not isinstance(interval, str) or not interval.strip():
        return None
    return _interval_seconds(interval.strip())


@lru_cache(maxsize=4096)
def _interval_seconds(interval: str) -> float | None:
    # Cached: walking 200 cron ticks is slow and big repos repeat the same few intervals.
    if interval in PRESET_SECONDS:
        return float(PRESET_SECONDS[interval])
    if interval.startswith("@") or not croniter.is_valid(interval):
        return None
    # The smallest gap over a week of ticks: "0 9-17 * * 1-5" runs hourly on weekdays.
    it = croniter(interval, datetime(2024, 1, 1))
    ticks = [it.get_next(datetime) for _ in range(200)]
    gaps = [(b - a).total_seconds() for a, b in zip(ticks, ticks[1:]) if b - a < timedelta(days=400)]
    return min(gaps) if gaps else None


def executor_of(pipeline: dict) -> str:
    """A pipeline's executor type, lower-case; Mage's default ``local_python`` when unset."""
    return str(pipeline.get("executor_type") or "local_python").lower()


def is_active(trigger: dict) -> bool:
    return str(trigger.get("status") or "").lower() == "active"


def unattended_pipelines(inventory: Any, history: Any = None) -> set[str]:
    """Pipelines made to run without someone starting them: a trigger in triggers.yaml (a paused
    one included: it is how the pipeline is meant to run), or (with a run history) a trigger
    that is not a backfill."""
    triggers = frame_of(inventory, "triggers")
    names = {str(t["pipeline"]) for t in records(triggers) if t.get("valid") is not False}
    if history is not None and getattr(history, "available", False):
        schedules = history.schedules()
        if len(schedules):
            triggered = schedules[schedules["schedule_type"].notna()]
            names |= {str(p) for p in triggered["pipeline_uuid"]}
    return names


def active_triggers(inventory: Any, *, schedule_type: str | None = None) -> list[dict]:
    """Valid, active triggers from triggers.yaml (optionally of one schedule type).

    The trigger dicts are shared between rules during a rule run: read only."""
    frame = frame_of(inventory, "triggers")
    return list(shared(f"active_triggers:{schedule_type}", (frame,),
                       lambda: _active_triggers(frame, schedule_type)))


def _active_triggers(frame, schedule_type: str | None) -> list[dict]:
    out = []
    for t in records(frame):
        if not is_active(t) or t.get("valid") is False:
            continue
        if schedule_type and str(t.get("schedule_type") or "").lower() != schedule_type:
            continue
        out.append(t)
    return out


def repeating_triggers(inventory: Any) -> list[dict]:
    """Active time triggers that repeat (cron or @hourly/@daily/...), with ``interval_s`` added.

    The trigger dicts are shared between rules during a rule run: read only."""
    frame = frame_of(inventory, "triggers")
    return list(shared("repeating_triggers", (frame,), lambda: _repeating_triggers(inventory)))


def _repeating_triggers(inventory: Any) -> list[dict]:
    out = []
    for t in active_triggers(inventory, schedule_type="time"):
        seconds = interval_seconds(t.get("schedule_interval"))
        if seconds is not None:
            out.append({**t, "interval_s": seconds})
    return out


def as_dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def merged_notification(project: dict | None, pipeline: dict | None) -> dict:
    """Pipeline notification_config merged over the project's (Pipeline.get_notification_sender)."""
    merged = dict(as_dict((project or {}).get("notification_config")))
    merged.update(as_dict((pipeline or {}).get("notification_config")))
    return merged


def alert_channels(config: dict) -> list[str]:
    """Notification channels with at least one non-empty setting."""
    return [key for key in CHANNEL_KEYS
            if any(v not in (None, "", [], {}) for v in as_dict(config.get(key)).values())]


def alert_on(config: dict) -> tuple[str, ...]:
    """Events that send alerts (Mage's default when ``alert_on`` is absent)."""
    value = config.get("alert_on")
    if value is None:
        return DEFAULT_ALERT_ON
    return tuple(str(v) for v in value) if isinstance(value, (list, tuple)) else ()


def block_rows_with_files(inventory: Any) -> list[dict]:
    """Executable block entries (section ``blocks``) joined with their file row as ``file``.

    The dicts are shared between rules during a rule run: read only."""
    blocks, files = frame_of(inventory, "blocks"), frame_of(inventory, "block_files")
    return list(shared("block_rows_with_files", (blocks, files), lambda: _block_rows_with_files(inventory)))


def _block_rows_with_files(inventory: Any) -> list[dict]:
    files = block_files_by_path(inventory)
    out = []
    for b in records(frame_of(inventory, "blocks")):
        if b.get("section") not in (None, "blocks"):
            continue
        out.append({**b, "file": files.get((str(b.get("project")), str(b.get("path"))))})
    return out
