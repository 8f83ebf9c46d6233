"""findings.json / .csv / .sarif writers, the baseline, and summary.json's findings object."""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pandas as pd
import pytest

from auditkit.audit import Audit, build_summary
from auditkit.model import FINDING_COLUMNS, Finding, findings_frame
from auditkit.outputs.baseline import BaselineError, load_baseline, mark_new
from auditkit.outputs.findings import (
    FINGERPRINT_KEY, findings_document, findings_summary, sarif_document, write_findings,
)
from inventory_factory import make_inventory

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())


def sample() -> pd.DataFrame:
    return findings_frame([
        Finding("MAGE-BLK-001", "high", "blocks", "block file has 640 lines", "aaaa000011112222",
                project="proj", block="load_x", path="proj/data_loaders/load_x.py", line=None),
        Finding("MAGE-BLK-005", "low", "blocks", "2 hard-coded dates", "bbbb000011112222",
                project="proj", path="proj/transformers/t.py", line=12, evidence="hardcoded_dates at lines 12",
                waived=True, waiver_reason="legacy, rewrite in Q3", waiver_expires="2030-01-01"),
        Finding("MAGE-PIP-004", "low", "pipelines", "tag 'sales' is spelled 2 ways", "cccc000011112222",
                project="proj"),
        Finding("MAGE-SEC-001", "critical", "security", "literal password in io_config", "dddd000011112222",
                project="proj", path="proj/io_config.yaml", line=7),
    ])


def test_sarif_is_valid_against_the_official_schema():
    jsonschema.validate(sarif_document(sample()), SCHEMA)


def test_empty_sarif_is_valid_too():
    jsonschema.validate(sarif_document(sample().iloc[0:0]), SCHEMA)


def test_sarif_results_carry_levels_locations_fingerprints_and_suppressions():
    run = sarif_document(sample())["runs"][0]
    results = {r["ruleId"]: r for r in run["results"]}
    assert [results[r]["level"] for r in ("MAGE-BLK-001", "MAGE-BLK-005", "MAGE-SEC-001")] == ["error", "note", "error"]
    loc = results["MAGE-BLK-005"]["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "proj/transformers/t.py" and loc["region"] == {"startLine": 12}
    assert "region" not in results["MAGE-BLK-001"]["locations"][0]["physicalLocation"]
    assert "locations" not in results["MAGE-PIP-004"]
    located = sarif_document(sample(), fallback_paths={"proj": "proj/metadata.yaml"})["runs"][0]["results"]
    pip4 = next(r for r in located if r["ruleId"] == "MAGE-PIP-004")
    assert pip4["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "proj/metadata.yaml"
    assert next(r for r in located if r["ruleId"] == "MAGE-BLK-005")["locations"][0]["physicalLocation"][
        "artifactLocation"]["uri"] == "proj/transformers/t.py"
    assert results["MAGE-BLK-001"]["partialFingerprints"] == {FINGERPRINT_KEY: "aaaa000011112222"}
    assert results["MAGE-BLK-005"]["suppressions"] == [
        {"kind": "external", "justification": "legacy, rewrite in Q3", "properties": {"expires": "2030-01-01"}}]
    assert "suppressions" not in results["MAGE-BLK-001"]


def test_sarif_rule_metadata_comes_from_the_catalogue():
    run = sarif_document(sample())["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    blk1 = next(r for r in rules if r["id"] == "MAGE-BLK-001")
    assert blk1["name"] == "block-too-large"
    assert blk1["defaultConfiguration"]["level"] == "error"
    assert blk1["properties"] == {"category": "blocks", "severity": "high", "tags": ["blocks"]}
    assert "Why it matters" in blk1["help"]["markdown"]
    for result in run["results"]:
        if "ruleIndex" in result:
            assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_json_document_shape_and_summary():
    doc = findings_document(sample(), repo="/r", generated_at="2026-01-01T00:00:00+00:00")
    assert doc["tool"]["name"] == "auditkit" and doc["repo"] == "/r"
    assert [f["rule_id"] for f in doc["findings"]] == ["MAGE-BLK-001", "MAGE-BLK-005", "MAGE-PIP-004", "MAGE-SEC-001"]
    assert doc["findings"][0]["line"] is None and doc["findings"][1]["line"] == 12
    assert doc["summary"]["total"] == 3 and doc["summary"]["waived"] == 1
    assert doc["summary"]["by_severity"] == {"info": 0, "low": 1, "medium": 0, "high": 1, "critical": 1}
    assert doc["summary"]["by_category"] == {"blocks": 1, "pipelines": 1, "security": 1}
    json.dumps(doc)     # JSON-ready: no numpy or NaN values left


def test_write_findings_writes_each_format(tmp_path):
    written = write_findings(sample(), tmp_path / "out", ["json", "csv", "sarif"], repo="/r")
    assert sorted(p.name for p in written.values()) == ["findings.csv", "findings.json", "findings.sarif"]
    csv = pd.read_csv(written["csv"])
    assert list(csv.columns) == FINDING_COLUMNS and len(csv) == 4
    assert json.loads(written["json"].read_text())["summary"]["total"] == 3
    jsonschema.validate(json.loads(written["sarif"].read_text()), SCHEMA)


def test_findings_json_is_one_finding_per_line(tmp_path):
    """findings.json parses to findings_document and holds each finding on a line of its own
    (diffable between audits)."""
    written = write_findings(sample(), tmp_path, ["json"], repo="/r")["json"]
    text = written.read_text()
    doc = json.loads(text)
    assert doc["findings"] == json.loads(json.dumps(findings_document(sample(), repo="/r")["findings"]))
    lines = text.splitlines()
    for finding in doc["findings"]:
        marker = '"' + finding["fingerprint"] + '"'
        matching = [line for line in lines if marker in line]
        assert len(matching) == 1
        assert json.loads(matching[0].strip().rstrip(",")) == finding


def test_baseline_round_trip_marks_only_unknown_fingerprints_new(tmp_path):
    path = write_findings(sample().iloc[:2], tmp_path, ["json"], repo="/r")["json"]
    known = load_baseline(path)
    assert known == {"aaaa000011112222", "bbbb000011112222"}
    marked = mark_new(sample(), known)
    assert marked["new"].tolist() == [False, False, True, True]


@pytest.mark.parametrize("content,match", [
    (None, "not found"), ("{not json", "not readable JSON"), ('{"x": 1}', "no 'findings' list"),
    ('{"findings": [{"rule_id": "a"}]}', r"findings\[0\] has no fingerprint"),
])
def test_bad_baselines_raise_baseline_error(tmp_path, content, match):
    path = tmp_path / "baseline.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(BaselineError, match=match):
        load_baseline(path)


def test_build_summary_counts_unwaived_findings_by_severity_category_and_rule():
    """summary.json's `findings` (audit.build_summary) agrees with findings.json's summary."""
    audit = Audit(repo_root="/r", inventory=make_inventory(), findings=sample(),
                  input_problems=pd.DataFrame(columns=["path", "kind", "reason", "project"]), summary={})
    summary = build_summary(audit, {})["findings"]
    assert summary == findings_summary(sample())
    assert summary["by_rule"] == {"MAGE-BLK-001": 1, "MAGE-PIP-004": 1, "MAGE-SEC-001": 1}
    assert summary["by_severity"]["low"] == 1      # the waived low finding is not counted
