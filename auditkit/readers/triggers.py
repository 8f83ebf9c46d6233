"""Triggers saved in code: ``pipelines/<uuid>/triggers.yaml`` (reference §4).

Mage builds each item with a dataclass constructor, so an unknown key, a missing required
key, an unknown ``settings`` key or an ``envs`` value outside ``VALID_ENVS`` makes Mage skip
the trigger. Such triggers get ``valid=False`` and a ``problem`` here. The API token is a
credential: only ``has_token`` and a fingerprint are kept; of ``variables`` only the keys.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

import yaml

from auditkit.model import ProblemLog, short_hash
from auditkit.readers.ioconfig import redact
from auditkit.readers.yamlsafe import load_yaml

ACCEPTED_KEYS = frozenset({
    "name", "schedule_type", "schedule_interval", "start_time", "status", "variables", "sla",
    "settings", "envs", "last_enabled_at", "description", "token", "pipeline_uuid", "repo_path",
})
REQUIRED_KEYS = ("name", "schedule_type", "schedule_interval", "start_time")
SETTINGS_KEYS = frozenset({
    "skip_if_previous_running", "allow_blocks_to_fail", "create_initial_pipeline_run",
    "landing_time_enabled", "pipeline_run_limit", "timeout", "timeout_status",
})
SCHEDULE_TYPES = frozenset({"time", "api", "event"})
STATUSES = frozenset({"active", "inactive"})
VALID_ENVS = frozenset({"dev", "staging", "prod", "test", "test_mage"})

TRIGGER_COLUMNS = [
    "project", "pipeline", "path", "name", "schedule_type", "schedule_interval", "start_time",
    "status", "sla", "settings", "envs", "has_token", "token_fingerprint", "valid", "problem",
    "line", "python_tags", "variable_keys",
]


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def trigger_problem(item: dict[str, Any]) -> str | None:
    """Why Mage would skip this trigger, or None when it would load it."""
    unknown = sorted(str(k) for k in item if k not in ACCEPTED_KEYS)
    if unknown:
        return f"unknown key(s): {', '.join(unknown)}"
    missing = [k for k in REQUIRED_KEYS if k not in item]
    if missing:
        return f"missing required key(s): {', '.join(missing)}"
    if item.get("name") in (None, ""):
        return "name is empty"
    if str(item.get("schedule_type")).lower() not in SCHEDULE_TYPES:
        return f"schedule_type must be one of {', '.join(sorted(SCHEDULE_TYPES))}"
    if item.get("status") is not None and str(item["status"]).lower() not in STATUSES:
        return "status must be active or inactive"
    settings = item.get("settings")
    if settings is not None and not isinstance(settings, dict):
        return "settings is not a mapping"
    bad_settings = sorted(str(k) for k in (settings or {}) if k not in SETTINGS_KEYS)
    if bad_settings:
        return f"unknown settings key(s): {', '.join(bad_settings)}"
    envs = item.get("envs")
    if envs is not None and not isinstance(envs, list):
        return "envs is not a list"
    bad_envs = sorted(str(e) for e in envs or [] if e not in VALID_ENVS)
    if bad_envs:
        return f"envs value(s) not in {sorted(VALID_ENVS)}: {', '.join(bad_envs)}"
    if item.get("sla") is not None and (isinstance(item["sla"], bool) or not isinstance(item["sla"], int)):
        return "sla is not a number of seconds"
    return None


def read_triggers(text: str, rel: str, project: str, pipeline: str, problems: ProblemLog) -> list[dict[str, Any]]:
    """Rows of one triggers.yaml text; a malformed file is an input problem and yields no rows."""
    loaded = load_yaml(text, rel, problems, project=project)
    if not loaded.ok:
        return []
    data = loaded.data
    if data is None:
        return []
    items = data.get("triggers") if isinstance(data, dict) else None
    if not isinstance(items, list):
        if not (isinstance(data, dict) and data.get("triggers") is None and "triggers" in data):
            problems.add(rel, "triggers", "triggers.yaml has no 'triggers:' list", project)
        return []
    item_nodes = _item_nodes(loaded.node)
    rows = []
    for index, item in enumerate(items):
        line = item_nodes[index].start_mark.line + 1 if index < len(item_nodes) else None
        if not isinstance(item, dict):
            rows.append(_row(project, pipeline, rel, {}, "trigger entry is not a mapping", line, loaded.python_tags))
            continue
        rows.append(_row(project, pipeline, rel, item, trigger_problem(item), line, loaded.python_tags))
    return rows


def _item_nodes(node: yaml.Node | None) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == "triggers" and isinstance(value, yaml.SequenceNode):
                return value.value
    return []


def _row(project: str, pipeline: str, rel: str, item: dict[str, Any], problem: str | None,
         line: int | None, python_tags: bool) -> dict[str, Any]:
    token = item.get("token")
    settings = item.get("settings")
    envs = item.get("envs")
    variables = item.get("variables")
    return {
        "project": project, "pipeline": pipeline, "path": rel, "name": _as_text(item.get("name")),
        "schedule_type": _as_text(item.get("schedule_type")),
        "schedule_interval": _as_text(item.get("schedule_interval")),
        "start_time": _as_text(item.get("start_time")), "status": _as_text(item.get("status")),
        "sla": item.get("sla"), "settings": redact(settings) if isinstance(settings, dict) else {},
        "envs": [str(e) for e in envs] if isinstance(envs, list) else [],
        "has_token": token not in (None, ""),
        "token_fingerprint": short_hash(token) if token not in (None, "") else None,
        "valid": problem is None, "problem": problem, "line": line, "python_tags": python_tags,
        "variable_keys": sorted(str(k) for k in variables) if isinstance(variables, dict) else None,
    }
