"""Executed notebook -> code-free HTML page that shares one offline plotly.min.js and one CSS file."""
from __future__ import annotations

import shutil
from functools import lru_cache
from pathlib import Path

import jinja2
from markupsafe import escape
import nbformat
import plotly

TEMPLATES = Path(__file__).resolve().parent / "templates"
ASSETS = "assets"


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)),
                              autoescape=jinja2.select_autoescape(["html", "j2"]))


def render_page(template: str, **context) -> str:
    return _env().get_template(template).render(**context)


@lru_cache(maxsize=1)
def _exporter():
    from nbconvert import HTMLExporter
    # "basic" gives the cells without a page around them; inputs and prompts are dropped so
    # the report holds no code.
    return HTMLExporter(template_name="basic", exclude_input=True, exclude_input_prompt=True,
                        exclude_output_prompt=True, exclude_raw=True)


def write_assets(out: Path) -> None:
    """Copy the plotly bundle shipped with the plotly package (never a CDN) and the stylesheet."""
    assets = Path(out) / ASSETS
    assets.mkdir(parents=True, exist_ok=True)
    bundle = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    target = assets / "plotly.min.js"
    if not target.exists() or target.stat().st_size != bundle.stat().st_size:
        shutil.copyfile(bundle, target)
    shutil.copyfile(TEMPLATES / "report.css", assets / "report.css")


def notebook_to_html(executed: Path, html: Path, *, title: str, failed: bool, nb=None) -> None:
    """Export ``nb`` (the executed notebook papermill returned) or, failing that, the file it wrote."""
    nb = nb if nb is not None else nbformat.read(str(executed), as_version=4)
    # Papermill's "parameters"/"injected-parameters" cells have no output worth showing.
    body, _ = _exporter().from_notebook_node(nb)
    page = render_page("section.html.j2", title=title, body=body, failed=failed)
    Path(html).write_text(page, encoding="utf-8")


def error_page(html: Path, title: str, error: str) -> None:
    page = render_page("section.html.j2", title=title, failed=True,
                       body=f"<div class='ak-error'><p>This section could not run.</p><pre>{escape(error)}</pre></div>")
    Path(html).write_text(page, encoding="utf-8")
