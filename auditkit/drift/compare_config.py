"""Triggers, io_config, project settings, requirements and dbt profiles side by side.

Frames hold kinds, names and redacted values only: io_config and dbt profile values appear as
their kind (``env_var``, ``literal``, ...), settings documents after
:func:`auditkit.readers.ioconfig.redact`, requirements without URL credentials.
"""
from __future__ import annotations

from collections import defaultdict

import pandas as pd

from auditkit.drift import configfiles as cf
from auditkit.drift.frames import ABSENT, differing, empty
from auditkit.drift.snapshot import EnvSnapshot

TRIGGER_FIELDS = ("schedule_type", "schedule_interval", "start_time", "status", "envs", "sla", "settings", "valid")
REACH_COLUMNS = ["project", "pipeline", "trigger", "path", "line", "env", "mage_env", "status", "envs", "valid",
                 "fires", "reason", "never_fires"]


def _trigger_rows(snaps: list[EnvSnapshot], pipelines: set | None = None) -> list[dict]:
    rows = []
    for snap in snaps:
        for row in snap.inventory.triggers.to_dict("records"):
            if pipelines is None or (row["project"], row["pipeline"]) in pipelines:
                rows.append({**row, "env": snap.name, "mage_env": snap.tree.env.mage_env})
    return rows


def trigger_diffs(snaps: list[EnvSnapshot], changed: set, present: pd.DataFrame) -> pd.DataFrame:
    """``project, pipeline, trigger, field, env, value``: triggers present in some environments
    holding the pipeline and not others (field ``trigger``), and schedules, status, ``envs``,
    SLA and settings that are not the same everywhere the trigger exists."""
    names = [s.name for s in snaps]
    rows = _trigger_rows(snaps, changed)
    keys = ["project", "pipeline", "trigger"]
    columns = [*keys, "field", "env", "value"]
    if not rows:
        return empty(columns)
    long = pd.DataFrame(rows).rename(columns={"name": "trigger"})
    long["trigger"] = long["trigger"].map(str)
    scope = present[present["present"]][["project", "pipeline", "env"]]
    exists = differing(long.assign(value="present"), keys, "value", names, scope, ["project", "pipeline"])
    fields = long.melt(id_vars=[*keys, "env"], value_vars=list(TRIGGER_FIELDS), var_name="field", value_name="value")
    fields["value"] = fields["value"].map(cf.render)
    changed_fields = differing(fields, [*keys, "field"], "value", names, long[[*keys, "env"]], keys)
    return pd.concat([exists.assign(field="trigger")[columns], changed_fields[columns]], ignore_index=True)


def _fires(row: dict) -> tuple[bool, str]:
    if not row.get("valid", True):
        return False, f"Mage skips it: {row.get('problem') or 'invalid trigger'}"
    envs = list(row.get("envs") or [])
    if envs and row["mage_env"] not in envs:
        return False, f"envs {envs} leave out {row['mage_env']}"
    return True, ""


def trigger_reach(snaps: list[EnvSnapshot]) -> pd.DataFrame:
    """One row per trigger and environment holding it: whether Mage would sync it there
    (``fires``: valid, and ``envs`` empty or naming the environment's Mage env) and
    ``never_fires``: an active trigger that fires in none of the environments holding it nor in
    a later environment of the chain it is being promoted to (a trigger whose ``envs`` name a
    Mage env no compared environment runs as is never judged)."""
    names = [s.name for s in snaps]
    order = {n: i for i, n in enumerate(names)}
    mage_envs = [s.tree.env.mage_env for s in snaps]
    rows = _trigger_rows(snaps)
    by_key: dict[tuple, list[dict]] = defaultdict(list)
    for row in rows:
        row["fires"], row["reason"] = _fires(row)
        by_key[(row["project"], row["pipeline"], str(row["name"]))].append(row)
    out = []
    for key, items in by_key.items():
        items.sort(key=lambda r: order[r["env"]])
        dead = _never_fires(items, names, mage_envs, order)
        for r in items:
            out.append((*key, r["path"], r.get("line"), r["env"], r["mage_env"], r.get("status"),
                        cf.render(list(r.get("envs") or [])), bool(r.get("valid", True)), r["fires"],
                        r["reason"], dead))
    frame = pd.DataFrame(out, columns=REACH_COLUMNS) if out else empty(REACH_COLUMNS)
    return frame.sort_values(["project", "pipeline", "trigger"], kind="stable", ignore_index=True) if out else frame


