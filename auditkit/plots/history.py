"""Figures for the run-history sections (30_concurrency, 40_retries, 50_backfills, 60_runs).

Inputs are the frames of :mod:`auditkit.analytics` (already aggregated), so figures stay
small at any history size; helpers keep the top-N pipelines/blocks and say so in the title.
An empty input gives an empty figure with a note instead of an error.
"""
from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from auditkit.plots.style import LIMIT_COLOR, STATUS_COLORS


def _empty(title: str, note: str = "no run history for this view") -> go.Figure:
    fig = go.Figure()
    fig.update_layout(title=title, xaxis_visible=False, yaxis_visible=False,
                      annotations=[dict(text=note, showarrow=False, x=0.5, y=0.5,
                                        xref="paper", yref="paper", font_size=14)])
    return fig


def _top(frame: pd.DataFrame, key: str, weight: str, n: int) -> list:
    return frame.groupby(key)[weight].sum().sort_values(ascending=False).head(n).index.tolist()


def concurrency_timeline(timeline: pd.DataFrame, overview: pd.DataFrame | None = None,
                         top_n: int = 6) -> go.Figure:
    """Pipeline runs in flight over time (per bucket) for the busiest pipelines, each with its
    tightest configured run limit as a dashed line."""
    title = "Concurrent pipeline runs over time"
    if timeline is None or timeline.empty:
        return _empty(title)
    keep = _top(timeline, "pipeline", "running", top_n)
    data = timeline[timeline["pipeline"].isin(keep)]
    fig = px.line(data, x="bucket", y="running", color="pipeline", line_shape="hv",
                  labels={"bucket": "time (UTC)", "running": "runs in flight"},
                  title=f"{title} (top {len(keep)} pipelines)")
    if overview is not None and not overview.empty and "effective_run_limit" in overview:
        limits = overview.set_index("pipeline")["effective_run_limit"].dropna()
        for pipeline in keep:
            if pipeline in limits.index:
                fig.add_hline(y=float(limits[pipeline]), line_dash="dash", line_color=LIMIT_COLOR,
                              annotation_text=f"limit {int(limits[pipeline])}: {pipeline}",
                              annotation_position="top left")
    return fig


def peaks_vs_limits(overview: pd.DataFrame) -> go.Figure:
    """Observed peak concurrent pipeline runs per pipeline next to the configured limit."""
    title = "Peak concurrent runs vs configured limit"
    if overview is None or overview.empty or overview["peak_pipeline_runs"].dropna().empty:
        return _empty(title)
    data = overview.dropna(subset=["peak_pipeline_runs"]).sort_values("peak_pipeline_runs")
    fig = go.Figure()
    fig.add_bar(y=data["pipeline"], x=data["peak_pipeline_runs"], orientation="h",
                name="observed peak", marker_color="#0969da")
    limited = data.dropna(subset=["effective_run_limit"])
    fig.add_scatter(y=limited["pipeline"], x=limited["effective_run_limit"], mode="markers",
                    marker=dict(symbol="line-ns-open", size=24, color=LIMIT_COLOR, line_width=3),
                    name="configured limit")
    fig.update_layout(title=title, xaxis_title="concurrent pipeline runs", yaxis_title="")
    return fig


def retry_attempts(retries: pd.DataFrame, top_n: int = 15) -> go.Figure:
    """Retries per block, split by mechanism: automatic (logs), retried block runs, plus
    final failures, for the blocks that retried most."""
    title = "Retries per block"
    if retries is None or retries.empty:
        return _empty(title)
    data = retries.assign(label=retries["pipeline"] + " / " + retries["block"],
                          total=retries["log_retries"] + retries["retried_block_runs"] + retries["failed"])
    data = data[data["total"] > 0].sort_values("total", ascending=False).head(top_n).iloc[::-1]
    if data.empty:
        return _empty(title, "no retries or failures recorded")
    fig = go.Figure()
    for column, name, color in (("log_retries", "automatic retries (logs)", "#bf8700"),
                                ("retried_block_runs", "manually retried block runs", "#8250df"),
                                ("failed", "failed block runs", LIMIT_COLOR)):
        fig.add_bar(y=data["label"], x=data[column], orientation="h", name=name, marker_color=color)
    fig.update_layout(barmode="stack", title=f"{title} (top {len(data)})", xaxis_title="count",
                      height=max(350, 28 * len(data) + 150))
    return fig


