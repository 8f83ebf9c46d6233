"""Figures for the blocks section (10_blocks). Inputs are RepoInventory frames."""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from auditkit.analytics import blocks as B
from auditkit.limits import Limits
from auditkit.plots.style import BLOCK_TYPE_COLORS, IDEAL_FILL, LIMIT_COLOR, PIPELINE_TYPE_COLORS, color_map


def _mark_size_bands(fig: go.Figure, axis: str = "x", limits: Limits | None = None) -> go.Figure:
    """The ideal band and the maximum of ``limits`` (the audit's; default the guide's)."""
    limits = limits or Limits()
    low, high = limits.block_ideal
    ideal, top = f"ideal {low}-{high}", f"max {limits.block_max}"
    if axis == "x":
        fig.add_vrect(x0=low, x1=high, fillcolor=IDEAL_FILL, line_width=0,
                      annotation_text=ideal, annotation_position="top left")
        fig.add_vline(x=limits.block_max, line_dash="dash", line_color=LIMIT_COLOR,
                      annotation_text=top, annotation_position="top right")
    else:
        fig.add_hrect(y0=low, y1=high, fillcolor=IDEAL_FILL, line_width=0,
                      annotation_text=ideal, annotation_position="top left")
        fig.add_hline(y=limits.block_max, line_dash="dash", line_color=LIMIT_COLOR,
                      annotation_text=top, annotation_position="top right")
    return fig


def block_colors(values) -> dict[str, str]:
    """The one colour of each block type in ``values`` (the same on every page)."""
    return color_map(values, BLOCK_TYPE_COLORS)


def size_histogram(block_files: pd.DataFrame, bin_lines: int = 25, limits: Limits | None = None) -> go.Figure:
    """Lines of code per block file, against the ideal band and maximum of ``limits``.

    Binned here rather than in the browser, so the page carries one number per bin and block
    type however many files the repo has."""
    limits = limits or Limits()
    files = B.code_files(block_files)
    top = max(int(files["lines_code"].max() or 0) if len(files) else 0, limits.block_max) + bin_lines
    edges = np.arange(0, top + bin_lines, bin_lines)
    fig = go.Figure()
    for block_type, group in files.groupby("block_type"):
        counts, _ = np.histogram(group["lines_code"].astype(float), bins=edges)
        fig.add_trace(go.Bar(x=edges[:-1] + bin_lines / 2, y=counts, width=bin_lines, name=block_type,
                             marker_color=block_colors([block_type])[block_type],
                             customdata=np.stack([edges[:-1], edges[1:] - 1], axis=-1),
                             hovertemplate="%{customdata[0]}-%{customdata[1]} lines: %{y} files"))
    fig.update_layout(barmode="stack", title="Block sizes (lines of code)", bargap=0.05,
                      xaxis_title="lines of code", yaxis_title="block files", legend_title="block type")
    return _mark_size_bands(fig, "x", limits)


def largest_blocks(block_files: pd.DataFrame, n: int = 15, limits: Limits | None = None) -> go.Figure:
    """Bar chart of the ``n`` largest block files against the size limit (``limits`` from
    auditkit.yaml, else the guide's)."""
    top = B.largest_blocks(block_files, n).iloc[::-1]
    fig = px.bar(top, x="lines_code", y="path", orientation="h", color="block_type",
                 color_discrete_map=block_colors(top["block_type"]),
                 labels={"lines_code": "lines of code", "path": "", "block_type": "block type"},
                 title=f"The {len(top)} largest blocks")
    fig.update_layout(height=max(300, 28 * len(top) + 120), yaxis={"categoryorder": "total ascending"})
    return _mark_size_bands(fig, "x", limits)


def sizes_by_type(block_files: pd.DataFrame, limits: Limits | None = None) -> go.Figure:
    """Box per block type from precomputed quartiles (whiskers at 1.5 IQR, the largest file marked)."""
    files = B.code_files(block_files)
    fig = go.Figure()
    for block_type, group in files.groupby("block_type"):
        values = group["lines_code"].astype(float)
        q1, median, q3 = values.quantile([0.25, 0.5, 0.75])
        low = max(values.min(), q1 - 1.5 * (q3 - q1))
        high = min(values.max(), q3 + 1.5 * (q3 - q1))
        fig.add_trace(go.Box(x=[block_type], q1=[q1], median=[median], q3=[q3], lowerfence=[low],
                             upperfence=[high], name=block_type, boxpoints=False,
                             marker_color=block_colors([block_type])[block_type]))
        fig.add_trace(go.Scatter(x=[block_type], y=[values.max()], mode="markers", showlegend=False,
                                 marker={"symbol": "x", "size": 9},
                                 hovertemplate=f"largest {block_type}: %{{y}} lines<extra></extra>"))
    fig.update_layout(title="Block size by block type", yaxis_title="lines of code",
                      xaxis_title="block type", showlegend=False)
    return _mark_size_bands(fig, "y", limits)


