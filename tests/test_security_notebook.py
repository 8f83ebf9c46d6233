"""notebooks/70_security.ipynb executed by papermill on the embedded demo (with its history)."""
from __future__ import annotations

import json
from pathlib import Path

import papermill as pm
import pytest

pytestmark = pytest.mark.slow
NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "70_security.ipynb"


def test_security_notebook_runs_on_the_demo_and_fills_every_part(tmp_path):
    from auditkit.demo.workspace import prepare_demo

    repo, mage_data = prepare_demo(tmp_path / "demo")
    out = tmp_path / "executed.ipynb"
    pm.execute_notebook(str(NOTEBOOK), str(out), parameters={"repo": repo, "mage_data": mage_data},
                        progress_bar=False, cwd=str(tmp_path))
    nb = json.loads(out.read_text())
    outputs = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = json.dumps(outputs)
    # scorecard, settings table, accounts and findings are filled from the demo's planted problems
    assert "Committed secrets" in text and "REQUIRE_USER_AUTHENTICATION" in text
    assert "MAGE-SEC-018" in text and "MAGE-SEC-025" in text
    figures = [o for o in outputs if "application/vnd.plotly.v1+json" in o.get("data", {})]
    assert len(figures) >= 5
    # the demo's literal Snowflake password never appears, only its kind and fingerprint
    assert "f64!4pWCHITkvVwXwc" not in out.read_text()