def _never_fires(items: list[dict], names: list[str], mage_envs: list[str], order: dict) -> bool:
    if not any(str(r.get("status") or "").lower() == "active" for r in items):
        return False          # switched off on purpose
    latest = items[-1]
    if not latest.get("valid", True):
        return True
    envs = set(latest.get("envs") or [])
    if not envs or envs - set(mage_envs) or any(r["fires"] for r in items):
        return False
    holding = {r["env"] for r in items}
    first = min(order[r["env"]] for r in items)
    later = [mage_envs[i] for i in range(first + 1, len(names)) if names[i] not in holding]
    return not (envs & set(later))      # not on its way to an environment where it would fire


def io_config_diffs(snaps: list[EnvSnapshot]) -> pd.DataFrame:
    """``project, path, profile, key, env, value_kind``: io_config keys whose kind (env_var,
    secret, literal, placeholder, ...) or presence differs between environments holding the project."""
    names = [s.name for s in snaps]
    keys = ["project", "path", "profile", "key"]
    frames = [s.inventory.io_config[[*keys, "value_kind"]].assign(env=s.name) for s in snaps]
    long = pd.concat(frames, ignore_index=True)
    scope = pd.concat([s.inventory.projects[["project"]].assign(env=s.name) for s in snaps], ignore_index=True)
    return differing(long, keys, "value_kind", names, scope, ["project"])


def _files_named(snap: EnvSnapshot, file_names: frozenset) -> list[str]:
    return sorted(rel for rel in snap.tree.files if rel.rsplit("/", 1)[-1] in file_names)


def project_setting_diffs(snaps: list[EnvSnapshot]) -> pd.DataFrame:
    """``project, path, key, env, value``: project ``metadata.yaml`` settings (queue, retry,
    notification, retention, logging, ...) and ``settings.yaml`` entries that differ."""
    names = [s.name for s in snaps]
    rows = []
    for snap in snaps:
        for row in snap.inventory.projects.to_dict("records"):
            path = "metadata.yaml" if row["path"] == "." else f"{row['path']}/metadata.yaml"
            for item in cf.setting_rows(row.get("metadata"), redacted=True):
                rows.append((row["project"], path, item["key"], snap.name, item["value"]))
        paths = _files_named(snap, frozenset({"settings.yaml"}))
        for rel, data in snap.tree.read(paths).items():
            for item in cf.setting_rows(cf.yaml_document(data, rel)):
                rows.append(("(repository)", rel, item["key"], snap.name, item["value"]))
    long = pd.DataFrame(rows, columns=["project", "path", "key", "env", "value"])
    return differing(long, ["project", "path", "key"], "value", names)


def requirement_diffs(snaps: list[EnvSnapshot]) -> pd.DataFrame:
    """``path, package, env, spec``: requirements.txt entries added, removed or pinned
    differently (``absent`` where the file lacks the package, or the file is missing)."""
    names = [s.name for s in snaps]
    rows = []
    for snap in snaps:
        for rel, data in snap.tree.read(_files_named(snap, cf.REQUIREMENTS_NAMES)).items():
            text, _ = cf.decode_text(data)
            rows.extend((rel, r["package"], snap.name, r["spec"]) for r in cf.requirement_rows(text))
    long = pd.DataFrame(rows, columns=["path", "package", "env", "spec"])
    return differing(long, ["path", "package"], "spec", names)


def dbt_profile_diffs(snaps: list[EnvSnapshot]) -> pd.DataFrame:
    """``path, profile, target, key, env, value_kind``: dbt profiles.yml targets and their
    settings' kinds that differ (``absent``: the target or key is missing there)."""
    names = [s.name for s in snaps]
    rows = []
    for snap in snaps:
        for rel, data in snap.tree.read(_files_named(snap, cf.DBT_PROFILE_NAMES)).items():
            rows.extend((rel, r["profile"], r["target"], r["key"], snap.name, r["value_kind"])
                        for r in cf.dbt_profile_rows(cf.yaml_document(data, rel)))
    long = pd.DataFrame(rows, columns=["path", "profile", "target", "key", "env", "value_kind"])
    return differing(long, ["path", "profile", "target", "key"], "value_kind", names)


__all__ = ["ABSENT", "trigger_diffs", "trigger_reach", "io_config_diffs", "project_setting_diffs",
           "requirement_diffs", "dbt_profile_diffs"]
