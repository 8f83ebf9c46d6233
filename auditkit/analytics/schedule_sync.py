"""Triggers in code against schedules in the database (reference sections 4 and 13).

Mage syncs ``triggers.yaml`` into ``pipeline_schedule`` by (pipeline, name), only entries it
can load and whose ``envs`` hold the server's environment, and only when the file changed. It
never deletes a row: a trigger removed from YAML, narrowed by ``envs`` or left behind by a
deleted pipeline keeps firing. A UI edit changes the row and not the file until someone saves
the trigger in code; the next sync of the file silently undoes it.

* :func:`audited_env` says which environment the history comes from.
* :func:`trigger_drift` lists the triggers on one side only (or excluded by ``envs``).
* :func:`settings_drift` lists the triggers on both sides whose settings differ.
"""
from __future__ import annotations

from collections import Counter
from typing import Any

import pandas as pd

from ._common import as_dict, inventory_frame

DRIFT_COLUMNS = ["pipeline", "name", "issue", "trigger_id", "status", "envs"]
SETTINGS_COLUMNS = ["pipeline", "name", "trigger_id", "field", "db", "code"]
# SettingsConfig defaults (reference section 4.1): a key absent on one side equals these.
SETTINGS_DEFAULTS = {"skip_if_previous_running": False, "allow_blocks_to_fail": False,
                     "create_initial_pipeline_run": False, "landing_time_enabled": False,
                     "pipeline_run_limit": None, "timeout": None, "timeout_status": None}


def is_backfill_schedule(row: Any) -> bool:
    """Schedules a backfill created (no schedule type, named ``Backfill <name>``)."""
    stype, name = row.get("schedule_type"), str(row.get("name") or "")
    return (stype is None or (isinstance(stype, float) and pd.isna(stype))) and name.startswith("Backfill ")


def _db_schedules(history) -> list[dict]:
    if history is None:
        return []
    frame = history.schedules()
    return [r for r in frame.to_dict("records") if not is_backfill_schedule(r)]


def _yaml_triggers(inv, *, loadable: bool = True) -> list[dict]:
    """The named YAML triggers (only those Mage can load when ``loadable``)."""
    frame = inventory_frame(inv, "triggers", ["pipeline", "name", "envs", "valid", "status"])
    return [t for t in frame.to_dict("records")
            if t.get("name") and not (loadable and t.get("valid") is False)]


def _envs(trigger: dict) -> list[str]:
    envs = trigger.get("envs")
    return [str(e) for e in envs] if isinstance(envs, (list, tuple)) else []


def audited_env(history, inv, configured: str | None = None) -> tuple[str | None, str]:
    """(Mage environment of the history, how it is known): ``configured`` (auditkit.yaml's
    ``mage_env``) first; else the environment most env-restricted YAML triggers in the DB
    allow, counting against it the restricted triggers missing from the DB, when one
    environment clearly leads; else (None, "unknown")."""
    if configured:
        return configured, "auditkit.yaml"
    db_keys = {(str(r.get("pipeline_uuid")), str(r.get("name"))) for r in _db_schedules(history)}
    score: Counter = Counter()
    for t in _yaml_triggers(inv):
        synced = (str(t["pipeline"]), str(t["name"])) in db_keys
        for env in _envs(t):
            score[env] += 1 if synced else -1
    ranked = score.most_common(2)
    if ranked and ranked[0][1] > 0 and (len(ranked) == 1 or ranked[0][1] > ranked[1][1]):
        return ranked[0][0], "inferred from the triggers the DB holds"
    return None, "unknown"


def trigger_drift(history, inv=None, mage_env: str | None = None) -> pd.DataFrame:
    """Triggers that differ between code and DB (backfill schedules left out), by ``issue``:

    * ``pipeline_missing``: a DB schedule whose pipeline folder is gone;
    * ``db_not_in_yaml``: a DB schedule of an existing pipeline with no YAML entry (made in
      the UI, or deleted from YAML);
    * ``env_excluded``: a DB schedule whose YAML entry's ``envs`` leave out the audited
      environment (it was synced before the ``envs`` were narrowed);
    * ``yaml_not_in_db``: a loadable YAML trigger, meant for this environment, with no DB row.

    The environment is ``mage_env`` or :func:`audited_env`'s inference; when it is unknown a
    YAML trigger restricted by ``envs`` is neither ``env_excluded`` nor ``yaml_not_in_db``.
    Triggers Mage cannot load (MAGE-OPS-001) are left out."""
    if inv is None or history is None:
        return pd.DataFrame(columns=DRIFT_COLUMNS)
    env, _ = audited_env(history, inv, mage_env)
    pipelines = set(inventory_frame(inv, "pipelines", ["pipeline"])["pipeline"].astype(str))
    yaml_by_key = {(str(t["pipeline"]), str(t["name"])): t for t in _yaml_triggers(inv)}
    db = _db_schedules(history)
    db_keys = {(str(r.get("pipeline_uuid")), str(r.get("name"))) for r in db}
    rows = []
    for (pipeline, name), t in sorted(yaml_by_key.items()):
        envs = _envs(t)
        meant_here = not envs or (env is not None and env in envs)
        if (pipeline, name) not in db_keys and meant_here:
            rows.append({"pipeline": pipeline, "name": name, "issue": "yaml_not_in_db", "trigger_id": None,
                         "status": t.get("status"), "envs": envs})
    # A DB schedule whose entry Mage can no longer load is MAGE-OPS-001's, not "not in code".
    unloadable = {(str(t["pipeline"]), str(t["name"])) for t in _yaml_triggers(inv, loadable=False)} - set(yaml_by_key)
    for r in db:
        key = (str(r.get("pipeline_uuid")), str(r.get("name")))
        base = {"pipeline": key[0], "name": key[1], "trigger_id": r.get("schedule_id"),
                "status": r.get("status")}
        if key[0] not in pipelines:
            rows.append(dict(base, issue="pipeline_missing", envs=None))
        elif key in unloadable:
            continue
        elif key not in yaml_by_key:
            rows.append(dict(base, issue="db_not_in_yaml", envs=None))
        elif env is not None and _envs(yaml_by_key[key]) and env not in _envs(yaml_by_key[key]):
            rows.append(dict(base, issue="env_excluded", envs=_envs(yaml_by_key[key])))
    return pd.DataFrame(rows, columns=DRIFT_COLUMNS)


