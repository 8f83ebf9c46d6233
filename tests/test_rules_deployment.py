"""Deployment rules (MAGE-DEP-*): io_config/trigger/code cases on inventories, git cases on
GitInfo objects built from rows."""
from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest

from auditkit.engine.base import REGISTRY
from inventory_factory import make_inventory
from rules_runtime_support import findings, make_git, run_case
from rule_cases_recall import GIT_CASES as RECALL_GIT_CASES

LOADER = "proj/data_loaders/load_orders.py"


def io(profile, key, kind="literal", fingerprint="fp1", line=3, scope="remote"):
    return {"profile": profile, "key": key, "value_kind": kind, "fingerprint": fingerprint, "line": line,
            "target_scope": scope if kind == "literal" else None}


INVENTORY_CASES = [
    ("MAGE-DEP-001", {"io_config": [io("prod", "POSTGRES_HOST"), io("prod", "POSTGRES_DBNAME")]}, None, 1),
    ("MAGE-DEP-001", {"io_config": [io("prod", "POSTGRES_HOST", "env_var", None),
                                    io("prod", "POSTGRES_PASSWORD"),          # security's job
                                    io("default", "POSTGRES_HOST", "placeholder", None)]}, None, 0),
    # a compose service name or localhost is each stack's own machine; a database name alone is not a host
    ("MAGE-DEP-001", {"io_config": [io("dev", "POSTGRES_HOST", scope="local"), io("prod", "POSTGRES_DBNAME"),
                                    io("prod", "CLICKHOUSE_USER")]}, None, 0),
    ("MAGE-DEP-002", {"io_config": [io("default", "POSTGRES_HOST", "placeholder", None)]}, None, 1),
    ("MAGE-DEP-002", {"io_config": [io("dev", "POSTGRES_HOST", "env_var", None),
                                    io("prod", "POSTGRES_HOST", "env_var", None)]}, None, 0),
    ("MAGE-DEP-002", {"io_config": [io("default", "POSTGRES_HOST", "env_var", None)]}, None, 0),
    ("MAGE-DEP-003", {"io_config": [io("dev", "SNOWFLAKE_USER", fingerprint="abc"),
                                    io("prod", "SNOWFLAKE_USER", fingerprint="abc")]}, None, 1),
    ("MAGE-DEP-003", {"io_config": [io("dev", "SNOWFLAKE_USER", fingerprint="abc"),
                                    io("prod", "SNOWFLAKE_USER", fingerprint="xyz")]}, None, 0),
    # profiles of different systems on one server are not environments sharing a value
    ("MAGE-DEP-003", {"io_config": [io("source", "POSTGRES_HOST", fingerprint="abc"),
                                    io("metadata", "POSTGRES_HOST", fingerprint="abc")]}, None, 0),
    ("MAGE-DEP-004", {"block_files": [{"path": LOADER, "facts": {"io_profiles": [[11, "dev"]]}}],
                      "io_config": [io("dev", "X", "env_var", None), io("prod", "X", "env_var", None)]}, None, 1),
    ("MAGE-DEP-004", {"block_files": [{"path": LOADER, "facts": {"io_profiles": [[11, "default"]]}}],
                      "io_config": [io("dev", "X", "env_var", None), io("prod", "X", "env_var", None)]}, None, 0),
    # a profile named after a system is not an environment; one environment profile pins nothing
    ("MAGE-DEP-004", {"block_files": [{"path": LOADER, "facts": {"io_profiles": [[11, "Google"]]}}],
                      "io_config": [io("dev", "X", "env_var", None), io("prod", "X", "env_var", None),
                                    io("Google", "X", "env_var", None)]}, None, 0),
    ("MAGE-DEP-004", {"block_files": [{"path": LOADER, "facts": {"io_profiles": [[11, "dev"]]}}],
                      "io_config": [io("dev", "X", "env_var", None)]}, None, 0),
    ("MAGE-DEP-005", {"triggers": [{"name": "a", "envs": ["prod"]}, {"name": "b", "envs": []}]}, None, 1),
    ("MAGE-DEP-005", {"triggers": [{"name": "a", "envs": []}],
                      "io_config": [io("dev", "X", "env_var", None), io("prod", "X", "env_var", None)]}, None, 1),
    ("MAGE-DEP-005", {"triggers": [{"name": "a", "envs": []}]}, None, 0),   # single-environment project
    ("MAGE-DEP-005", {"triggers": [{"name": "a", "envs": ["prod"]}, {"name": "b", "envs": ["dev"]}]}, None, 0),
    ("MAGE-DEP-006", {"block_files": [{"path": LOADER, "facts": {"env_branching": True}}]}, None, 1),
    ("MAGE-DEP-006", {"block_files": [{"path": LOADER, "facts": {"env_branching": False}}]}, None, 0),
]

