"""``auditkit drift`` on a three-branch repo built with git (tests/drift_support.py): every kind of
difference, the promotion state, the findings, and a two-folder case."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pandas as pd
import pytest

from auditkit.drift import run_drift
from auditkit.drift.compare_code import line_changes
from drift_support import LITERAL_PASSWORD, build_drift_repo, export_branch

ENVS = ["dev=development", "staging=staging", "prod=main"]


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    return build_drift_repo(tmp_path_factory.mktemp("drift") / "acme")


@pytest.fixture(scope="module")
def drift(repo):
    return run_drift(repo, ENVS)


def cell(frame: pd.DataFrame, value: str, **where) -> dict:
    """env -> value for the rows matching ``where``."""
    mask = pd.Series(True, index=frame.index)
    for column, wanted in where.items():
        mask &= frame[column] == wanted
    return dict(zip(frame[mask]["env"], frame[mask][value]))


def test_environments_are_resolved_in_promotion_order(drift, repo):
    envs = drift.envs.set_index("env")
    assert list(drift.envs["env"]) == ["dev", "staging", "prod"]
    assert envs.loc["prod", "role"] == "production" and envs.loc["staging", "role"] == "pre-production"
    assert list(envs["mage_env"]) == ["dev", "staging", "prod"] and set(envs["kind"]) == {"git"}
    main = subprocess.run(["git", "-C", str(repo), "rev-parse", "main"], capture_output=True, text=True).stdout.strip()
    assert envs.loc["prod", "commit"] == main


def test_pipeline_presence_states_and_renames(drift):
    pipes = drift.pipelines
    assert cell(pipes, "state", pipeline="hotfix_export") == {"dev": "absent", "staging": "absent", "prod": "reference"}
    assert cell(pipes, "state", pipeline="legacy_report") == {"dev": "absent", "staging": "same", "prod": "reference"}
    assert cell(pipes, "state", pipeline="marketing_attribution") == {"dev": "new", "staging": "absent", "prod": "absent"}
    assert cell(pipes, "state", pipeline="old_cleanup")["staging"] == "absent"
    orders = cell(pipes, "differs_in", pipeline="orders_daily")
    assert orders["staging"] == "metadata, triggers, code (1 file)" and orders["dev"].startswith("metadata, triggers, code (2")
    assert drift.renames[["from_env", "from_pipeline", "to_env", "to_pipeline"]].values.tolist() == [
        ["dev", "finance_report", "staging", "legacy_report"]]


def test_pipeline_settings_blocks_and_edges(drift):
    settings = drift.pipeline_settings
    retry = cell(settings, "value", pipeline="customers_sync", field="retry_config")
    assert retry == {"dev": '{"retries": 1}', "staging": '{"retries": 1}', "prod": '{"delay": 30, "retries": 3}'}
    assert cell(settings, "value", pipeline="orders_daily", field="tags") == {"dev": '["sales"]', "staging": '["sales"]',
                                                                             "prod": "[]"}
    assert set(settings["pipeline"]) == {"customers_sync", "orders_daily"}     # same metadata.yaml: not compared
    blocks = drift.blocks
    assert cell(blocks, "state", item="dedupe_orders") == {"dev": "present", "staging": "absent", "prod": "absent"}
    assert cell(blocks, "state", item="clean_orders -> export_orders") == {"dev": "absent", "staging": "present",
                                                                          "prod": "present"}


def test_block_code_differences_match_git_numstat(drift, repo):
    code = drift.code.set_index(["path", "from_env"])
    clean = code.loc[("hub/transformers/clean_orders.py", "staging")]
    assert clean["change"] == "modified" and clean["pipelines"] == "orders_daily"
    numstat = subprocess.run(["git", "-C", str(repo), "diff", "--numstat", "main", "staging", "--",
                              "hub/transformers/clean_orders.py"], capture_output=True, text=True).stdout.split()
    assert (clean["lines_added"], clean["lines_removed"]) == (int(numstat[0]), int(numstat[1]))
    assert code.loc[("hub/data_exporters/export_hotfix.py", "staging"), "change"] == "only in prod"
    assert code.loc[("hub/transformers/dedupe_orders.py", "dev"), "change"] == "only in dev"
    assert "hub/data_loaders/load_orders.py" not in set(drift.code["path"])        # same blob everywhere


def test_line_changes_agree_with_unified_diff():
    import difflib
    old, new = b"a\nb\nc\nd\n", b"a\nB\nc\nd\ne\nf\n"
    diff = list(difflib.unified_diff(old.decode().splitlines(), new.decode().splitlines(), lineterm="", n=0))
    plus = sum(1 for l in diff if l.startswith("+") and not l.startswith("+++"))
    minus = sum(1 for l in diff if l.startswith("-") and not l.startswith("---"))
    assert line_changes(old, new) == (plus, minus) == (3, 1)
    assert line_changes(b"\0binary", b"x") == (None, None)


def test_triggers_schedules_status_and_reach(drift):
    trig = drift.triggers
    assert cell(trig, "value", trigger="daily", field="schedule_interval") == {"dev": "0 6 * * *", "staging": "0 6 * * *",
                                                                              "prod": "@daily"}
    assert cell(trig, "value", trigger="daily", field="status")["dev"] == "inactive"
    reach = drift.trigger_reach.drop_duplicates(["pipeline", "trigger"]).set_index(["pipeline", "trigger"])["never_fires"]
    assert reach[("hotfix_export", "dev_only")] and reach[("legacy_report", "broken")]
    assert not reach[("marketing_attribution", "hourly")]        # envs [prod]: on its way to production
    assert not reach[("orders_daily", "daily")] and not reach[("hotfix_export", "nightly")]
    fires = drift.trigger_reach.set_index(["pipeline", "trigger", "env"])["fires"]
    assert fires[("orders_daily", "daily", "prod")] and not fires[("orders_daily", "daily", "staging")]


def test_io_config_kinds_never_values(drift):
    io = drift.io_config
    assert cell(io, "value_kind", profile="prod", key="POSTGRES_PASSWORD") == {"dev": "env_var", "staging": "env_var",
                                                                               "prod": "literal"}
    assert cell(io, "value_kind", profile="dev", key="POSTGRES_HOST") == {"dev": "literal", "staging": "absent",
                                                                          "prod": "absent"}
    assert "default" not in set(io["profile"])                  # identical everywhere


def test_project_settings_requirements_and_dbt_profiles(drift):
    assert cell(drift.project_settings, "value", key="retry_config.retries") == {"dev": "1", "staging": "1", "prod": "2"}
    assert cell(drift.project_settings, "value", path="settings.yaml", key="projects.hub.path")["prod"] == "absent"
    reqs = drift.requirements
    assert cell(reqs, "spec", package="pandas") == {"dev": "==2.2.1", "staging": "==2.2.1", "prod": "==2.1.0"}
    assert cell(reqs, "spec", package="boto3") == {"dev": "absent", "staging": "absent", "prod": "==1.34.0"}
    dbt = drift.dbt_profiles
    assert cell(dbt, "value_kind", target="staging", key="host") == {"dev": "env_var", "staging": "env_var", "prod": "absent"}


def test_promotion_state(drift):
    steps = drift.promotion.set_index("to_env")
    assert (steps.loc["staging", "waiting"], steps.loc["staging", "bypassed"]) == (2, 0)
    assert (steps.loc["prod", "waiting"], steps.loc["prod", "bypassed"]) == (2, 3)
    commits = drift.promotion_commits
    hotfixes = set(commits[(commits["to_env"] == "prod") & (commits["category"] == "bypassed")]["subject"])
    assert hotfixes == {"fix: hotfix export pipeline", "fix: more retries for customers", "fix: prod db password"}
    waiting = set(commits[(commits["to_env"] == "staging") & (commits["category"] == "waiting")]["subject"])
    assert waiting == {"feat: marketing attribution pipeline", "refactor: rename legacy_report, dedupe orders"}
    assert "hub/pipelines/hotfix_export/metadata.yaml" in set(drift.bypassed_files["path"])
    kinds = drift.timeline.groupby("env")["kind"].apply(set)
    assert "promotion from dev" in kinds["staging"] and "direct commit" in kinds["prod"]


EXPECTED = {
    ("MAGE-DEP-101", "hotfix_export", "high"),
    ("MAGE-DEP-102", "customers_sync", "medium"),
    ("MAGE-DEP-102", None, "medium"),                     # project retry_config
    ("MAGE-DEP-103", None, "high"),
    ("MAGE-DEP-104", None, "medium"),
    ("MAGE-DEP-105", None, "medium"),
    ("MAGE-DEP-106", "finance_report", "medium"),
    ("MAGE-DEP-106", "legacy_report", "medium"),
    ("MAGE-DEP-106", "hotfix_export", "medium"),
}


def _found(findings: pd.DataFrame) -> set:
    return {(r["rule_id"], r["pipeline"] if isinstance(r["pipeline"], str) else None, r["severity"])
            for r in findings.to_dict("records")}


def test_findings_of_the_three_branches(drift):
    assert _found(drift.findings) == EXPECTED
    text = drift.findings.to_json()
    assert LITERAL_PASSWORD not in text
    assert drift.input_problems.empty


def test_a_subfolder_of_the_work_tree_is_compared_on_its_own(repo, drift):
    sub = run_drift(repo / "hub", ENVS)
    assert _found(sub.findings) == _found(drift.findings)
    assert set(sub.code["path"]) == {p.removeprefix("hub/") for p in drift.code["path"]}
    assert "pipelines/hotfix_export/metadata.yaml" in set(sub.bypassed_files["path"])


def test_two_folders(repo, tmp_path):
    staging = export_branch(repo, "staging", tmp_path / "staging")
    prod = export_branch(repo, "main", tmp_path / "prod")
    folders = run_drift(prod, [f"staging={staging}", f"prod={prod}"])
    assert set(folders.envs["kind"]) == {"folder"} and folders.envs["commit"].isna().all()
    assert folders.promotion["status"].tolist() == ["not compared: a folder has no commit history"]
    found = _found(folders.findings)
    # Without a commit graph a difference alone is reported: old_cleanup (retired on staging)
    # and orders_daily (staging ahead) too.
    assert ("MAGE-DEP-101", "old_cleanup", "medium") in found and ("MAGE-DEP-101", "hotfix_export", "high") in found
    assert ("MAGE-DEP-102", "orders_daily", "medium") in found and ("MAGE-DEP-103", None, "high") in found
    assert ("MAGE-DEP-105", None, "low") in found
    assert not {f for f in found if f[0] == "MAGE-DEP-104"}
    git_code = run_drift(repo, ["staging=staging", "prod=main"]).code
    assert folders.code[["path", "change", "lines_added", "lines_removed"]].equals(
        git_code[["path", "change", "lines_added", "lines_removed"]])


def test_a_folder_and_a_ref_compare_file_by_file(repo, tmp_path):
    prod = export_branch(repo, "main", tmp_path / "prod")
    mixed = run_drift(repo, ["staging=staging", f"prod=dir:{prod}"])
    both_git = run_drift(repo, ["staging=staging", "prod=main"])
    assert mixed.envs["kind"].tolist() == ["git", "folder"]
    assert mixed.pipelines.equals(both_git.pipelines)
    assert mixed.io_config.equals(both_git.io_config)


def test_identical_environments_differ_in_nothing(repo):
    same = run_drift(repo, ["a=main", "prod=main"])
    assert set(same.pipelines[same.pipelines["env"] == "a"]["state"]) == {"same"}
    for name in ("renames", "pipeline_settings", "blocks", "code", "triggers", "io_config", "project_settings",
                 "requirements", "dbt_profiles", "promotion_commits", "bypassed_files"):
        assert getattr(same, name).empty, name
    assert set(same.findings["rule_id"]) == {"MAGE-DEP-106"}      # the rejected trigger is dead in both
    assert same.promotion[["waiting", "bypassed"]].values.tolist() == [[0, 0]]


def test_a_folder_without_a_project_in_any_environment_is_not_a_mage_repo(repo):
    from auditkit.readers.repo import NotAMageRepo

    with pytest.raises(NotAMageRepo):
        run_drift(repo / "hub" / "dbt", ["a=staging", "prod=main"])
