"""Figures for the blocks section (10_blocks). Inputs are RepoInventory frames."""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from auditkit.analytics import blocks as B

IDEAL_FILL = "rgba(46, 160, 67, 0.12)"
from auditkit.plots.style import LIMIT_COLOR


def _mark_size_bands(fig: go.Figure, axis: str = "x") -> go.Figure:
    low, high = B.IDEAL_LINES
    if axis == "x":
        fig.add_vrect(x0=low, x1=high, fillcolor=IDEAL_FILL, line_width=0,
                      annotation_text="ideal 50-200", annotation_position="top left")
        fig.add_vline(x=B.MAX_LINES, line_dash="dash", line_color=LIMIT_COLOR,
                      annotation_text="max 500", annotation_position="top right")
    else:
        fig.add_hrect(y0=low, y1=high, fillcolor=IDEAL_FILL, line_width=0,
                      annotation_text="ideal 50-200", annotation_position="top left")
        fig.add_hline(y=B.MAX_LINES, line_dash="dash", line_color=LIMIT_COLOR,
                      annotation_text="max 500", annotation_position="top right")
    return fig


def size_histogram(block_files: pd.DataFrame, bin_lines: int = 25) -> go.Figure:
    """Lines of code per block file, against the guide's ideal band and maximum.

    Binned here rather than in the browser, so the page carries one number per bin and block
    type however many files the repo has."""
    files = B.code_files(block_files)
    top = max(int(files["lines_code"].max() or 0) if len(files) else 0, B.MAX_LINES) + bin_lines
    edges = np.arange(0, top + bin_lines, bin_lines)
    fig = go.Figure()
    for block_type, group in files.groupby("block_type"):
        counts, _ = np.histogram(group["lines_code"].astype(float), bins=edges)
        fig.add_trace(go.Bar(x=edges[:-1] + bin_lines / 2, y=counts, width=bin_lines, name=block_type,
                             customdata=np.stack([edges[:-1], edges[1:] - 1], axis=-1),
                             hovertemplate="%{customdata[0]}-%{customdata[1]} lines: %{y} files"))
    fig.update_layout(barmode="stack", title="Block sizes (lines of code)", bargap=0.05,
                      xaxis_title="lines of code", yaxis_title="block files", legend_title="block type")
    return _mark_size_bands(fig, "x")


def largest_blocks(block_files: pd.DataFrame, n: int = 15) -> go.Figure:
    top = B.largest_blocks(block_files, n).iloc[::-1]
    fig = px.bar(top, x="lines_code", y="path", orientation="h", color="block_type",
                 labels={"lines_code": "lines of code", "path": ""},
                 title=f"The {len(top)} largest blocks")
    fig.update_layout(height=max(300, 28 * len(top) + 120), yaxis={"categoryorder": "total ascending"})
    return _mark_size_bands(fig, "x")


def sizes_by_type(block_files: pd.DataFrame) -> go.Figure:
    """Box per block type from precomputed quartiles (whiskers at 1.5 IQR, the largest file marked)."""
    files = B.code_files(block_files)
    fig = go.Figure()
    for block_type, group in files.groupby("block_type"):
        values = group["lines_code"].astype(float)
        q1, median, q3 = values.quantile([0.25, 0.5, 0.75])
        low = max(values.min(), q1 - 1.5 * (q3 - q1))
        high = min(values.max(), q3 + 1.5 * (q3 - q1))
        fig.add_trace(go.Box(x=[block_type], q1=[q1], median=[median], q3=[q3], lowerfence=[low],
                             upperfence=[high], name=block_type, boxpoints=False))
        fig.add_trace(go.Scatter(x=[block_type], y=[values.max()], mode="markers", showlegend=False,
                                 marker={"symbol": "x", "size": 9},
                                 hovertemplate=f"largest {block_type}: %{{y}} lines<extra></extra>"))
    fig.update_layout(title="Block size by block type", yaxis_title="lines of code",
                      xaxis_title="block type", showlegend=False)
    return _mark_size_bands(fig, "y")


def sizes_by_pipeline(blocks: pd.DataFrame, block_files: pd.DataFrame, top: int = 25) -> go.Figure:
    """Box of block sizes per pipeline; the ``top`` pipelines with the most code when there are many."""
    sizes = B.block_sizes_by_pipeline(blocks, block_files)
    keep = sizes.groupby("pipeline")["lines_code"].sum().nlargest(top).index
    sizes = sizes[sizes["pipeline"].isin(keep)]
    title = "Block size by pipeline" + (f" (top {top} by total code)" if len(keep) == top else "")
    fig = px.box(sizes, x="pipeline", y="lines_code", points="all" if len(sizes) <= 2000 else "outliers",
                 hover_data=["block"],
                 labels={"lines_code": "lines of code"}, title=title)
    fig.update_xaxes(tickangle=-30)
    return _mark_size_bands(fig, "y")


def blocks_per_pipeline(pipelines: pd.DataFrame, band: tuple[int, int] = (10, 30), top: int = 40) -> go.Figure:
    data = B.blocks_per_pipeline(pipelines).head(top).iloc[::-1]
    fig = px.bar(data, x="n_blocks", y="pipeline", color="type", orientation="h",
                 labels={"n_blocks": "executable blocks", "pipeline": ""},
                 title="Blocks per pipeline" + (f" (top {top})" if len(pipelines) > top else ""))
    fig.add_vrect(x0=band[0], x1=band[1], fillcolor=IDEAL_FILL, line_width=0,
                  annotation_text=f"recommended {band[0]}-{band[1]}", annotation_position="top left")
    fig.update_layout(height=max(300, 26 * len(data) + 120))
    return fig


def coverage_by_type(block_files: pd.DataFrame) -> go.Figure:
    cov = B.coverage_by_type(block_files)
    long = cov.melt(id_vars=["block_type", "files"], value_vars=["with_tests", "with_docstring"],
                    var_name="measure", value_name="share")
    fig = px.bar(long, x="block_type", y="share", color="measure", barmode="group",
                 hover_data=["files"], labels={"share": "share of Python block files", "block_type": "block type"},
                 title="Test and docstring coverage by block type")
    fig.update_yaxes(range=[0, 1], tickformat=".0%")
    return fig


def naming_by_type(block_files: pd.DataFrame) -> go.Figure:
    data = B.naming_by_type(block_files).melt(id_vars=["block_type", "files"], value_vars=["follow", "break"],
                                              var_name="naming", value_name="count")
    fig = px.bar(data, x="block_type", y="count", color="naming",
                 color_discrete_map={"follow": "#2da44e", "break": LIMIT_COLOR},
                 labels={"count": "block files", "block_type": "block type"},
                 title="Naming convention (load_ / transform_ / export_)")
    return fig


def subfolder_depths(block_files: pd.DataFrame) -> go.Figure:
    data = B.subfolder_depths(block_files)
    data["subfolder_depth"] = data["subfolder_depth"].astype(str)
    fig = px.bar(data, x="subfolder_depth", y="files", color="block_type",
                 labels={"subfolder_depth": "subfolder levels below the type folder", "files": "block files"},
                 title="Subfolder organisation (guide: 1-2 levels at most)")
    return fig
