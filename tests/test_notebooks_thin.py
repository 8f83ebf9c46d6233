"""The section notebooks stay thin and their pages clean: committed without outputs, logic in
auditkit (one history helper, one table helper), no notebook-only text or machine path on a page."""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from auditkit.report.notebooks import SECTIONS

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


@pytest.mark.parametrize("slug", [s.slug for s in SECTIONS])
def test_notebook_is_thin_and_committed_clean(slug):
    nb = nbformat.read(NOTEBOOKS / f"{slug}.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code)
    hint = [c for c in nb.cells if "notebook-only" in c.metadata.get("tags", [])]
    assert len(hint) == 1 and "JupyterLab" in hint[0].source          # dropped from the report page
    source = "\n".join(c.source for c in code)
    subject = "drift" if slug == "90_drift" else "audit"              # the drift section opens on its comparison
    assert f'opening_for("{slug}", {subject})' in source              # a data-generated opening
    assert "hist.available" not in source and "print(" not in source   # the history cell has one home
    if slug in ("30_concurrency", "40_retries", "50_backfills", "60_runs"):
        assert "view = history_view(audit)" in source
    assert max(len(c.source.splitlines()) for c in code if "parameters" not in c.metadata.get("tags", [])) <= 15
    shown = re.findall(r"^(?:inv|scan|audit)\.[a-z_.]+$", source, flags=re.M)
    assert not shown, f"bare frames shown without the table helper: {shown}"


def test_pages_hold_no_notebook_text_nor_machine_paths(demo_report):
    out, _ = demo_report
    home = str(Path.home())
    for page in out.glob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert "Change the parameters cell" not in html and "In JupyterLab" not in html, page.name
        for path in (str(out), home, "/tmp/", "mage_data/analytics_hub"):
            assert path not in html, f"{page.name} shows the machine path {path}"
