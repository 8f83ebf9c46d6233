"""Settings drive the pictures: the limits the report draws and counts are the rules' thresholds
(guide defaults, or auditkit.yaml's values), read from one place."""
from __future__ import annotations

from pathlib import Path

import pytest

from auditkit import guide
from auditkit.limits import SOURCES, Limits, audit_limits

DEMO = Path(__file__).resolve().parents[1] / "auditkit" / "demo" / "project"


def test_each_limit_default_is_its_rules_threshold_default():
    from auditkit.engine.base import REGISTRY, all_rules

    list(all_rules())
    defaults = Limits()
    for field, rule_id, option in SOURCES:
        threshold = next(t for t in REGISTRY[rule_id].thresholds if t.name == option)
        assert getattr(defaults, field) == threshold.default, (field, rule_id)
    assert defaults.block_ideal == guide.BLOCK_IDEAL_LINES


def test_configured_thresholds_move_the_limits_and_bands():
    limits = Limits.from_thresholds({"MAGE-BLK-001": {"max_lines": 100}, "MAGE-PIP-008": {"max_depth": 4}})
    assert limits.block_max == 100 and limits.pipeline_max_depth == 4
    assert [label for *_, label in limits.size_bands()] == ["under 50", "ideal 50-200", "over 100"]
    assert limits.size_band(150) == "ideal 50-200" and limits.size_band(250) == "over 100"
    wide = Limits.from_thresholds({"MAGE-BLK-002": {"ideal_max": 300}})
    assert wide.size_band(250) == "ideal 50-300"


@pytest.fixture(scope="module")
def strict_audit():
    from auditkit.audit import run_audit

    return run_audit(DEMO, config={"thresholds": {"MAGE-BLK-001": {"max_lines": 100}}}, cache=False)


def test_a_lower_max_lines_changes_findings_chart_bands_and_headline_alike(strict_audit):
    from auditkit.analytics import blocks as B
    from auditkit.plots import blocks as P
    from auditkit.report.index import headline

    limits = audit_limits(strict_audit)
    assert limits.block_max == 100
    files = B.code_files(strict_audit.inventory.block_files)
    over = int((files["lines_code"] > 100).sum())
    flagged = strict_audit.findings[strict_audit.findings["rule_id"] == "MAGE-BLK-001"]
    assert over >= 2 and len(flagged) == over                    # the rule used the same limit

    figures = strict_audit.summary["key_figures"]
    assert figures["block_max_lines"] == 100 and figures["blocks_over_limit"] == over
    assert figures["blocks_over_500"] < over                     # the guide's count is kept for trends
    cards = dict(headline(strict_audit.summary))
    assert cards["blocks over 100 lines"] == over

    fig = P.size_histogram(strict_audit.inventory.block_files, limits=limits)
    texts = [a.text for a in fig.layout.annotations]
    assert "max 100" in texts and "max 500" not in texts
    assert [s.x0 for s in fig.layout.shapes if s.type == "line"] == [100]
    bands = B.size_band_counts(strict_audit.inventory.block_files, limits)
    assert bands.loc[bands["band"] == "over 100", "files"].item() == over
    table = B.headline(strict_audit.inventory.block_files, limits)
    assert "over 100 lines" in set(table["measure"])


def test_pipeline_limits_reach_the_depth_chart():
    from auditkit.plots import pipelines as P
    from inventory_factory import make_inventory

    inv = make_inventory(pipelines=[{"pipeline": "a_b_daily", "depth": 5, "max_width": 2, "n_blocks": 12}])
    fig = P.depth_width(inv.pipelines, Limits.from_thresholds({"MAGE-PIP-008": {"max_depth": 4}}))
    assert "max depth 4" in [a.text for a in fig.layout.annotations]
