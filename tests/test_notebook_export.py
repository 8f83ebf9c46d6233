"""A section notebook run outside `auditkit report` (papermill here; JupyterLab and
`jupyter nbconvert --execute` use the same kernel display path) keeps its charts when exported
to HTML with nbconvert, drawn in Chromium with the network cut off."""
from __future__ import annotations

import subprocess
import sys

import nbformat
import papermill as pm
import pytest

from auditkit.report.notebooks import notebooks_dir
from test_report_browser import _offline, browser  # noqa: F401  (the Chromium fixture)

pytestmark = pytest.mark.browser
PLOTLY_MIME = "application/vnd.plotly.v1+json"


def test_exported_notebook_draws_every_chart_offline(browser, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.delenv("AUDITKIT_REPORT", raising=False)      # a person's run, not the report runner's
    executed = tmp_path / "20_pipelines.ipynb"
    pm.execute_notebook(str(notebooks_dir() / "20_pipelines.ipynb"), str(executed), kernel_name="python3",
                        progress_bar=False, cwd=str(tmp_path))
    outputs = [o for c in nbformat.read(executed, 4).cells if c.cell_type == "code" for o in c.get("outputs", [])]
    figures = [o for o in outputs if PLOTLY_MIME in o.get("data", {})]
    assert figures and all("text/html" in o["data"] for o in figures)   # JupyterLab's and the export's form
    subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "html", str(executed)],
                   check=True, capture_output=True)
    context, outside = _offline(browser, 1400)
    page = context.new_page()
    page.goto((tmp_path / "20_pipelines.html").as_uri(), wait_until="load")
    page.wait_for_timeout(1500)
    drawn = page.locator("div.plotly-graph-div")
    assert drawn.count() == len(figures)
    for i in range(drawn.count()):
        assert drawn.nth(i).locator("svg.main-svg").count() >= 1, f"chart {i} not drawn"
    # nbconvert's own template asks a CDN for require.js and MathJax (refused here); the charts
    # need nothing from the network
    assert not [u for u in outside if "plotly" in u], outside
    context.close()
