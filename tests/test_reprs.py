"""What a notebook user meets first: objects print as counts and sources, not a dump of every
frame, and help(auditkit.open_audit) explains every argument."""
from __future__ import annotations

from pathlib import Path

from auditkit.audit import run_audit

RICH = Path(__file__).resolve().parent / "fixtures" / "repos" / "rich_repo"


def test_audit_and_inventory_reprs_are_short_and_give_the_counts():
    audit = run_audit(RICH, cache=False)
    text = repr(audit)
    assert len(text) < 400
    assert f"{len(audit.inventory.pipelines)} pipelines" in text
    assert f"{len(audit.findings)} findings" in text
    top = audit.findings["severity"].iloc[0]          # findings are sorted most severe first
    count = int((audit.findings["severity"] == top).sum())
    assert f"({count} {top}" in text                   # the most severe listed first
    assert "history: none" in text
    inventory = repr(audit.inventory)
    assert len(inventory) < 300
    assert f"{len(audit.inventory.block_files)} block files" in inventory
    assert "DataFrame" not in inventory and "\n" not in inventory


def test_open_audit_help_explains_every_argument():
    import inspect

    import auditkit
    doc = inspect.getdoc(auditkit.open_audit)
    for name in inspect.signature(auditkit.open_audit).parameters:
        assert f"{name}:" in doc or f", {name}:" in doc or f"{name}," in doc, name
    assert "Returns:" in doc and "Raises:" in doc


def test_findings_table_says_when_it_leaves_findings_out():
    import warnings

    import pytest
    audit = run_audit(RICH, cache=False)
    categories = sorted(set(audit.findings["category"]))
    everything = audit.findings_table(categories)
    assert len(everything) == len(audit.findings)          # no silent cut by default
    with pytest.warns(UserWarning, match=f"first 2 of {len(everything)} findings"):
        assert len(audit.findings_table(categories, limit=2)) == 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        audit.findings_table(categories, limit=len(everything))   # nothing left out: no warning


def test_findings_have_honest_dtypes_and_keep_them_when_saved(tmp_path):
    from auditkit.audit import Audit
    audit = run_audit(RICH, cache=False)
    findings = audit.findings
    assert findings["severity"].cat.ordered
    # sorting follows severity, not the alphabet: the most severe first when descending
    order = findings.sort_values("severity", ascending=False)["severity"].astype(str).tolist()
    ranks = ["info", "low", "medium", "high", "critical"]
    assert order == sorted(order, key=ranks.index, reverse=True) and len(set(order)) >= 3
    assert str(findings["line"].dtype) == "Int64" and findings["line"].notna().any()
    assert not findings["line"].dropna().astype(str).str.contains(r"\.").any()     # 3, never 3.0
    loaded = Audit.load(audit.save(tmp_path / "saved"))
    assert loaded.findings["severity"].dtype == findings["severity"].dtype
    assert str(loaded.findings["line"].dtype) == "Int64"