CONVENTIONAL = [f"feat: add block {i}" for i in range(10)]
# The security scan's view of a project deployed by terraform.
DEPLOYED = SimpleNamespace(deployments=pd.DataFrame([{"path": "infra/mage.tf", "kind": "terraform", "production": False}]))
SLOPPY = ["wip", "fix stuff", "update"] * 4
GIT_CASES = [
    ("MAGE-DEP-007", make_git(["main", "feature/x"]), None, 1),
    ("MAGE-DEP-007", make_git(["main", "development"]), None, 0),
    ("MAGE-DEP-008", make_git(["main", "development"]), None, 1),
    ("MAGE-DEP-008", make_git(["main", "development", "staging"]), None, 0),
    ("MAGE-DEP-009", make_git(["main", "johns-fix", "feature/ok"]), None, 1),
    ("MAGE-DEP-009", make_git(["main", "feature/ok", "hotfix/now", "release/1.0"]), None, 0),
    ("MAGE-DEP-009", make_git(["main", "spike/x"]), {"allowed_prefixes": ["spike/"]}, 0),
    ("MAGE-DEP-010", make_git(commits=[{"subject": "init", "on_main": True, "n_parents": 0},
                                       {"subject": "hotfix revenue", "on_main": True}]), None, 1),
    ("MAGE-DEP-010", make_git(commits=[{"subject": "init", "on_main": True, "n_parents": 0},
                                       {"subject": "feat: x (#12)", "on_main": True},
                                       {"subject": "Merge branch 'staging'", "on_main": True, "is_merge": True,
                                        "n_parents": 2},
                                       {"subject": "feat: y", "on_main": False}]), None, 0),
    # without CI a direct commit to main deploys nothing: a personal repository's habit
    ("MAGE-DEP-010", make_git(commits=[{"subject": "init", "on_main": True, "n_parents": 0},
                                       {"subject": "hotfix revenue", "on_main": True}], ci_files=()), None, 0),
    ("MAGE-DEP-011", make_git(commits=CONVENTIONAL[:6] + SLOPPY[:6]), None, 1),
    ("MAGE-DEP-011", make_git(commits=CONVENTIONAL + ["wip"]), None, 0),
    ("MAGE-DEP-011", make_git(commits=SLOPPY[:5]), None, 0),                # too few to judge
    ("MAGE-DEP-012", make_git(commits=CONVENTIONAL * 3, tags=["nightly"]), None, 1),
    ("MAGE-DEP-012", make_git(commits=CONVENTIONAL * 3, tags=["v1.2.0"]), None, 0),
    ("MAGE-DEP-013", make_git(ci_files=(), commits=CONVENTIONAL), None, 1),
    ("MAGE-DEP-013", make_git(ci_files=(".gitlab-ci.yml",), commits=CONVENTIONAL), None, 0),
    # a sandbox with a few commits is not expected to have CI
    ("MAGE-DEP-013", make_git(ci_files=(), commits=CONVENTIONAL[:5]), None, 0),
    ("MAGE-DEP-014", make_git(commits=[{"subject": f"feat: {i}", "files_changed": 40} for i in range(5)]
                      + CONVENTIONAL), None, 1),
    ("MAGE-DEP-014", make_git(commits=[{"subject": f"feat: {i}", "lines_changed": 5000} for i in range(2)]
                      + CONVENTIONAL), None, 0),
]
GIT_CASES += RECALL_GIT_CASES     # rules of the recall issue (tests/rule_cases_recall.py)


@pytest.mark.parametrize("rule_id,frames,thresholds,expected", INVENTORY_CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(INVENTORY_CASES)])
def test_inventory_cases(rule_id, frames, thresholds, expected):
    assert len(run_case(rule_id, frames, thresholds)) == expected


@pytest.mark.parametrize("rule_id,git,thresholds,expected", GIT_CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(GIT_CASES)])
def test_git_cases(rule_id, git, thresholds, expected):
    assert len(findings(rule_id, git=git, thresholds=thresholds, security=DEPLOYED)) == expected


def test_no_ci_is_reported_only_for_projects_that_run_somewhere():
    git = make_git(ci_files=(), commits=CONVENTIONAL)
    local = SimpleNamespace(deployments=pd.DataFrame([{"path": "compose.yaml", "kind": "compose", "production": False}]))
    assert findings("MAGE-DEP-013", git=git, security=local) == []      # a laptop setup
    assert findings("MAGE-DEP-013", git=git) == []                                   # nothing deployed
    scheduled = make_inventory(triggers=[{"name": "nightly", "schedule_type": "time", "status": "active"}])
    [finding] = findings("MAGE-DEP-013", git=git, inventory=scheduled)
    assert "1 active schedule" in finding.evidence
    [finding] = findings("MAGE-DEP-013", git=git, security=DEPLOYED)
    assert "infra/mage.tf" in finding.evidence


def test_git_rules_need_git():
    git_rules = [r for r in REGISTRY.values() if r.id.startswith("MAGE-DEP-") and "git" in r.needs]
    assert len(git_rules) == 9      # 8 + MAGE-DEP-015 (CI that does not test)
    for rule in git_rules:
        assert findings(rule.id, git=None) == []


def test_io_config_findings_never_show_values():
    [finding] = run_case("MAGE-DEP-003", {"io_config": [io("dev", "SNOWFLAKE_PASSWORD", fingerprint="abc"),
                                                        io("prod", "SNOWFLAKE_PASSWORD", fingerprint="abc")]}, None)
    assert "abc" not in (finding.message + str(finding.evidence))
    assert "dev" in finding.message and "prod" in finding.message


def test_every_rule_has_both_outcomes():
    cases = INVENTORY_CASES + GIT_CASES
    fires = {c[0] for c in cases if c[-1] > 0}
    quiet = {c[0] for c in cases if c[-1] == 0}
    # the drift rules (MAGE-DEP-101..) have their cases in rule_cases_drift.py
    mine = {r for r, rule in REGISTRY.items() if r.startswith("MAGE-DEP-") and "drift" not in rule.needs}
    assert mine <= fires and mine <= quiet
