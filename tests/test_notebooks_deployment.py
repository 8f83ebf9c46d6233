"""80_deployment: a papermill run on the demo audit, and unit tests of its plot helpers."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from auditkit.plots import deployment as D
from inventory_factory import make_inventory
from rules_runtime_support import make_git

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "80_deployment.ipynb"


@pytest.mark.slow
def test_deployment_notebook_runs_on_the_demo(tmp_path):
    import nbformat
    import papermill as pm

    from auditkit.audit import run_audit
    from auditkit.demo.build import materialize_demo

    audit = run_audit(materialize_demo(tmp_path / "demo"))
    assert audit.git is not None, "the demo repo is materialised with its git history"
    audit.save(tmp_path / "cache")
    executed = tmp_path / "80_deployment.ipynb"
    pm.execute_notebook(str(NOTEBOOK), str(executed), kernel_name="python3", progress_bar=False,
                        parameters={"audit_cache": str(tmp_path / "cache"), "out": str(tmp_path / "csv")})
    nb = nbformat.read(str(executed), as_version=4)
    text = json.dumps([c.get("outputs", []) for c in nb.cells])
    assert "Branches by kind" in text and "Commit messages by type" in text
    assert "Triggers by environment" in text and "io_config.yaml" in text
    deployment_rules = set(audit.findings_for(["deployment"])["rule_id"])
    assert deployment_rules and all(rule in text for rule in deployment_rules)
    branches = pd.read_csv(tmp_path / "csv" / "branches.csv")
    assert set(branches["name"]) == set(audit.git.branches["name"])
    assert (tmp_path / "csv" / "trigger_envs.csv").exists()


def test_io_config_sources_counts_env_and_literal_settings():
    inv = make_inventory(io_config=[
        {"profile": "prod", "key": "HOST", "value_kind": "env_var"},
        {"profile": "prod", "key": "USER", "value_kind": "mage_secret_var"},
        {"profile": "dev", "key": "HOST", "value_kind": "literal"},
    ])
    frame = D.io_config_sources(inv.io_config).set_index(["profile", "source"])["settings"]
    assert frame[("prod", "environment/secret")] == 2 and frame[("dev", "literal")] == 1
    assert D.io_config_profiles(inv.io_config).data


def test_trigger_envs_counts_triggers_without_envs_as_all():
    inv = make_inventory(triggers=[{"name": "a", "envs": ["prod"]}, {"name": "b", "envs": []},
                                   {"name": "c", "envs": ["prod", "dev"], "status": "inactive"}])
    frame = D.trigger_envs(inv.triggers).set_index("env")
    assert frame.loc["prod", "active"] == 1 and frame.loc["prod", "inactive"] == 1
    assert frame.loc["all (no envs)", "active"] == 1 and frame.loc["dev", "inactive"] == 1


def test_env_handling_in_code_lists_pinned_profiles():
    inv = make_inventory(block_files=[
        {"path": "proj/data_loaders/a.py", "facts": {"env_access": True, "io_profiles": [[3, "default"]]}},
        {"path": "proj/data_loaders/b.py", "facts": {"env_branching": True, "io_profiles": [[3, "dev"]]}},
    ])
    frame = D.env_handling_in_code(inv.block_files).set_index("path")
    assert frame.loc["proj/data_loaders/a.py", "pinned_profiles"] == []
    assert frame.loc["proj/data_loaders/b.py", "pinned_profiles"] == ["dev"]
    counts = {x: int(y) for trace in D.env_handling_chart(inv.block_files).data for x, y in zip(trace.x, trace.y)}
    assert counts == {"reads env vars": 1, "branches on ENV": 1, "pins an io_config profile": 1}


def test_git_figures_and_monthly_counts():
    git = make_git(["main", "feature/x", "wip"],
                   commits=["feat: a", "fix: b", "oops", {"subject": "hotfix", "on_main": True}])
    kinds = D.branch_kinds_chart(git).data[0]
    by_kind = dict(zip(kinds.x, kinds.y))
    assert by_kind["main"] == 1 and by_kind["development"] == 0 and by_kind["other"] == 1
    months = D.commits_by_month(git)
    assert months["conventional"].sum() == 2 and months["other"].sum() == 2
    assert months["direct_to_main"].sum() == 1
    assert D.commit_types_chart(git).data and D.commits_over_time(git).data


def test_figures_without_git_say_so():
    fig = D.branch_kinds_chart(None)
    assert "not a git repository" in fig.layout.annotations[0].text
    assert D.commits_by_month(None).empty