def _same_time(code: Any, db: Any) -> bool:
    if code in (None, "") or db is None or (isinstance(db, float) and pd.isna(db)):
        return code in (None, "") and (db is None or pd.isna(db))
    try:
        a = pd.Timestamp(code)
        b = pd.Timestamp(db)
    except (ValueError, TypeError):
        return False
    a = a.tz_convert("UTC").tz_localize(None) if a.tzinfo else a
    b = b.tz_convert("UTC").tz_localize(None) if b.tzinfo else b
    return abs((a - b).total_seconds()) < 1


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value == "":
        return None
    return str(value)


def _int(value: Any) -> int | None:
    try:
        return None if value is None or pd.isna(value) else int(value)
    except (TypeError, ValueError):
        return None


def _differences(t: dict, r: dict) -> list[tuple[str, Any, Any]]:
    """(field, db value, code value) for each setting that differs; variables by keys only."""
    out = []
    interval_db, interval_code = _text(r.get("schedule_interval")), _text(t.get("schedule_interval"))
    timed = str(t.get("schedule_type") or "").lower() == "time"    # API/event triggers ignore both
    if timed and interval_db != interval_code:
        out.append(("schedule_interval", interval_db, interval_code))
    if timed and not _same_time(t.get("start_time"), r.get("start_time")):
        out.append(("start_time", _text(r.get("start_time")), _text(t.get("start_time"))))
    status_db = (_text(r.get("status")) or "").upper()
    status_code = (_text(t.get("status")) or "inactive").upper()
    once_done = interval_code == "@once" and status_db == "INACTIVE"      # Mage flips @once after its run
    if status_db != status_code and not once_done:
        out.append(("status", status_db.lower(), status_code.lower()))
    if _int(r.get("sla")) != _int(t.get("sla")):
        out.append(("sla", _int(r.get("sla")), _int(t.get("sla"))))
    settings_db, settings_code = as_dict(r.get("settings")), as_dict(t.get("settings"))
    for key in sorted(set(settings_db) | set(settings_code)):
        default = SETTINGS_DEFAULTS.get(key)
        db_value, code_value = settings_db.get(key, default), settings_code.get(key, default)
        if db_value != code_value and not str(code_value).startswith("<redacted"):
            out.append((f"settings.{key}", db_value, code_value))
    keys_db, keys_code = set(r.get("variable_keys") or []), set(t.get("variable_keys") or [])
    if r.get("variable_keys") is not None and keys_db != keys_code:
        out.append(("variables (keys)", sorted(keys_db - keys_code), sorted(keys_code - keys_db)))
    return out


def settings_drift(history, inv=None, mage_env: str | None = None) -> pd.DataFrame:
    """One row per differing setting of a trigger that is both in ``triggers.yaml`` (loadable,
    meant for the audited environment) and in the DB: ``field``, the ``db`` value and the
    ``code`` value. Variables are compared by their keys only (``db`` holds the keys only in
    the DB, ``code`` those only in code); values are never read. An ``@once`` trigger the
    scheduler made inactive after its run is not a difference, nor are the schedule interval
    and start time of API and event triggers (Mage does not use them)."""
    if inv is None or history is None:
        return pd.DataFrame(columns=SETTINGS_COLUMNS)
    excluded = trigger_drift(history, inv, mage_env)
    skip = {(r.pipeline, r.name) for r in excluded.itertuples(index=False)}
    yaml_by_key = {(str(t["pipeline"]), str(t["name"])): t for t in _yaml_triggers(inv)}
    rows = []
    for r in _db_schedules(history):
        key = (str(r.get("pipeline_uuid")), str(r.get("name")))
        if key in skip or key not in yaml_by_key:
            continue
        for field, db_value, code_value in _differences(yaml_by_key[key], r):
            rows.append({"pipeline": key[0], "name": key[1], "trigger_id": r.get("schedule_id"),
                         "field": field, "db": db_value, "code": code_value})
    return pd.DataFrame(rows, columns=SETTINGS_COLUMNS, dtype=object)


def runs_per_schedule(history) -> dict:
    """Pipeline runs of the window per schedule id (``{schedule_id: runs}``)."""
    if history is None or not getattr(history, "available", False):
        return {}
    from .runs import _per_schedule
    frame = _per_schedule(history)
    return {int(r.schedule_id): int(r.runs) for r in frame.itertuples(index=False) if pd.notna(r.schedule_id)}