def sizes_by_pipeline(blocks: pd.DataFrame, block_files: pd.DataFrame, top: int = 25,
                      limits: Limits | None = None) -> go.Figure:
    """Box of block sizes per pipeline; the ``top`` pipelines with the most code when there are many."""
    sizes = B.block_sizes_by_pipeline(blocks, block_files)
    keep = sizes.groupby("pipeline")["lines_code"].sum().nlargest(top).index
    sizes = sizes[sizes["pipeline"].isin(keep)]
    title = "Block size by pipeline" + (f" (top {top} by total code)" if len(keep) == top else "")
    fig = px.box(sizes, x="pipeline", y="lines_code", points="all" if len(sizes) <= 400 else "outliers",
                 hover_data=["block"],
                 labels={"lines_code": "lines of code"}, title=title)
    fig.update_xaxes(tickangle=-30)
    return _mark_size_bands(fig, "y", limits)


def blocks_per_pipeline(pipelines: pd.DataFrame, band: tuple[int, int] | None = None, top: int = 40,
                        limits: Limits | None = None) -> go.Figure:
    """Bar chart of blocks per pipeline (the ``top`` largest) with the recommended band shaded
    (``band``, else auditkit.yaml's limits, else the guide's)."""
    band = band or (limits or Limits()).pipeline_blocks
    data = B.blocks_per_pipeline(pipelines).head(top).iloc[::-1]
    fig = px.bar(data, x="n_blocks", y="pipeline", color="pipeline_type", orientation="h",
                 color_discrete_map=color_map(data["pipeline_type"], PIPELINE_TYPE_COLORS),
                 labels={"n_blocks": "executable blocks", "pipeline": ""},
                 title="Blocks per pipeline" + (f" (top {top})" if len(pipelines) > top else ""))
    fig.add_vrect(x0=band[0], x1=band[1], fillcolor=IDEAL_FILL, line_width=0,
                  annotation_text=f"recommended {band[0]}-{band[1]}", annotation_position="top left")
    fig.update_layout(height=max(300, 26 * len(data) + 120))
    return fig


def coverage_by_type(block_files: pd.DataFrame) -> go.Figure:
    """Share of Python block files with a ``@test`` function and with a docstring, per block type."""
    cov = B.coverage_by_type(block_files)
    long = cov.melt(id_vars=["block_type", "files"], value_vars=["with_tests", "with_docstring"],
                    var_name="measure", value_name="share")
    fig = px.bar(long, x="block_type", y="share", color="measure", barmode="group",
                 hover_data=["files"], labels={"share": "share of Python block files", "block_type": "block type"},
                 title="Test and docstring coverage by block type")
    fig.update_yaxes(range=[0, 1], tickformat=".0%")
    return fig


def naming_by_type(block_files: pd.DataFrame) -> go.Figure:
    """Block files that follow or break their type's name prefix, per block type."""
    data = B.naming_by_type(block_files).melt(id_vars=["block_type", "files"], value_vars=["follow", "break"],
                                              var_name="naming", value_name="count")
    fig = px.bar(data, x="block_type", y="count", color="naming",
                 color_discrete_map={"follow": "#2da44e", "break": LIMIT_COLOR},
                 labels={"count": "block files", "block_type": "block type"},
                 title="Naming convention (load_ / transform_ / export_)")
    return fig


def subfolder_depths(block_files: pd.DataFrame) -> go.Figure:
    """Block files per subfolder depth, coloured by block type."""
    data = B.subfolder_depths(block_files)
    data["subfolder_depth"] = data["subfolder_depth"].astype(str)
    fig = px.bar(data, x="subfolder_depth", y="files", color="block_type",
                 color_discrete_map=block_colors(data["block_type"]),
                 labels={"subfolder_depth": "subfolder levels below the type folder", "files": "block files"},
                 title="Subfolder organisation (guide: 1-2 levels at most)")
    return fig
