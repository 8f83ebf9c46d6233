"""The pages built straight from the audit: explorer and pipeline data, the remediation plan,
section openings, trends across a folder of audits, and the history label."""
from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from auditkit.model import Finding, findings_frame
from auditkit.report import pages
from auditkit.report.trend import compare, report_sets, trend_figures
from inventory_factory import make_inventory


def _finding(rule_id, severity, pipeline=None, path=None, category="pipelines", **extra):
    return Finding(rule_id=rule_id, severity=severity, category=category, message=f"{rule_id} at {pipeline or path}",
                   fingerprint=f"{rule_id}-{pipeline}-{path}", project="hub", pipeline=pipeline, path=path, **extra)


def _audit(findings, inventory=None, history=None):
    return SimpleNamespace(findings=findings_frame(findings), inventory=inventory or make_inventory(),
                           history=history, summary={}, thresholds={}, repo_root="/somewhere/acme")


def test_remediation_plan_ranks_by_severity_times_reach():
    findings = [_finding("MAGE-PIP-008", "high", pipeline="a")]                       # 8 x 1
    findings += [_finding("MAGE-PIP-005", "medium", pipeline=p) for p in "abc"]        # 4 x 3
    findings += [_finding("MAGE-BLK-001", "medium", path=f"x{i}.py", category="blocks") for i in range(2)]  # 4 x 2
    findings += [_finding("MAGE-PIP-006", "low", pipeline="a", waived=True)]           # waived: no action
    plan = pages.remediation_plan(_audit(findings))
    assert [a["rule_id"] for a in plan] == ["MAGE-PIP-005", "MAGE-PIP-008", "MAGE-BLK-001"]
    first = plan[0]
    assert first["reach"] == 3 and first["places"] == ["a", "b", "c"] and first["score"] == 12
    assert first["fix"] and "Why" not in first["fix"]                   # the rule's Fix section
    assert plan[2]["places"] == ["x0.py", "x1.py"]
    assert first["links"] == [f"pipelines.html#p=hub/{p}" for p in "abc"]


def test_a_place_named_only_in_a_findings_pipelines_list_links_to_its_page():
    shared = _finding("MAGE-REL-004", "medium", path="exporters/shared.py", category="reliability", pipelines=["b"])
    plan = pages.remediation_plan(_audit([shared, _finding("MAGE-REL-004", "medium", pipeline="a", category="reliability")]))
    links = dict(zip(plan[0]["places"], plan[0]["links"]))
    assert links == {"a": "pipelines.html#p=hub/a", "b": "pipelines.html#p=hub/b"}


def test_findings_data_has_every_finding_its_rule_text_and_new_flags():
    findings = [_finding("MAGE-PIP-008", "high", pipeline="a", line=3), _finding("MAGE-PIP-005", "medium", pipeline="b")]
    audit = _audit(findings)
    new = {findings[1].fingerprint}
    data = pages.findings_data(audit, new)
    rows = [dict(zip(data["fields"], r)) for r in data["findings"]]
    assert [(r["rule"], r["line"], r["new"]) for r in rows] == [("MAGE-PIP-008", 3, 0), ("MAGE-PIP-005", None, 1)]
    assert data["has_previous"] and data["rules"]["MAGE-PIP-008"]["why"] and data["rules"]["MAGE-PIP-008"]["fix"]
    assert not pages.findings_data(audit)["has_previous"]


def test_pipeline_data_draws_the_dag_from_edges(tmp_path):
    inv = make_inventory(
        pipelines=[{"project": "hub", "pipeline": "sales_daily", "pipeline_type": "python", "depth": 2, "max_width": 2}],
        blocks=[{"project": "hub", "pipeline": "sales_daily", "block": b, "block_type": t, "path": f"hub/{b}.py"}
                for b, t in (("load", "data_loader"), ("clean", "transformer"), ("save", "data_exporter"))],
        block_files=[{"project": "hub", "path": "hub/load.py", "lines_code": 40}],
        edges=[{"project": "hub", "pipeline": "sales_daily", "upstream": "load", "downstream": "clean"},
               {"project": "hub", "pipeline": "sales_daily", "upstream": "clean", "downstream": "save"},
               {"project": "hub", "pipeline": "sales_daily", "upstream": "gone", "downstream": "save"}])
    data = pages.pipelines_data(_audit([], inv))
    (p,) = data["pipelines"]
    assert [b[0] for b in p["blocks"]] == ["load", "clean", "save"]
    assert p["blocks"][0][2] == 40 and p["blocks"][1][2] is None
    assert p["edges"] == [[0, 1], [1, 2]]                   # the dangling edge has no block to draw
    assert p["runs"] is None and not data["has_history"]
    pages.write_data(tmp_path / "d.js", "AK_X", data)
    assert pages.read_data(tmp_path / "d.js") == json.loads(json.dumps(data))


