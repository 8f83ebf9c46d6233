"""Findings overview for the summary section (00_summary): the scorecard and severity figures.

The tables they draw (scorecard, severity counts, top, waived and per-rule findings) are
:mod:`auditkit.analytics.findings`, re-exported here for the notebooks.
"""
from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from auditkit.analytics.findings import (  # noqa: F401  (tables the section notebook shows)
    findings_by_rule, scorecard, severity_counts, top_findings, waived_findings,
)
from auditkit.model import CATEGORIES, SEVERITIES
from auditkit.plots.style import SEVERITY_COLORS


def scorecard_figure(findings: pd.DataFrame, categories: tuple[str, ...] = CATEGORIES) -> go.Figure:
    """Stacked bars: unwaived findings per category, coloured by severity."""
    card = scorecard(findings, categories)
    long = card.melt(id_vars=["category", "status"], value_vars=list(reversed(SEVERITIES)),
                     var_name="severity", value_name="findings")
    long["category"] = long["category"] + " (" + long["status"] + ")"
    fig = px.bar(long, x="findings", y="category", color="severity", orientation="h",
                 color_discrete_map=SEVERITY_COLORS, category_orders={"severity": list(reversed(SEVERITIES))},
                 title="Findings by category (unwaived)", labels={"category": ""})
    fig.update_layout(barmode="stack", height=max(320, 34 * len(card) + 140),
                      yaxis={"categoryorder": "array", "categoryarray": list(long["category"].unique())[::-1]})
    return fig


def severity_figure(findings: pd.DataFrame) -> go.Figure:
    """Bar chart of unwaived findings per severity, in the severity colours."""
    counts = severity_counts(findings)
    fig = px.bar(counts, x="severity", y="findings", color="severity", color_discrete_map=SEVERITY_COLORS,
                 text="findings", title="Unwaived findings by severity")
    fig.update_layout(showlegend=False, xaxis_title="", yaxis_title="findings")
    return fig


