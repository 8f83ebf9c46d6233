"""Every column of every public frame is documented (auditkit/columns/), documented columns still
exist, public frames speak one vocabulary, and docs/columns.md is generated from the registry."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import auditkit
from auditkit.analytics import backfills as BF
from auditkit.analytics import blocks as B
from auditkit.analytics import concurrency as C
from auditkit.analytics import retries as R
from auditkit.analytics import runs as RH
from auditkit.analytics import schedule_sync as SS
from auditkit.analytics import upkeep as UK
from auditkit.columns import FRAMES, compare, render_markdown
from auditkit.columns.frames import frame
from auditkit.limits import Limits
from auditkit.plots import pipelines as PP

ROOT = Path(__file__).resolve().parents[1]



def _attribute(owner: str, name: str):
    return lambda audit: getattr(getattr(audit, owner), name)


# How each documented frame is built from an audit (the demo's, in these tests).
BUILD = {
    **{f"audit.inventory.{n}": _attribute("inventory", n) for n in (
        "projects", "io_config", "pipelines", "blocks", "block_files", "code_facts", "edges", "triggers",
        "input_problems")},
    "audit.input_problems": lambda a: a.input_problems,
    "audit.findings": lambda a: a.findings,
    **{f"audit.git.{n}": _attribute("git", n) for n in ("commits", "branches", "tags")},
    "audit.history.runs": lambda a: a.history.runs,
    "audit.history.block_runs()": lambda a: a.history.block_runs(),
    "audit.history.pipeline_run_counts()": lambda a: a.history.pipeline_run_counts(),
    "audit.history.block_run_stats()": lambda a: a.history.block_run_stats(),
    "audit.history.schedules()": lambda a: a.history.schedules(),
    "audit.history.data_checks()": lambda a: a.history.data_checks(),
    "concurrency.configured_limits(inv, history)": lambda a: C.configured_limits(a.inventory, a.history),
    "concurrency.concurrency_overview(history, inv)": lambda a: C.concurrency_overview(a.history, a.inventory),
    "concurrency.observed_peaks(history, level)": lambda a: C.observed_peaks(a.history, "block"),
    "concurrency.concurrency_timeline(history)": lambda a: C.concurrency_timeline(a.history),
    "concurrency.backfill_limits(history)": lambda a: C.backfill_limits(a.history),
    "retries.effective_retry_config(inv)": lambda a: R.effective_retry_config(a.inventory),
    "retries.block_outcomes(history)": lambda a: R.block_outcomes(a.history),
    "retries.observed_retries(history)": lambda a: R.observed_retries(a.history),
    "retries.retry_overview(history, inv)": lambda a: R.retry_overview(a.history, a.inventory),
    "retries.flaky_blocks(history, inv)": lambda a: R.flaky_blocks(a.history, a.inventory),
    "retries.retried_pipeline_runs(history)": lambda a: R.retried_pipeline_runs(a.history),
    "backfills.backfill_inventory(history)": lambda a: BF.backfill_inventory(a.history),
    "backfills.backfill_gaps(history)": lambda a: BF.backfill_gaps(a.history),
    "runs.run_health(history)": lambda a: RH.run_health(a.history),
    "runs.run_outcomes(history, period)": lambda a: RH.run_outcomes(a.history, "week"),
    "runs.duration_stats(history)": lambda a: RH.duration_stats(a.history),
    "runs.duration_trend(history, period)": lambda a: RH.duration_trend(a.history, "week"),
    "runs.queue_wait(history)": lambda a: RH.queue_wait(a.history),
    "runs.sla_misses(history)": lambda a: RH.sla_misses(a.history),
    "runs.skipped_runs(history)": lambda a: RH.skipped_runs(a.history),
    "runs.expected_vs_actual(history)": lambda a: RH.expected_vs_actual(a.history),
    "schedule_sync.trigger_drift(history, inv, env)": lambda a: SS.trigger_drift(a.history, a.inventory),
    "schedule_sync.settings_drift(history, inv, env)": lambda a: SS.settings_drift(a.history, a.inventory),
    "upkeep.hung_runs(history, inv)": lambda a: UK.hung_runs(a.history, a.inventory),
    "upkeep.scheduler_stalls(history)": lambda a: UK.scheduler_stalls(a.history),
    "upkeep.retention_settings(inv)": lambda a: UK.retention_settings(a.inventory),
    "upkeep.history_volume(history)['tables']": lambda a: UK.history_volume(a.history)["tables"],
    "upkeep.history_volume(history)['months']": lambda a: UK.history_volume(a.history)["months"],
    "blocks.largest_blocks(block_files, n)": lambda a: B.largest_blocks(a.inventory.block_files, 15),
    "blocks.sizes_by_type(block_files, limits)": lambda a: B.sizes_by_type(a.inventory.block_files, Limits()),
    "blocks.coverage_by_type(block_files)": lambda a: B.coverage_by_type(a.inventory.block_files),
    "blocks.naming_by_type(block_files)": lambda a: B.naming_by_type(a.inventory.block_files),
    "blocks.naming_violations(block_files)": lambda a: B.naming_violations(a.inventory.block_files),
    "blocks.subfolder_depths(block_files)": lambda a: B.subfolder_depths(a.inventory.block_files),
    "blocks.block_sizes_by_pipeline(blocks, block_files)":
        lambda a: B.block_sizes_by_pipeline(a.inventory.blocks, a.inventory.block_files),
    "blocks.blocks_per_pipeline(pipelines)": lambda a: B.blocks_per_pipeline(a.inventory.pipelines),
    "blocks.size_band_counts(block_files, limits)": lambda a: B.size_band_counts(a.inventory.block_files, Limits()),
    "plots.pipelines.pipeline_structure(pipelines, findings, limits)":
        lambda a: PP.pipeline_structure(a.inventory.pipelines, a.findings, Limits()),
    **{f"audit.security.{n}": _attribute("security", n) for n in (
        "secrets", "code_risks", "server_settings", "deployments", "accounts", "api_triggers", "stored_secrets",
        "exposed_files")},
}
DRIFT_FRAMES = ("envs", "pipelines", "renames", "pipeline_settings", "blocks", "code", "triggers", "trigger_reach",
                "io_config", "project_settings", "requirements", "dbt_profiles", "promotion", "promotion_commits",
                "bypassed_files", "timeline", "history", "findings", "input_problems")
# Names that the one vocabulary replaces (docs/columns.md); only raw frames may keep them.
RETIRED = {"pipeline_uuid", "uuid", "block_uuid", "block_run", "type", "id"}


@pytest.fixture(scope="module")
def demo():
    audit = auditkit.open_audit("")
    assert audit.history is not None and audit.history.available and audit.git is not None
    return audit


@pytest.fixture(scope="module")
def built(demo):
    from auditkit.drift.run import open_drift

    drift = open_drift("")      # the demo's development and main branches
    frames = {name: build(demo) for name, build in BUILD.items()}
    return {**frames, **{f"drift.{name}": getattr(drift, name) for name in DRIFT_FRAMES}}


def test_every_documented_frame_is_built_by_this_test():
    assert sorted([*BUILD, *(f"drift.{n}" for n in DRIFT_FRAMES)]) == sorted(f.name for f in FRAMES)


def test_every_column_of_the_demo_frames_is_documented_and_every_documented_column_exists(built):
    problems = [p for name, data in built.items() for p in compare(name, data.columns)]
    assert problems == []
    assert sum(len(data) > 0 for data in built.values()) >= 55     # the check ran on real rows


def test_public_frames_speak_one_vocabulary(built):
    raw = {f.name for f in FRAMES if f.raw}
    clashes = {name: sorted(RETIRED & set(data.columns)) for name, data in built.items() if name not in raw}
    assert {k: v for k, v in clashes.items() if v} == {}
    # the same thing has the same name: pipeline and block columns hold pipeline and block uuids
    known_pipelines = set(built["audit.inventory.pipelines"]["pipeline"])
    for name in ("runs.run_health(history)", "retries.retry_overview(history, inv)", "audit.history.runs"):
        assert set(built[name]["pipeline"].dropna()) <= known_pipelines | set(built["audit.history.runs"]["pipeline"])
    blocks = built["audit.inventory.blocks"][["project", "path", "block"]]
    files = built["audit.inventory.block_files"][["project", "path", "block"]]
    joined = blocks.merge(files, on=["project", "path"], suffixes=("_entry", "_file"))
    assert len(joined) > 0 and (joined["block_entry"].str.rsplit("/", n=1).str[-1]
                                == joined["block_file"].str.rsplit("/", n=1).str[-1]).mean() > 0.9


def test_findings_name_what_they_point_at(demo):
    """Rule messages read the renamed columns: no finding names a block or file 'None'."""
    messages = demo.findings["message"]
    assert len(messages) > 50 and not messages.str.contains("'None'|None:", regex=True).any()


def test_an_undocumented_or_vanished_column_is_reported():
    problems = compare("audit.inventory.edges", ["project", "pipeline", "upstream", "downstream", "weight"])
    assert [(p.column, p.problem) for p in problems] == [("weight", "undocumented"), ("dangling", "documented but gone")]
    assert compare("blocks.sizes_by_type(block_files, limits)",
                   ["block_type", "files", "median", "p90", "max", "over_300"]) == []
    with pytest.raises(KeyError):
        frame("x", "analytics", "row", "project mystery_column")


def test_docs_columns_md_is_generated_from_the_registry():
    assert (ROOT / "docs" / "columns.md").read_text(encoding="utf-8") == render_markdown(), \
        "docs/columns.md is stale: run `make docs`"


def test_cli_prints_the_columns(capsys):
    from auditkit.cli import main

    assert main(["columns", "--format", "md"]) == 0
    assert capsys.readouterr().out == render_markdown()


def test_documented_dtypes_of_key_columns_hold(built):
    findings = built["audit.findings"]
    assert isinstance(findings["severity"].dtype, pd.CategoricalDtype) and str(findings["line"].dtype) == "Int64"
    assert str(built["audit.inventory.code_facts"]["first_line"].dtype) == "Int64"
    created = built["audit.history.runs"]["created_at"].dtype
    assert isinstance(created, pd.DatetimeTZDtype) and str(created.tz) == "UTC"
