"""Pass/fail cases of the drift rules (MAGE-DEP-101..107), built from drift frames as data.

``make_drift(**frames)`` gives a :class:`DriftResult` with two git environments, ``staging``
(pre-production) and ``prod`` (production), and empty comparison frames unless given. Each case:
(rule id, label, run(tmp_path) -> findings, expected count); test_rules_coverage.py runs them.
"""
from __future__ import annotations

import pandas as pd

from auditkit.drift.result import DriftResult
from auditkit.engine.base import REGISTRY, RuleContext

COLUMNS = {
    "envs": ["env", "spec", "kind", "ref", "commit", "folder", "mage_env", "role", "order", "pipelines", "files", "history"],
    "pipelines": ["project", "pipeline", "env", "present", "state", "differs_in", "path", "n_blocks"],
    "renames": ["project", "from_env", "from_pipeline", "to_env", "to_pipeline", "similarity"],
    "pipeline_settings": ["project", "pipeline", "field", "env", "value"],
    "blocks": ["project", "pipeline", "kind", "item", "env", "state"],
    "code": ["project", "path", "from_env", "to_env", "change", "lines_added", "lines_removed", "pipelines"],
    "triggers": ["project", "pipeline", "trigger", "field", "env", "value"],
    "trigger_reach": ["project", "pipeline", "trigger", "path", "line", "env", "mage_env", "status", "envs", "valid",
                      "fires", "reason", "never_fires"],
    "io_config": ["project", "path", "profile", "key", "env", "value_kind"],
    "project_settings": ["project", "path", "key", "env", "value"],
    "requirements": ["path", "package", "env", "spec"],
    "dbt_profiles": ["path", "profile", "target", "key", "env", "value_kind"],
    "promotion": ["from_env", "to_env", "status", "waiting", "oldest_waiting_at", "bypassed", "from_commit",
                  "to_commit", "from_date", "to_date"],
    "promotion_commits": ["from_env", "to_env", "category", "sha", "date", "subject"],
    "bypassed_files": ["from_env", "to_env", "path", "sha"],
    "timeline": ["env", "order", "sha", "date", "kind", "subject"],
    "history": ["env", "pipeline", "runs", "completed", "failed", "failure_rate", "duration_p50_s", "duration_p95_s"],
}
META = "proj/pipelines/{}/metadata.yaml"


def env_rows(kind: str = "git", with_history: bool = False) -> list[dict]:
    mark = "yes" if with_history else ""
    return [{"env": "staging", "spec": "staging", "kind": kind, "mage_env": "staging", "role": "pre-production",
             "order": 0, "history": mark},
            {"env": "prod", "spec": "main", "kind": kind, "mage_env": "prod", "role": "production", "order": 1,
             "history": mark}]


def make_drift(kind: str = "git", **frames) -> DriftResult:
    data = {name: pd.DataFrame(frames.get(name, []), columns=cols) for name, cols in COLUMNS.items()}
    data["envs"] = pd.DataFrame(env_rows(kind, "history" in frames), columns=COLUMNS["envs"])
    for name in ("never_fires", "fires", "valid"):
        data["trigger_reach"][name] = data["trigger_reach"][name].astype(bool)
    data["pipelines"]["present"] = data["pipelines"]["present"].astype(bool)
    return DriftResult(repo="/repo", **data)


def run_rule(rule_id: str, drift: DriftResult) -> list:
    return list(REGISTRY[rule_id](RuleContext(drift=drift)).check())


def presence(pipeline: str, envs: tuple[str, ...] = ("prod",)) -> list[dict]:
    return [{"project": "proj", "pipeline": pipeline, "env": e, "present": True, "state": "reference",
             "path": META.format(pipeline)} for e in envs]


def bypassed(*paths: str) -> list[dict]:
    return [{"from_env": "staging", "to_env": "prod", "path": p, "sha": "abc"} for p in paths]


def setting(pipeline: str, field: str, staging: str, prod: str) -> list[dict]:
    return [{"project": "proj", "pipeline": pipeline, "field": field, "env": "staging", "value": staging},
            {"project": "proj", "pipeline": pipeline, "field": field, "env": "prod", "value": prod}]


