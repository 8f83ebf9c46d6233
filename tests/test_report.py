"""The demo report set, produced by `auditkit demo` (papermill + nbconvert), checked file by file."""
from __future__ import annotations

import json
import re

import nbformat

from auditkit.report.notebooks import available_sections

PLOT_DIV = re.compile(r'<div (?=[^>]*class="plotly-graph-div")[^>]*id="([0-9a-f-]{36})"')


def test_demo_report_runs_every_section_without_failure(demo_report):
    out, code = demo_report
    index = (out / "index.html").read_text()
    for section in available_sections():
        assert f'href="{section.slug}.html"' in index
        assert (out / f"{section.slug}.html").exists()
        assert (out / "notebooks" / f"{section.slug}.ipynb").exists()
    assert "ak-failed" not in index, "a section failed; see its page"
    assert code == 0
    # Every remediation action says where: places, or (a default password: no file) its findings.
    plan = index.split('<ol class="ak-plan">', 1)[1].split("</ol>", 1)[0]
    wheres = [w.split("</li>", 1)[0].strip() for w in plan.split('Where:</span>')[1:]]
    assert len(wheres) == 10 and all(wheres), wheres


def test_section_pages_hold_figure_data_and_no_code(demo_report):
    out, _ = demo_report
    for section in available_sections():
        page = (out / f"{section.slug}.html").read_text()
        assert 'src="assets/plotly.min.js"' in page
        assert "jp-InputArea" not in page and "input_area" not in page, f"{section.slug} shows code"
        assert "cdn.plot.ly" not in page and "https://cdn" not in page
        if section.slug != "00_summary":
            divs = PLOT_DIV.findall(page)
            assert divs, f"{section.slug} has no figure"
            # every figure div is followed by a newPlot call carrying non-empty trace data
            for div in divs:
                call = re.search(r'Plotly\.newPlot\(\s*"' + div + r'",\s*\[\{"', page)
                assert call, f"figure {div} in {section.slug} has no newPlot call with trace data"


def test_blocks_page_shows_size_bands_and_largest_blocks(demo_report):
    out, _ = demo_report
    page = (out / "10_blocks.html").read_text()
    assert "Block sizes (lines of code)" in page
    assert "ideal 50-200" in page and "max 500" in page
    nb = nbformat.read(str(out / "notebooks" / "10_blocks.ipynb"), as_version=4)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors


def test_summary_json_inventory_matches_the_audit(demo_report):
    out, _ = demo_report
    summary = json.loads((out / "summary.json").read_text())
    inv = summary["inventory"]
    for key in ("projects", "pipelines", "pipelines_by_type", "block_entries", "block_files",
                "missing_block_files", "orphan_block_files", "triggers", "input_problems"):
        assert key in inv
    assert inv["projects"] == 1
    assert inv["pipelines"] >= 7 and sum(inv["pipelines_by_type"].values()) == inv["pipelines"]
    assert inv["block_entries"] >= 55 and inv["block_files"] >= 45
    assert inv["orphan_block_files"] >= 3 and inv["missing_block_files"] >= 1


def test_report_set_is_small(demo_report):
    out, _ = demo_report
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    assert total <= 8 * 1024 * 1024, f"report set is {total / 1e6:.1f} MB"
    assert len(list(out.rglob("plotly.min.js"))) == 1


def test_demo_shows_findings_of_every_category_and_its_waivers(demo_report):
    from auditkit.model import CATEGORIES

    out, _ = demo_report
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["findings"]["by_category"]) == set(CATEGORIES)
    assert summary["findings"]["waived"] >= 1                      # the valid waiver in auditkit.yaml
    assert summary["findings"]["by_rule"].get("MAGE-CFG-001") == 1   # the expired one
    summary_page = (out / "00_summary.html").read_text()
    assert "FIN-412" in summary_page                               # waiver reason shown


def test_scheduled_audit_example_is_a_valid_mage_pipeline():
    from pathlib import Path

    from auditkit.readers.repo import read_repo

    example = Path(__file__).resolve().parents[1] / "examples" / "mage_scheduled_audit"
    inv = read_repo(example)
    assert list(inv.pipelines["pipeline"]) == ["auditkit_repo_audit_daily"]
    block = inv.blocks.iloc[0]
    assert block["block_type"] == "custom" and block["file_exists"]
    trigger = inv.triggers.iloc[0]
    assert trigger["valid"] and trigger["schedule_interval"] == "0 6 * * *" and list(trigger["envs"]) == ["prod"]
    assert inv.input_problems.empty