def _report(folder: Path, when: str, fingerprints: list[str], bands: dict | None = None, failure: float = 0.1):
    folder.mkdir(parents=True)
    summary = {"generated_at": when, "findings": {"by_severity": {"high": len(fingerprints)}},
               "key_figures": {"failure_rate": failure, "block_size_bands": bands or {"ideal 50-200": 3}}}
    (folder / "summary.json").write_text(json.dumps(summary))
    rows = [{"fingerprint": f, "rule_id": "MAGE-PIP-005", "severity": "high", "waived": False} for f in fingerprints]
    (folder / "findings.json").write_text(json.dumps({"findings": rows}))
    return summary


def test_previous_may_be_a_folder_of_report_sets(tmp_path):
    reports = tmp_path / "reports"
    _report(reports / "2026-Q2", "2026-06-30T00:00:00", ["a", "b", "c"], failure=0.2)
    _report(reports / "2026-Q1", "2026-03-31T00:00:00", ["a", "b", "c", "d"], failure=0.3)
    _report(reports / "2026-Q3", "2026-09-30T00:00:00", ["a", "b"], {"ideal 50-200": 5, "over 500": 1}, 0.15)
    assert [p.name for p in report_sets(reports)] == ["2026-Q1", "2026-Q2", "2026-Q3"]
    current = {"generated_at": "2026-12-31T00:00:00", "findings": {"by_severity": {"high": 2}},
               "key_figures": {"failure_rate": 0.05, "block_size_bands": {"ideal 50-200": 6}}}
    now = pd.DataFrame([{"fingerprint": f, "rule_id": "MAGE-PIP-005", "severity": "high", "waived": False}
                        for f in ("a", "e")])
    trend = compare(reports, current, now, current=reports / "2026-Q4")
    assert trend.previous.name == "2026-Q3"                          # the newest earlier audit
    assert trend.new == {"e"}
    assert list(trend.history["report"]) == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    assert list(trend.history["failure_rate"]) == [0.3, 0.2, 0.15, 0.05]
    titles = [f.layout.title.text for f in trend_figures(trend.history)]
    assert "Findings by severity across audits" in titles and "Block files by size band across audits" in titles
    # The report being written inside the folder is not its own previous audit.
    _report(reports / "2026-Q4", "2026-12-31T00:00:00", ["a", "e"])
    assert compare(reports, current, now, current=reports / "2026-Q4" / "_audit").previous.name == "2026-Q3"
    assert compare(tmp_path / "nothing-here", current, now) is None


@pytest.fixture(scope="module")
def demo_audit(tmp_path_factory):
    from auditkit.audit import run_audit
    from auditkit.demo.workspace import prepare_demo

    repo, mage_data = prepare_demo(tmp_path_factory.mktemp("pages") / "demo")
    return run_audit(repo, mage_data=mage_data)


@pytest.mark.slow
def test_section_openings_state_what_was_found_from_the_data(demo_audit):
    from auditkit.analytics import concurrency as C
    from auditkit.report.openings import OPENINGS, opening_for

    for slug in OPENINGS:
        if slug == "90_drift":
            continue                 # opens on a drift comparison: test_drift_opening_states_the_comparison
        text = repr(opening_for(slug, demo_audit))
        sentences = [s for s in text.split("\n") if s.strip()]
        assert 1 <= len(sentences) <= 4 and "could not be written" not in text, (slug, text)
    overview = C.concurrency_overview(demo_audit.history, demo_audit.inventory)
    over = overview[overview["over_limit"].fillna(False).astype(bool)]
    worst = over.loc[(over["peak_pipeline_runs"] - over["effective_run_limit"]).idxmax()]
    text = repr(opening_for("30_concurrency", demo_audit))
    assert f"{len(over)} of {len(overview)} pipelines ran more runs at once than their limit" in text
    assert f"worst: {worst['pipeline']}, {int(worst['peak_pipeline_runs'])} against " \
           f"{int(worst['effective_run_limit'])}" in text


@pytest.mark.slow
def test_history_is_named_by_its_label_never_a_machine_path(demo_audit):
    from auditkit.report.section import history_label, history_view

    label = history_label(demo_audit.history)
    assert label == "analytics_hub/mage-ai.db"
    assert "/" + label not in repr(history_view(demo_audit)).replace(" " + label, "")
    assert str(Path(demo_audit.history.label).parent.parent) not in repr(history_view(demo_audit))


def test_drift_opening_states_the_comparison():
    from auditkit.drift.result import drift_summary
    from auditkit.report.openings import opening_for
    from rule_cases_drift import make_drift

    result = make_drift()
    result.summary = drift_summary(result)
    text = repr(opening_for("90_drift", result))
    assert "could not be written" not in text
    assert f"production is {result.production}" in text
    assert all(env in text for env in result.env_names)
