"""The result of one drift comparison: plain frames, findings and a summary; saved as JSON.

Frames (environments in promotion order; every frame has its columns even when empty):

* ``envs``: env, spec, kind (git/folder), ref, commit, mage_env, role (production /
  pre-production / earlier), pipelines, files, history (what was read).
* ``pipelines``: project, pipeline, env, present, state (reference / same / differs / new /
  absent, against production), differs_in, path, n_blocks. ``renames``: project, from_env,
  from_pipeline, to_env, to_pipeline, similarity.
* ``pipeline_settings``: project, pipeline, field, env, value; ``blocks``: project, pipeline,
  kind (block/edge), item, env, state; ``code``: project, path, from_env, to_env, change,
  lines_added, lines_removed, pipelines.
* ``triggers``: project, pipeline, trigger, field, env, value; ``trigger_reach``: one row per
  trigger and environment holding it (fires, reason, never_fires).
* ``io_config``: project, profile, key, env, value_kind; ``project_settings``: project, path,
  key, env, value; ``requirements``: path, package, env, spec; ``dbt_profiles``: path, profile,
  target, key, env, value_kind.
* ``promotion``: from_env, to_env, status, waiting, oldest_waiting_at, bypassed, commits and
  dates; ``promotion_commits``: from_env, to_env, category (waiting/bypassed), sha, date,
  subject; ``bypassed_files``: from_env, to_env, path, sha; ``timeline``: env, order, sha,
  date, kind, subject.
* ``history``: env, pipeline, runs, completed, failed, failure_rate, duration_p50_s, duration_p95_s.
* ``findings`` (as ``auditkit check``), ``input_problems`` (path, kind, reason, project).

Comparison frames list only what differs (``absent`` where a thing is missing), so identical
environments give empty frames. No frame holds a secret value.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from pathlib import Path

import pandas as pd

DRIFT_FILE = "drift.json"
FRAME_NAMES = ("envs", "pipelines", "renames", "pipeline_settings", "blocks", "code", "triggers",
               "trigger_reach", "io_config", "project_settings", "requirements", "dbt_profiles", "promotion",
               "promotion_commits", "bypassed_files", "timeline", "history", "findings", "input_problems")


def _codec():
    from auditkit.datacodec import DataCodec
    return DataCodec([DriftResult])


@dataclass
class DriftResult:
    """Environments side by side (see the module doc for the frames)."""

    repo: str
    envs: pd.DataFrame
    pipelines: pd.DataFrame
    renames: pd.DataFrame
    pipeline_settings: pd.DataFrame
    blocks: pd.DataFrame
    code: pd.DataFrame
    triggers: pd.DataFrame
    trigger_reach: pd.DataFrame
    io_config: pd.DataFrame
    project_settings: pd.DataFrame
    requirements: pd.DataFrame
    dbt_profiles: pd.DataFrame
    promotion: pd.DataFrame
    promotion_commits: pd.DataFrame
    bypassed_files: pd.DataFrame
    timeline: pd.DataFrame
    history: pd.DataFrame
    findings: pd.DataFrame = field(default_factory=pd.DataFrame)
    input_problems: pd.DataFrame = field(default_factory=pd.DataFrame)
    summary: dict = field(default_factory=dict)

    @property
    def env_names(self) -> list[str]:
        return list(self.envs["env"])

    @property
    def production(self) -> str | None:
        prod = self.envs[self.envs["role"] == "production"]["env"]
        return str(prod.iloc[0]) if len(prod) else None

    @property
    def pre_production(self) -> str | None:
        pre = self.envs[self.envs["role"] == "pre-production"]["env"]
        return str(pre.iloc[0]) if len(pre) else None

    def is_git(self, env: str) -> bool:
        kinds = dict(zip(self.envs["env"], self.envs["kind"]))
        return kinds.get(env) == "git"

    def save(self, folder: str | Path) -> Path:
        """Write ``drift.json`` (data-only JSON: reading it back runs no code) into ``folder``."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        state = {f.name: getattr(self, f.name) for f in fields(self)}
        (folder / DRIFT_FILE).write_text(_codec().dumps(state), encoding="utf-8")
        (folder / "drift_summary.json").write_text(json.dumps(self.summary, indent=2, default=str))
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> "DriftResult":
        """The result :meth:`save` wrote; ``ValueError`` when the file is not one."""
        state = _codec().loads((Path(folder) / DRIFT_FILE).read_text(encoding="utf-8"))
        names = {f.name for f in fields(cls)}
        if not isinstance(state, dict) or not set(state) <= names or "envs" not in state:
            raise ValueError(f"{Path(folder) / DRIFT_FILE} is not a saved drift result")
        return cls(**state)


# What one difference is in each comparison frame (its rows repeat it once per environment).
DIFFERENCE_KEYS = {
    "renames": None, "pipeline_settings": ["project", "pipeline", "field"],
    "blocks": ["project", "pipeline", "kind", "item"], "code": None,
    "triggers": ["project", "pipeline", "trigger", "field"], "io_config": ["project", "path", "profile", "key"],
    "project_settings": ["project", "path", "key"], "requirements": ["path", "package"],
    "dbt_profiles": ["path", "profile", "target", "key"],
}


def _distinct(frame: pd.DataFrame, keys: list[str] | None) -> int:
    return int(len(frame) if keys is None or frame.empty else len(frame.drop_duplicates(keys)))


def drift_summary(result: DriftResult) -> dict:
    """Counts for ``drift_summary.json``, the command's output and the report."""
    pipes = result.pipelines
    states = {}
    for env in result.env_names:
        mine = pipes[pipes["env"] == env]
        states[env] = {str(k): int(v) for k, v in mine["state"].value_counts().items()}
    findings = result.findings
    return {
        "repo": result.repo,
        "envs": result.envs[["env", "spec", "kind", "commit", "mage_env", "role"]].to_dict("records"),
        "production": result.production,
        "pipelines": int(pipes[["project", "pipeline"]].drop_duplicates().shape[0]) if len(pipes) else 0,
        "pipeline_states": states,
        "differences": {name: _distinct(getattr(result, name), keys) for name, keys in DIFFERENCE_KEYS.items()},
        "never_firing_triggers": int(result.trigger_reach.drop_duplicates(
            ["project", "pipeline", "trigger"])["never_fires"].astype(bool).sum()) if len(result.trigger_reach) else 0,
        "promotion": [{k: (None if pd.isna(v) else v) for k, v in row.items()} for row in
                      result.promotion[["from_env", "to_env", "status", "waiting", "bypassed"]].to_dict("records")],
        "findings": {"total": int(len(findings)),
                     "by_rule": {str(k): int(v) for k, v in findings["rule_id"].value_counts().sort_index().items()}
                     if len(findings) else {}},
        "input_problems": int(len(result.input_problems)),
    }