def backfill_progress(inventory: pd.DataFrame) -> go.Figure:
    """Each backfill's runs by outcome against its expected number of intervals."""
    title = "Backfill progress"
    if inventory is None or inventory.empty:
        return _empty(title, "no backfills")
    data = inventory.assign(label=inventory["name"].astype(str) + " (" + inventory["pipeline"].astype(str) + ")")
    fig = go.Figure()
    for column, name, status in (("completed_runs", "completed", "COMPLETED"), ("failed_runs", "failed", "FAILED"),
                                 ("running_runs", "running", "RUNNING"), ("pending_runs", "pending", "INITIAL"),
                                 ("cancelled_runs", "cancelled", "CANCELLED")):
        fig.add_bar(y=data["label"], x=data[column], orientation="h", name=name,
                    marker_color=STATUS_COLORS[status])
    expected = data.dropna(subset=["expected_runs"])
    fig.add_scatter(y=expected["label"], x=expected["expected_runs"], mode="markers", name="expected intervals",
                    marker=dict(symbol="line-ns-open", size=24, color="black", line_width=3))
    fig.update_layout(barmode="stack", title=title, xaxis_title="pipeline runs")
    return fig


def duration_trend(trend: pd.DataFrame, top_n: int = 8) -> go.Figure:
    """Median (p50) run duration per period for the pipelines with the most runs."""
    title = "Run duration trend (p50)"
    if trend is None or trend.empty:
        return _empty(title)
    keep = _top(trend, "pipeline", "n", top_n)
    data = trend[trend["pipeline"].isin(keep)].assign(p50_min=lambda f: f["p50_s"] / 60)
    fig = px.line(data, x="period", y="p50_min", color="pipeline", markers=True,
                  labels={"period": "period start", "p50_min": "p50 duration (minutes)"},
                  title=f"{title}, top {len(keep)} pipelines by runs")
    fig.update_yaxes(type="log")
    return fig


def outcomes_over_time(outcomes: pd.DataFrame) -> go.Figure:
    """Pipeline runs per period stacked by outcome, all pipelines together."""
    title = "Run outcomes over time"
    if outcomes is None or outcomes.empty:
        return _empty(title)
    data = outcomes.groupby(["period", "status"], as_index=False)["runs"].sum()
    fig = px.bar(data, x="period", y="runs", color="status", color_discrete_map=STATUS_COLORS,
                 labels={"period": "period", "runs": "pipeline runs"}, title=title)
    fig.update_layout(barmode="stack")
    return fig


def success_rate(health: pd.DataFrame) -> go.Figure:
    """Success rate (completed / finished) per pipeline, worst first."""
    title = "Success rate per pipeline"
    if health is None or health.empty or health["success_rate"].dropna().empty:
        return _empty(title)
    data = health.dropna(subset=["success_rate"]).sort_values("success_rate", ascending=False)
    fig = px.bar(data, x="success_rate", y="pipeline", orientation="h", range_x=[0, 1],
                 labels={"success_rate": "completed / (completed + failed)", "pipeline": ""},
                 title=title, text_auto=".0%")
    return fig


def retry_config_summary(config: pd.DataFrame) -> pd.DataFrame:
    """Executable blocks grouped by effective retry settings and where they come from (a few
    rows in place of one row per block)."""
    cols = ["source", "retries", "delay", "max_delay", "exponential_backoff"]
    if config.empty:
        return pd.DataFrame(columns=[*cols, "blocks", "pipelines"])
    keyed = config.assign(**{c: config[c].astype(object).where(config[c].notna(), None) for c in cols})
    grouped = keyed.groupby(cols, dropna=False).agg(blocks=("block", "size"), pipelines=("pipeline", "nunique"))
    return grouped.reset_index().sort_values("blocks", ascending=False).reset_index(drop=True)
