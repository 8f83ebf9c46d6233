"""Figures and tables for the pipelines section (20_pipelines). Inputs are RepoInventory frames
and the audit's findings; limits drawn on the charts are the audit's (auditkit/limits.py)."""
from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from auditkit.limits import Limits
from auditkit.plots.style import BLOCK_TYPE_COLORS, LIMIT_COLOR, PIPELINE_TYPE_COLORS, color_map

DEFAULT_EXECUTOR = "local_python (default)"

STRUCTURE_COLUMNS = ["project", "pipeline", "pipeline_type", "n_blocks", "depth", "max_width", "n_edges", "has_cycle",
                     "n_dangling", "executor_type", "run_pipeline_in_one_process", "tags", "within_limits",
                     "naming_ok", "tags_ok", "findings"]


def _rule_pipelines(findings: pd.DataFrame | None, rule_ids: tuple[str, ...]) -> set[tuple]:
    if findings is None or findings.empty:
        return set()
    hit = findings[findings["rule_id"].isin(rule_ids)]
    return set(zip(hit["project"], hit["pipeline"]))


def pipeline_structure(pipelines: pd.DataFrame, findings: pd.DataFrame | None = None,
                       limits: Limits | None = None) -> pd.DataFrame:
    """One row per pipeline: size and graph measures, executor, tags, and whether it is within
    the guide's limits; ``naming_ok`` / ``tags_ok`` and ``findings`` come from the audit's findings
    (MAGE-PIP-001, MAGE-PIP-002/003) so the table and the rules never disagree."""
    if pipelines.empty:
        return pd.DataFrame(columns=STRUCTURE_COLUMNS)
    frame = pipelines.copy()
    bad_names = _rule_pipelines(findings, ("MAGE-PIP-001",))
    bad_tags = _rule_pipelines(findings, ("MAGE-PIP-002", "MAGE-PIP-003"))
    keys = list(zip(frame["project"], frame["pipeline"]))
    frame["naming_ok"] = [k not in bad_names for k in keys]
    frame["tags_ok"] = [k not in bad_tags for k in keys]
    per_pipeline = (findings.groupby(["project", "pipeline"]).size()
                    if findings is not None and not findings.empty else pd.Series(dtype=int))
    frame["findings"] = [int(per_pipeline.get(k, 0)) for k in keys]
    frame["executor_type"] = frame["executor_type"].fillna(DEFAULT_EXECUTOR)
    n_blocks = pd.to_numeric(frame["n_blocks"], errors="coerce")
    limits = limits or Limits()
    frame["within_limits"] = (n_blocks.between(*limits.pipeline_blocks)
                              & (pd.to_numeric(frame["depth"], errors="coerce") <= limits.pipeline_max_depth)
                              & (pd.to_numeric(frame["max_width"], errors="coerce") <= limits.pipeline_max_width)
                              & ~frame["has_cycle"].fillna(False).astype(bool))
    return frame.reindex(columns=STRUCTURE_COLUMNS).sort_values(["project", "pipeline"]).reset_index(drop=True)


def depth_width(pipelines: pd.DataFrame, limits: Limits | None = None) -> go.Figure:
    """Each pipeline as a point: dependency depth against widest parallel level, sized by blocks."""
    limits = limits or Limits()
    depth_limit, width_limit = limits.pipeline_max_depth, limits.pipeline_max_width
    data = pipelines.dropna(subset=["depth", "max_width"]).copy()
    data["blocks"] = pd.to_numeric(data["n_blocks"], errors="coerce").fillna(0).clip(lower=1)
    fig = px.scatter(data, x="max_width", y="depth", size="blocks", color="pipeline_type", hover_name="pipeline",
                     color_discrete_map=color_map(data["pipeline_type"], PIPELINE_TYPE_COLORS),
                     labels={"max_width": "parallel branches (widest level)", "depth": "dependency depth (levels)"},
                     title="Pipeline shape: depth and parallel branches")
    fig.add_hline(y=depth_limit, line_dash="dash", line_color=LIMIT_COLOR, annotation_text=f"max depth {depth_limit}")
    fig.add_vline(x=width_limit, line_dash="dash", line_color=LIMIT_COLOR, annotation_text=f"max branches {width_limit}")
    return fig


