"""Findings overview for the summary section (00_summary): scorecard, severities, top and waived.

Inputs are the audit's findings frame (``auditkit.model.FINDING_COLUMNS``). Table helpers return
DataFrames; figure helpers return plotly figures.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from auditkit.model import CATEGORIES, SEVERITIES, SEVERITY_RANK

SEVERITY_COLORS = {"critical": "#8b0000", "high": "#d1242f", "medium": "#e8912d", "low": "#d4b106", "info": "#8c959f"}
# Points per unwaived finding for the category score; a critical finding outweighs many small ones.
SEVERITY_POINTS = {"critical": 10, "high": 5, "medium": 2, "low": 1, "info": 0}


def _active(findings: pd.DataFrame) -> pd.DataFrame:
    if findings.empty:
        return findings
    return findings[~findings["waived"].fillna(False).astype(bool)]


def scorecard(findings: pd.DataFrame, categories: tuple[str, ...] = CATEGORIES) -> pd.DataFrame:
    """One row per category: unwaived counts per severity, ``waived``, ``points`` and ``status``.

    ``status`` is ``fail`` with any critical or high finding, ``warn`` with a medium one,
    ``pass`` otherwise (low and info findings are advice). ``points`` weighs findings by
    severity (critical 10, high 5, medium 2, low 1, info 0).
    """
    active = _active(findings)
    rows = []
    for cat in categories:
        mine = active[active["category"] == cat] if len(active) else active
        counts = {s: int((mine["severity"] == s).sum()) if len(mine) else 0 for s in SEVERITIES}
        waived = int(((findings["category"] == cat) & findings["waived"].fillna(False).astype(bool)).sum()) \
            if len(findings) else 0
        status = "fail" if counts["critical"] or counts["high"] else ("warn" if counts["medium"] else "pass")
        rows.append({"category": cat, **{s: counts[s] for s in reversed(SEVERITIES)},
                     "total": sum(counts.values()), "waived": waived,
                     "points": sum(SEVERITY_POINTS[s] * n for s, n in counts.items()), "status": status})
    return pd.DataFrame(rows, columns=["category", *reversed(SEVERITIES), "total", "waived", "points", "status"])


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


def severity_counts(findings: pd.DataFrame) -> pd.DataFrame:
    """Unwaived and waived findings per severity, most severe first."""
    active = _active(findings)
    rows = [{"severity": s,
             "findings": int((active["severity"] == s).sum()) if len(active) else 0,
             "waived": int(((findings["severity"] == s) & findings["waived"].fillna(False).astype(bool)).sum())
             if len(findings) else 0}
            for s in reversed(SEVERITIES)]
    return pd.DataFrame(rows, columns=["severity", "findings", "waived"])


def severity_figure(findings: pd.DataFrame) -> go.Figure:
    counts = severity_counts(findings)
    fig = px.bar(counts, x="severity", y="findings", color="severity", color_discrete_map=SEVERITY_COLORS,
                 text="findings", title="Unwaived findings by severity")
    fig.update_layout(showlegend=False, xaxis_title="", yaxis_title="findings")
    return fig


def top_findings(findings: pd.DataFrame, n: int = 20) -> pd.DataFrame:
    """The ``n`` most severe unwaived findings (ties by rule id and path)."""
    cols = ["severity", "rule_id", "category", "message", "pipeline", "path", "line"]
    active = _active(findings)
    if active.empty:
        return pd.DataFrame(columns=cols)
    ranked = active.assign(_r=-active["severity"].map(SEVERITY_RANK)).sort_values(["_r", "rule_id", "path"])
    return ranked[cols].head(n).reset_index(drop=True)


def waived_findings(findings: pd.DataFrame, today: dt.date | None = None) -> pd.DataFrame:
    """Waived findings with their reason, expiry and days left (None when open-ended)."""
    cols = ["rule_id", "severity", "path", "pipeline", "waiver_reason", "waiver_expires", "days_left"]
    if findings.empty:
        return pd.DataFrame(columns=cols)
    waived = findings[findings["waived"].fillna(False).astype(bool)].copy()
    today = today or dt.date.today()

    def days_left(value) -> int | None:
        if not isinstance(value, str) or not value:
            return None
        return (dt.date.fromisoformat(value) - today).days

    waived["days_left"] = waived["waiver_expires"].map(days_left)
    return waived[cols].sort_values(["waiver_expires", "rule_id"], na_position="last").reset_index(drop=True)


def findings_by_rule(findings: pd.DataFrame) -> pd.DataFrame:
    """Unwaived findings per rule with category and severity, most frequent first."""
    active = _active(findings)
    if active.empty:
        return pd.DataFrame(columns=["rule_id", "category", "severity", "findings"])
    grouped = active.groupby(["rule_id", "category", "severity"]).size().reset_index(name="findings")
    return grouped.sort_values(["findings", "rule_id"], ascending=[False, True]).reset_index(drop=True)