def io(key: str, staging: str, prod: str) -> list[dict]:
    return [{"project": "proj", "path": "proj/io_config.yaml", "profile": "prod", "key": key, "env": e, "value_kind": k}
            for e, k in (("staging", staging), ("prod", prod))]


def reach(never: bool, fires: bool = False, status: str = "active") -> list[dict]:
    return [{"project": "proj", "pipeline": "p", "trigger": "t", "path": "proj/pipelines/p/triggers.yaml", "line": 2,
             "env": "prod", "mage_env": "prod", "status": status, "envs": '["dev"]', "valid": True, "fires": fires,
             "reason": "envs ['dev'] leave out prod", "never_fires": never}]


def history(staging_runs: int) -> list[dict]:
    rows = [{"env": "prod", "pipeline": "p", "runs": 10}]
    return rows + ([{"env": "staging", "pipeline": "p", "runs": staging_runs}] if staging_runs else [])


def case(rule_id: str, label: str, expected: int, **kw) -> tuple:
    return (rule_id, f"rule_cases_drift:{label}", lambda _tmp: run_rule(rule_id, make_drift(**kw)), expected)


CASES = [
    case("MAGE-DEP-101", "added on main, never in staging", 1,
         pipelines=presence("hotfix"), bypassed_files=bypassed(META.format("hotfix"))),
    case("MAGE-DEP-101", "deleted on staging: a pending removal", 0, pipelines=presence("old")),
    case("MAGE-DEP-101", "in both", 0, pipelines=presence("p", ("staging", "prod"))),
    case("MAGE-DEP-101", "folders: not in staging", 1, kind="folder", pipelines=presence("old")),
    case("MAGE-DEP-102", "retries raised on main", 1, pipeline_settings=setting("p", "retry_config", "1", "3"),
         pipelines=presence("p", ("staging", "prod")), bypassed_files=bypassed(META.format("p"))),
    case("MAGE-DEP-102", "staging ahead (pending promotion)", 0,
         pipeline_settings=setting("p", "retry_config", "3", "1"), pipelines=presence("p", ("staging", "prod"))),
    case("MAGE-DEP-102", "tags are not risky", 0, pipeline_settings=setting("p", "tags", "[]", "[\"x\"]"),
         pipelines=presence("p", ("staging", "prod")), bypassed_files=bypassed(META.format("p"))),
    case("MAGE-DEP-103", "literal password in prod, env_var in staging", 1,
         io_config=io("POSTGRES_PASSWORD", "env_var", "literal")),
    case("MAGE-DEP-103", "literal in both", 0, io_config=io("POSTGRES_HOST", "literal", "literal")),
    case("MAGE-DEP-104", "hotfixes on main", 1,
         promotion=[{"from_env": "staging", "to_env": "prod", "status": "compared", "waiting": 0, "bypassed": 2}],
         promotion_commits=[{"from_env": "staging", "to_env": "prod", "category": "bypassed", "sha": "a" * 40,
                             "subject": "fix: x"}]),
    case("MAGE-DEP-104", "nothing skipped", 0,
         promotion=[{"from_env": "staging", "to_env": "prod", "status": "compared", "waiting": 4, "bypassed": 0}]),
    case("MAGE-DEP-105", "pandas pinned differently", 1,
         requirements=[{"path": "requirements.txt", "package": "pandas", "env": "staging", "spec": "==2.2"},
                       {"path": "requirements.txt", "package": "pandas", "env": "prod", "spec": "==2.1"}]),
    case("MAGE-DEP-105", "only development differs", 0, requirements=[]),
    case("MAGE-DEP-106", "envs leave out every environment holding it", 1, trigger_reach=reach(True)),
    case("MAGE-DEP-106", "fires in production", 0, trigger_reach=reach(False, fires=True)),
    case("MAGE-DEP-107", "runs in prod, never in staging", 1, history=history(0),
         pipelines=presence("p", ("staging", "prod"))),
    case("MAGE-DEP-107", "ran in staging too", 0, history=history(5), pipelines=presence("p", ("staging", "prod"))),
    case("MAGE-DEP-107", "no staging history given", 0, pipelines=presence("p", ("staging", "prod"))),
]
