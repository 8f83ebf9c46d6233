"""Plot helpers: each returns a plotly figure; nothing here computes findings.

When the report runner executes a notebook it sets ``AUDITKIT_REPORT=1``. Figures then render as
plain HTML that calls the page's shared, offline ``plotly.min.js`` (one copy for the whole report
set), instead of plotly's default renderer, which leaves charts blank in exported HTML. In
JupyterLab nothing changes: figures use plotly's native renderer.
"""
from __future__ import annotations

import os

import plotly.io as pio
from plotly.io._base_renderers import MimetypeRenderer

REPORT_RENDERER = "auditkit_report"
TEMPLATE = "plotly_white"


class SharedScriptHtmlRenderer(MimetypeRenderer):
    """Render a figure as a ``<div>`` plus a ``Plotly.newPlot`` call, without plotly.js itself."""

    def to_mimebundle(self, fig_dict):
        html = pio.to_html(fig_dict, include_plotlyjs=False, full_html=False,
                           config={"displaylogo": False, "responsive": True})
        title = ((fig_dict.get("layout") or {}).get("title") or {}).get("text") or "figure"
        return {"text/html": html, "text/plain": f"<plotly figure: {title}>"}


def use_report_renderer() -> None:
    pio.renderers[REPORT_RENDERER] = SharedScriptHtmlRenderer()
    pio.renderers.default = REPORT_RENDERER


pio.templates.default = TEMPLATE
if os.environ.get("AUDITKIT_REPORT") == "1":
    use_report_renderer()
