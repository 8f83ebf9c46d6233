"""Plot helpers: each returns a plotly figure; nothing here computes findings.

Importing this package changes nothing global. A notebook calls :func:`configure` once: it
sets the figures' template and, in a report (the runner sets ``AUDITKIT_REPORT=1``), makes
figures display as plain HTML that calls the page's shared, offline ``plotly.min.js`` (one copy
for the whole report set) instead of plotly's default notebook renderer, which leaves charts
blank in exported HTML. Elsewhere (JupyterLab, papermill, nbconvert) figures carry both plotly's
mimetype and offline HTML, so a notebook exported to HTML keeps its charts.
"""
from __future__ import annotations

import os

import plotly.io as pio

TEMPLATE = "plotly_white"
PLOT_CONFIG = {"displaylogo": False, "responsive": True}


def figure_html(fig) -> str:
    """A figure as a ``<div>`` plus its ``Plotly.newPlot`` call, without plotly.js itself."""
    return pio.to_html(fig, include_plotlyjs=False, full_html=False, config=PLOT_CONFIG)


def _report_bundle(fig) -> dict:
    from auditkit.plots.tables import carries_nothing, figure_table

    title = fig.layout.title.text or "figure"
    if carries_nothing(fig):      # every bar the same: the numbers say it in less room
        return {"text/html": figure_table(fig).to_html(), "text/plain": f"<table: {title}>"}
    return {"text/html": figure_html(fig), "text/plain": f"<plotly figure: {title}>"}


def use_report_renderer() -> None:
    """Display every figure as shared-script HTML.

    This replaces the figure's display hooks rather than registering a plotly renderer: touching
    ``plotly.io.renderers`` imports nbformat and jsonschema's format checkers, which costs seconds
    in every notebook kernel of a report, while the hooks below need neither.
    """
    from IPython.display import display
    from plotly.basedatatypes import BaseFigure

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        return _report_bundle(self)

    def _ipython_display_(self):
        display(_report_bundle(self), raw=True)

    BaseFigure._repr_mimebundle_ = _repr_mimebundle_
    BaseFigure._ipython_display_ = _ipython_display_

    # Reports are read, not scrolled: show whole messages and reasons in tables.
    import pandas as pd
    pd.set_option("display.max_colwidth", 160)


def use_offline_tables() -> None:
    """In JupyterLab: load itables' DataTables bundle into the notebook itself (no CDN), so long
    tables are interactive there too. A report page loads the same bundle from ``assets/``."""
    from itables import init_notebook_mode

    init_notebook_mode(all_interactive=False, connected=False)


def use_exportable_figures() -> None:
    """Outside a report (JupyterLab, papermill, ``jupyter nbconvert --execute``): each figure
    carries plotly's own mimetype, which JupyterLab draws, and offline HTML (plotly.js embedded
    once per notebook by plotly's ``notebook`` renderer), which an exported HTML file draws
    without a network. With the mimetype alone, charts vanish from exported HTML."""
    pio.renderers.default = "plotly_mimetype+notebook"


def configure(report: bool | None = None) -> None:
    """Make figures look and display as auditkit's do; notebooks call this after their imports.

    ``report``: display figures for an exported report page (default: when the report runner
    set ``AUDITKIT_REPORT=1``).
    """
    pio.templates.default = TEMPLATE
    if report is None:
        report = os.environ.get("AUDITKIT_REPORT") == "1"
    if report:
        use_report_renderer()
    elif _in_notebook():
        use_offline_tables()
        use_exportable_figures()


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:   # pragma: no cover - ipykernel is a dependency
        return False
    shell = get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"
