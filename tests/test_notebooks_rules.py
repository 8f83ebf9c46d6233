"""Papermill runs of 00_summary and 20_pipelines on the demo audit, plus unit tests of the
findings and pipelines plot helpers they call."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from auditkit.model import Finding, findings_frame
from auditkit.plots import findings as F
from auditkit.plots import pipelines as P
from inventory_factory import make_inventory

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


@pytest.fixture(scope="module")
def demo_cache(tmp_path_factory):
    from auditkit.audit import run_audit
    from auditkit.demo.workspace import prepare_demo

    base = tmp_path_factory.mktemp("rules_nb")
    repo, mage_data = prepare_demo(base / "demo")
    audit = run_audit(repo, mage_data=mage_data)
    audit.save(base / "cache")
    return base / "cache", audit


def _execute(name: str, cache: Path, out: Path):
    import nbformat
    import papermill as pm

    executed = out / f"{name}.ipynb"
    pm.execute_notebook(str(NOTEBOOKS / f"{name}.ipynb"), str(executed), kernel_name="python3",
                        parameters={"audit_cache": str(cache), "out": str(out / "csv")}, progress_bar=False)
    return nbformat.read(str(executed), as_version=4)


def _outputs_text(nb) -> str:
    parts = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            parts.append(data.get("text/plain", "") if isinstance(data.get("text/plain"), str) else "")
            parts.append(json.dumps(data.get("application/vnd.plotly.v1+json", "")))
    return "\n".join(parts)


@pytest.mark.slow
def test_summary_notebook_shows_scorecard_severities_and_top_findings(demo_cache, tmp_path):
    cache, audit = demo_cache
    nb = _execute("00_summary", cache, tmp_path)
    text = _outputs_text(nb)
    assert "Findings by category" in text and "Unwaived findings by severity" in text
    top_rule = F.top_findings(audit.findings, 1)["rule_id"].iloc[0]
    assert top_rule in text
    card = pd.read_csv(tmp_path / "csv" / "scorecard.csv")
    assert card.set_index("category")["total"].to_dict() == \
        {c: audit.summary["findings"]["by_category"].get(c, 0) for c in card["category"]}


@pytest.mark.slow
def test_pipelines_notebook_shows_structure_and_pipeline_findings(demo_cache, tmp_path):
    cache, audit = demo_cache
    nb = _execute("20_pipelines", cache, tmp_path)
    text = _outputs_text(nb)
    assert "Pipeline shape: depth and parallel branches" in text and "Tags in use" in text
    extract = pd.read_csv(tmp_path / "csv" / "pipelines.csv")
    assert sorted(extract["pipeline"]) == sorted(audit.inventory.pipelines["pipeline"])
    pipeline_rules = set(audit.findings[audit.findings["category"] == "pipelines"]["rule_id"])
    assert pipeline_rules and all(r in text for r in pipeline_rules)


def _findings():
    return findings_frame([
        Finding("MAGE-BLK-001", "high", "blocks", "big", "f1", path="a.py"),
        Finding("MAGE-BLK-002", "low", "blocks", "biggish", "f2", path="b.py"),
        Finding("MAGE-PIP-005", "medium", "pipelines", "many blocks", "f3", project="proj", pipeline="p1"),
        Finding("MAGE-PIP-001", "low", "pipelines", "name", "f4", project="proj", pipeline="p2",
                waived=True, waiver_reason="legacy", waiver_expires="2026-06-11"),
        Finding("MAGE-DOC-001", "low", "documentation", "doc", "f5", path="c.py"),
    ])


def test_scorecard_counts_unwaived_and_sets_status():
    card = F.scorecard(_findings()).set_index("category")
    assert card.loc["blocks", ["high", "low", "total", "points", "status"]].tolist() == [1, 1, 2, 6, "fail"]
    assert card.loc["pipelines", ["medium", "low", "waived", "status"]].tolist() == [1, 0, 1, "warn"]
    assert card.loc["documentation", "status"] == "pass" and card.loc["security", "total"] == 0


def test_severity_counts_top_and_waived_tables():
    counts = F.severity_counts(_findings()).set_index("severity")
    assert counts["findings"].to_dict() == {"critical": 0, "high": 1, "medium": 1, "low": 2, "info": 0}
    assert counts.loc["low", "waived"] == 1
    assert F.top_findings(_findings(), 2)["rule_id"].tolist() == ["MAGE-BLK-001", "MAGE-PIP-005"]
    waived = F.waived_findings(_findings(), today=dt.date(2026, 6, 1))
    assert waived[["rule_id", "waiver_reason", "days_left"]].values.tolist() == [["MAGE-PIP-001", "legacy", 10]]


def test_empty_findings_give_empty_tables_and_figures():
    empty = findings_frame([])
    assert F.scorecard(empty)["total"].sum() == 0
    assert F.top_findings(empty).empty and F.waived_findings(empty).empty
    F.scorecard_figure(empty)
    F.severity_figure(empty)


def test_pipeline_structure_marks_limits_naming_and_tags_from_findings():
    inv = make_inventory(pipelines=[
        {"pipeline": "p1", "n_blocks": 35, "depth": 3, "max_width": 2, "tags": ["x"]},
        {"pipeline": "p2", "n_blocks": 12, "depth": 4, "max_width": 3, "tags": ["Bad Tag"]},
        {"pipeline": "p3", "n_blocks": 12, "depth": 9, "max_width": 3, "executor_type": "k8s"},
    ])
    findings = findings_frame([
        Finding("MAGE-PIP-001", "low", "pipelines", "name", "a", project="proj", pipeline="p2"),
        Finding("MAGE-PIP-003", "low", "pipelines", "tag", "b", project="proj", pipeline="p2"),
    ])
    s = P.pipeline_structure(inv.pipelines, findings).set_index("pipeline")
    assert s["within_limits"].to_dict() == {"p1": False, "p2": True, "p3": False}
    assert s["naming_ok"].to_dict() == {"p1": True, "p2": False, "p3": True}
    assert s["tags_ok"].to_dict() == {"p1": True, "p2": False, "p3": True}
    assert s["findings"].to_dict() == {"p1": 0, "p2": 2, "p3": 0}
    assert s.loc["p3", "executor_type"] == "k8s" and s.loc["p1", "executor_type"] == P.DEFAULT_EXECUTOR


def test_tag_usage_and_executor_counts():
    inv = make_inventory(pipelines=[
        {"pipeline": "a", "tags": ["sales", "Sales"], "run_pipeline_in_one_process": True},
        {"pipeline": "b", "tags": ["sales"]},
    ])
    usage = P.tag_usage(inv.pipelines).set_index("tag")
    assert usage.loc["sales", "pipelines"] == 2 and not usage.loc["Sales", "format_ok"]
    execs = P.executor_counts(inv.pipelines)
    assert sorted(execs["one_process"]) == ["not set", "true"]
