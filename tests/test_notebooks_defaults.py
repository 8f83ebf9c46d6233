"""Every section notebook runs top to bottom with its default parameters, as in JupyterLab.

No parameters are injected: each notebook audits the embedded demo (built into a private cache
folder here) and its figures use plotly's native renderer, as they would for a person.
"""
from __future__ import annotations

import nbformat
import papermill as pm
import pytest

from auditkit.report.notebooks import available_sections, notebooks_dir

PLOTLY_MIME = "application/vnd.plotly.v1+json"
SECTIONS = [s.slug for s in available_sections()]


@pytest.fixture(scope="module")
def jupyter_like_env(tmp_path_factory):
    cache = tmp_path_factory.mktemp("xdg_cache")
    mp = pytest.MonkeyPatch()
    mp.setenv("XDG_CACHE_HOME", str(cache))        # the demo workspace is built fresh here
    mp.delenv("AUDITKIT_REPORT", raising=False)    # a person's kernel, not the report runner's
    yield cache
    mp.undo()


@pytest.mark.slow
@pytest.mark.parametrize("slug", SECTIONS)
def test_notebook_runs_with_default_parameters(slug, jupyter_like_env, tmp_path):
    out = tmp_path / f"{slug}.ipynb"
    pm.execute_notebook(str(notebooks_dir() / f"{slug}.ipynb"), str(out), kernel_name="python3",
                        progress_bar=False, cwd=str(tmp_path))
    nb = nbformat.read(str(out), as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    figures = [o for o in outputs if PLOTLY_MIME in o.get("data", {})]
    if slug != "00_summary":
        assert figures, f"{slug} shows no figure in JupyterLab"
        assert all(o["data"][PLOTLY_MIME]["data"] for o in figures), f"{slug} has an empty figure"
    # the demo workspace was built under the private cache, not taken from elsewhere
    assert any(jupyter_like_env.rglob("mage-ai.db"))