def type_counts(pipelines: pd.DataFrame) -> pd.DataFrame:
    """Pipelines per type (python = batch, integration, streaming, ...)."""
    counts = pipelines["pipeline_type"].fillna("unknown").value_counts()
    return counts.rename_axis("pipeline_type").reset_index(name="pipelines")


def types_figure(pipelines: pd.DataFrame) -> go.Figure:
    """Pipelines per type (python, streaming, integration...)."""
    counts = type_counts(pipelines)
    return px.bar(counts, x="pipeline_type", y="pipelines", text="pipelines", title="Pipelines by type",
                  color="pipeline_type", color_discrete_map=color_map(counts["pipeline_type"], PIPELINE_TYPE_COLORS))


def executor_counts(pipelines: pd.DataFrame) -> pd.DataFrame:
    """Pipelines per executor type and ``run_pipeline_in_one_process`` setting."""
    frame = pd.DataFrame({
        "executor_type": pipelines["executor_type"].fillna(DEFAULT_EXECUTOR),
        "one_process": pipelines["run_pipeline_in_one_process"].map(
            lambda v: "not set" if v is None or pd.isna(v) else ("true" if v else "false")),
    })
    return frame.value_counts().rename("pipelines").reset_index().sort_values(["executor_type", "one_process"])


def executors_figure(pipelines: pd.DataFrame) -> go.Figure:
    """Pipelines per executor type (local_python, k8s, ecs...)."""
    return px.bar(executor_counts(pipelines), x="executor_type", y="pipelines", color="one_process",
                  title="Executors (colour: run_pipeline_in_one_process)",
                  labels={"executor_type": "executor", "one_process": "one process"})


def block_types_by_pipeline(blocks: pd.DataFrame) -> pd.DataFrame:
    """Block entries per pipeline and block type (all sections: blocks, callbacks, conditionals...)."""
    if blocks.empty:
        return pd.DataFrame(columns=["pipeline", "block_type", "blocks"])
    return blocks.groupby(["pipeline", "block_type"]).size().reset_index(name="blocks")


def block_types_figure(blocks: pd.DataFrame, top: int = 30) -> go.Figure:
    """Stacked block types of the ``top`` pipelines with the most blocks (all when fewer)."""
    data = block_types_by_pipeline(blocks)
    biggest = data.groupby("pipeline")["blocks"].sum().nlargest(top).index
    shown = data[data["pipeline"].isin(biggest)]
    title = "Block types per pipeline" + (f" (top {top} by block count)" if data["pipeline"].nunique() > top else "")
    fig = px.bar(shown, x="blocks", y="pipeline", color="block_type", orientation="h",
                 color_discrete_map=color_map(shown["block_type"], BLOCK_TYPE_COLORS),
                 title=title, labels={"pipeline": ""})
    fig.update_layout(barmode="stack", height=max(300, 26 * shown["pipeline"].nunique() + 140))
    return fig


def tag_usage(pipelines: pd.DataFrame) -> pd.DataFrame:
    """Each tag with the number of pipelines using it and whether it is lowercase_with_underscores."""
    tags = pipelines[["pipeline", "tags"]].explode("tags").dropna(subset=["tags"])
    if tags.empty:
        return pd.DataFrame(columns=["tag", "pipelines", "format_ok"])
    usage = tags.groupby("tags")["pipeline"].nunique().rename_axis("tag").reset_index(name="pipelines")
    usage["format_ok"] = usage["tag"].astype(str).str.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)*")
    return usage.sort_values(["pipelines", "tag"], ascending=[False, True]).reset_index(drop=True)


def tags_figure(pipelines: pd.DataFrame) -> go.Figure:
    """The most used pipeline tags and how many pipelines carry each."""
    usage = tag_usage(pipelines).head(40)       # the most used tags; a long tail is unreadable
    usage["format"] = usage["format_ok"].map({True: "lowercase_with_underscores", False: "other"})
    return px.bar(usage, x="tag", y="pipelines", color="format", title="Tags in use",
                  color_discrete_map={"lowercase_with_underscores": "#2da44e", "other": LIMIT_COLOR})
