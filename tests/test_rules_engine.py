"""The rule engine: enabled rules, severities, needs, errors, globs and waivers."""
from __future__ import annotations

import datetime as dt

from auditkit.config import parse_config
from auditkit.engine.base import REGISTRY, Rule, RuleContext
from auditkit.engine.run import run_rules
from inventory_factory import make_inventory

TODAY = dt.date(2026, 6, 1)
BIG = [{"path": "proj/data_loaders/load_a.py", "block_type": "data_loader", "lines_code": 800},
       {"path": "proj/legacy/data_loaders/load_b.py", "block_type": "data_loader", "lines_code": 900}]


def run(cfg=None, rules=("MAGE-BLK-001",), inventory=None, **ctx):
    ctx = RuleContext(inventory=inventory or make_inventory(block_files=BIG), **ctx)
    cfg = parse_config(cfg or {})
    ctx.thresholds = cfg.thresholds
    return run_rules(ctx, cfg, today=TODAY, rules=[REGISTRY[r] for r in rules]), ctx


def test_thresholds_and_severity_overrides_apply():
    result, _ = run({"thresholds": {"block-too-large": {"max_lines": 850}}, "severity": {"MAGE-BLK-001": "critical"}})
    assert [f.path for f in result] == ["proj/legacy/data_loaders/load_b.py"]
    assert result[0].severity == "critical"


def test_disabled_rules_do_not_run_and_are_reported_as_skipped():
    result, _ = run({"rules": {"MAGE-BLK-001": False}})
    assert list(result) == []
    assert result.skipped[0].rule_id == "MAGE-BLK-001" and "disabled" in result.skipped[0].reason


def test_rules_whose_data_is_missing_are_skipped_with_reason():
    class NeedsHistory(Rule):
        """x"""
        id, name, title, category, severity = "MAGE-OPS-999", "needs-history", "T", "operations", "low"
        needs = frozenset({"inventory", "history"})

        def check(self):
            yield self.finding("should not run")

    ctx = RuleContext(inventory=make_inventory())
    result = run_rules(ctx, None, today=TODAY, rules=[NeedsHistory])
    assert list(result) == [] and result.skipped[0].reason == "no history data"
    assert result.skipped_frame().to_dict("records") == [{"rule_id": "MAGE-OPS-999", "reason": "no history data"}]


def test_a_raising_rule_is_recorded_and_the_others_still_run():
    class Broken(Rule):
        """x"""
        id, name, title, category, severity = "MAGE-REL-999", "broken", "T", "reliability", "low"

        def check(self):
            raise RuntimeError("boom")
            yield  # pragma: no cover

    ctx = RuleContext(inventory=make_inventory(block_files=BIG))
    result = run_rules(ctx, None, today=TODAY, rules=[Broken, REGISTRY["MAGE-BLK-001"]])
    assert len(result) == 2
    assert [(e.rule_id, e.error) for e in result.errors] == [("MAGE-REL-999", "RuntimeError: boom")]
    assert result.status()["errors"] == {"MAGE-REL-999": "RuntimeError: boom"}


def test_include_and_exclude_globs_filter_findings_by_path():
    result, _ = run({"exclude": ["**/legacy/**"]})
    assert [f.path for f in result] == ["proj/data_loaders/load_a.py"]
    result, _ = run({"include": ["proj/legacy/**"]})
    assert [f.path for f in result] == ["proj/legacy/data_loaders/load_b.py"]


def test_findings_without_path_survive_include_globs():
    inv = make_inventory(pipelines=[{"pipeline": "x", "tags": ["A"]}, {"pipeline": "y", "tags": ["a"]}])
    result, _ = run({"include": ["nothing/**"]}, rules=("MAGE-PIP-004",), inventory=inv)
    assert len(result) == 1 and result[0].path is None


