"""Papermill runs of the run-history notebooks (30/40/50/60) on the demo with a generated
history, and once without history."""
from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from auditkit.demo.history import generate_history
from history_support import DEMO_PROJECT

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def mage_data(tmp_path_factory):
    if not (DEMO_PROJECT / "pipelines").is_dir():
        pytest.skip("demo project not present")
    data = tmp_path_factory.mktemp("mage_data")
    generate_history(data, DEMO_PROJECT, days=95, scale=0.3, max_log_files=800)
    return data


def _run(name: str, tmp_path: Path, **params) -> nbformat.NotebookNode:
    import papermill as pm
    out = tmp_path / f"{name}.ipynb"
    pm.execute_notebook(str(NOTEBOOKS / f"{name}.ipynb"), str(out), kernel_name="python3",
                        progress_bar=False, parameters={"repo": str(DEMO_PROJECT), **params})
    return nbformat.read(out, as_version=4)


def _outputs(nb) -> tuple[str, list[dict]]:
    """All text shown (streams and text/plain results) and every plotly figure."""
    texts, figures = [], []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                texts.append(output.text)
            data = output.get("data", {})
            if "text/plain" in data:
                texts.append(data["text/plain"])
            if "application/vnd.plotly.v1+json" in data:
                figures.append(data["application/vnd.plotly.v1+json"])
    return "\n".join(texts), figures


def _values(array) -> list:
    """A trace array from notebook JSON: a list, or plotly's typed array {dtype, bdata}."""
    if isinstance(array, dict) and "bdata" in array:
        import base64

        import numpy as np
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"]).tolist()
    return list(array or [])


def _points(figure: dict) -> int:
    return sum(len(_values(trace.get("x"))) for trace in figure.get("data", []))


def test_parameters_cell_matches_the_model_notebook():
    model = nbformat.read(NOTEBOOKS / "10_blocks.ipynb", as_version=4)
    params = next(c.source for c in model.cells if "parameters" in c.metadata.get("tags", []))
    for name in ("30_concurrency", "40_retries", "50_backfills", "60_runs"):
        nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
        assert next(c.source for c in nb.cells if "parameters" in c.metadata.get("tags", [])) == params
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")   # committed clean


def test_concurrency_notebook(mage_data, tmp_path):
    text, figures = _outputs(_run("30_concurrency", tmp_path, mage_data=str(mage_data)))
    assert "Run history: " in text
    assert "sales_daily_revenue_report" in text and "Over limit" in text   # human header of over_limit
    titles = [f["layout"]["title"]["text"] for f in figures]
    timeline = next(f for f in figures if f["layout"]["title"]["text"].startswith("Concurrent pipeline runs"))
    assert _points(timeline) > 100, titles
    peaks = next(f for f in figures if f["layout"]["title"]["text"].startswith("Peak concurrent"))
    assert max(_values(peaks["data"][0]["x"])) >= 2          # bursts above a limit of 1 exist in the demo


def test_retries_notebook(mage_data, tmp_path):
    text, figures = _outputs(_run("40_retries", tmp_path, mage_data=str(mage_data)))
    retry_fig = next(f for f in figures if f["layout"]["title"]["text"].startswith("Retries per block"))
    names = {t["name"] for t in retry_fig["data"]}
    assert "automatic retries (logs)" in names and _points(retry_fig) > 0
    assert "Flaky" in text and "Retried executions" in text       # human headers


def test_backfills_notebook(mage_data, tmp_path):
    text, figures = _outputs(_run("50_backfills", tmp_path, mage_data=str(mage_data)))
    for name in ("reload 2026 q2", "fix revenue gaps", "full history", "draft backfill"):
        assert name in text
    assert "Missing intervals" in text                   # human header of missing_intervals
    progress = next(f for f in figures if f["layout"]["title"]["text"] == "Backfill progress")
    assert _points(progress) >= 4


def test_runs_notebook(mage_data, tmp_path):
    nb = _run("60_runs", tmp_path, mage_data=str(mage_data), out=str(tmp_path / "csv"))
    text, figures = _outputs(nb)
    assert "pipeline_missing" in text and "legacy_orders_export" in text
    assert "yaml_not_in_db" in text                  # the staging-only trigger never synced
    outcomes = next(f for f in figures if f["layout"]["title"]["text"] == "Run outcomes over time")
    assert _points(outcomes) > 10
    health = (tmp_path / "csv" / "run_health.csv").read_text()
    assert "marketing_campaign_attribution_hourly" in health


@pytest.mark.parametrize("name", ["30_concurrency", "40_retries", "50_backfills", "60_runs"])
def test_notebooks_run_without_history(name, tmp_path):
    if not (DEMO_PROJECT / "pipelines").is_dir():
        pytest.skip("demo project not present")
    nb = _run(name, tmp_path)
    text, figures = _outputs(nb)
    assert "Run history is absent" in text
    assert not any(o.output_type == "error" for c in nb.cells for o in c.get("outputs", []))
    json.dumps(figures)
