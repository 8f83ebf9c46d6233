"""Executed notebook -> code-free HTML page that shares one offline plotly.min.js and one CSS file."""
from __future__ import annotations

import shutil
from functools import lru_cache
from pathlib import Path

import jinja2
from markupsafe import escape
import nbformat
from auditkit.plots.style import css_variables
from auditkit.report.assets import itables_asset, plotly_asset

TEMPLATES = Path(__file__).resolve().parent / "templates"
ASSETS = "assets"


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)),
                              autoescape=jinja2.select_autoescape(["html", "j2"]))


def render_page(template: str, **context) -> str:
    return _env().get_template(template).render(**context)


NOTEBOOK_ONLY = "notebook-only"     # cell tag: shown in JupyterLab, never in the report


@lru_cache(maxsize=1)
def _exporter():
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    # "basic" gives the cells without a page around them; inputs and prompts are dropped so
    # the report holds no code, and cells written for JupyterLab users are dropped.
    config = Config()
    config.TagRemovePreprocessor.enabled = True
    config.TagRemovePreprocessor.remove_cell_tags = {NOTEBOOK_ONLY}
    # Validate the notebook once after all preprocessors, not after each (nbconvert's own
    # option): each validation walks every output, plotly figures included.
    config.HTMLExporter.optimistic_validation = True
    return HTMLExporter(config=config, template_name="basic", exclude_input=True, exclude_input_prompt=True,
                        exclude_output_prompt=True, exclude_raw=True)


# Report pages, in the order of the navigation bar (sections come between them).
EXTRA_PAGES = (("explorer.html", "Findings explorer"), ("pipelines.html", "Pipeline pages"))
# Short names for the navigation bar, so it fits one line at 1000 px.
NAV_TITLES = {"30_concurrency": "Concurrency", "40_retries": "Retries", "60_runs": "Run health",
              "80_deployment": "Deployment", "00_summary": "Summary"}


def write_assets(out: Path) -> None:
    """Write the plotly bundle shipped with the plotly package and itables' offline DataTables
    loader (both packed, see assets.py; never a CDN), the stylesheet (with the chart colours of
    plots/style.py) and the scripts of the explorer and pipeline pages."""
    assets = Path(out) / ASSETS
    assets.mkdir(parents=True, exist_ok=True)
    (assets / "plotly.min.js").write_text(plotly_asset(), encoding="ascii")
    (assets / "itables.js").write_text(itables_asset(), encoding="ascii")
    css = css_variables() + (TEMPLATES / "report.css").read_text(encoding="utf-8")
    (assets / "report.css").write_text(css, encoding="utf-8")
    for script in TEMPLATES.glob("*.js"):
        shutil.copyfile(script, assets / script.name)




def nav_links() -> list[tuple[str, str]]:
    """(page, title) of every page of a report set, for the navigation bar."""
    from auditkit.report.notebooks import SECTIONS

    return [("index.html", "Index"), *((f"{s.slug}.html", NAV_TITLES.get(s.slug, s.title)) for s in SECTIONS),
            ("explorer.html", "Explorer"), ("pipelines.html", "Pipeline pages")]


def section_body(nb) -> str:
    """The code-free HTML of an executed notebook's cells."""
    body, _ = _exporter().from_notebook_node(nb)
    return body


def notebook_to_html(executed: Path, html: Path, *, title: str, failed: bool, nb=None) -> None:
    """Export ``nb`` (the executed notebook papermill returned) or, failing that, the file it wrote."""
    nb = nb if nb is not None else nbformat.read(str(executed), as_version=4)
    page = render_page("section.html.j2", title=title, body=section_body(nb), failed=failed,
                       nav=nav_links(), current=Path(html).name)
    Path(html).write_text(page, encoding="utf-8")


def error_page(html: Path, title: str, error: str) -> None:
    page = render_page("section.html.j2", title=title, failed=True, nav=nav_links(), current=Path(html).name,
                       body=f"<div class='ak-error'><p>This section could not run.</p><pre>{escape(error)}</pre></div>")
    Path(html).write_text(page, encoding="utf-8")