def test_waiver_by_path_marks_matching_findings_only():
    result, _ = run({"waivers": [{"rule": "MAGE-BLK-001", "path": "**/legacy/**", "reason": "rewrite in Q3",
                                  "expires": "2026-09-30"}]})
    by_path = {f.path: f for f in result}
    waived = by_path["proj/legacy/data_loaders/load_b.py"]
    assert (waived.waived, waived.waiver_reason, waived.waiver_expires) == (True, "rewrite in Q3", "2026-09-30")
    assert by_path["proj/data_loaders/load_a.py"].waived is False


def test_waiver_by_pipeline_pattern():
    inv = make_inventory(pipelines=[{"pipeline": "tmp_one", "tags": []}, {"pipeline": "sales_x_daily", "tags": []}])
    result, _ = run({"rules": {"pipeline-untagged": True},       # off by default
                     "waivers": [{"rule": "pipeline-untagged", "pipeline": "tmp_*", "reason": "scratch"}]},
                    rules=("MAGE-PIP-002",), inventory=inv)
    assert {f.pipeline: f.waived for f in result} == {"tmp_one": True, "sales_x_daily": False}


def test_waiver_for_another_rule_does_not_apply():
    result, _ = run({"waivers": [{"rule": "MAGE-BLK-002", "reason": "x"}]})
    assert not any(f.waived for f in result)


def test_expired_waiver_does_not_waive_and_becomes_a_finding():
    result, _ = run({"waivers": [{"rule": "MAGE-BLK-001", "path": "**/legacy/**", "reason": "rewrite",
                                  "expires": "2026-05-31"}]})
    assert not any(f.waived for f in result if f.rule_id == "MAGE-BLK-001")
    (expired,) = [f for f in result if f.rule_id == "MAGE-CFG-001"]
    assert expired.severity == "medium" and expired.category == "configuration"
    assert "waivers[0]" in expired.message and "2026-05-31" in expired.message and "MAGE-BLK-001" in expired.message


def test_waiver_expiring_today_still_applies():
    result, _ = run({"waivers": [{"rule": "MAGE-BLK-001", "reason": "r", "expires": TODAY.isoformat()}]})
    assert all(f.waived for f in result) and not any(f.rule_id == "MAGE-CFG-001" for f in result)


def test_expired_waiver_finding_points_at_config_file_in_repo(tmp_path):
    (tmp_path / "auditkit.yaml").write_text("waivers: [{rule: MAGE-BLK-001, reason: r, expires: 2020-01-01}]\n")
    from auditkit.config import load_config
    cfg = load_config(None, tmp_path)
    ctx = RuleContext(inventory=make_inventory(root=str(tmp_path)))
    result = run_rules(ctx, cfg, today=TODAY, rules=[])
    assert [(f.rule_id, f.path) for f in result] == [("MAGE-CFG-001", "auditkit.yaml")]


def test_all_rules_run_on_a_healthy_inventory_without_errors_or_findings():
    inv = make_inventory(pipelines=[{}], blocks=[{"path": "proj/data_loaders/load_orders.py"}], block_files=[{}])
    ctx = RuleContext(inventory=inv)
    result = run_rules(ctx, None, today=TODAY)
    assert result.errors == []
    own = [f for f in result if f.rule_id.split("-")[1] in ("BLK", "DOC", "TST", "PIP")]
    assert own == []


def test_rules_off_by_default_are_skipped_with_the_reason_until_switched_on():
    inv = make_inventory(pipelines=[{"pipeline": "tmp_one", "tags": []}])
    result, ctx = run({}, rules=("MAGE-PIP-002",), inventory=inv)
    assert result == [] and "off by default" in result.status()["skipped"]["MAGE-PIP-002"]
    result, _ = run({"rules": {"MAGE-PIP-002": True}}, rules=("MAGE-PIP-002",), inventory=inv)
    assert [f.pipeline for f in result] == ["tmp_one"]
    result, _ = run({"rules": {"MAGE-PIP-002": True}, "disable": ["MAGE-PIP-002"]}, rules=("MAGE-PIP-002",),
                    inventory=inv)
    assert result == [] and result.status()["skipped"]["MAGE-PIP-002"] == "disabled in configuration"
