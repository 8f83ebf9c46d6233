"""Figures and side-by-side tables for the environment drift section (90_drift).

Inputs are the frames of a :class:`auditkit.drift.result.DriftResult` (passed as the result
object); nothing here reads files or computes findings. Figures stay readable on big repos:
the matrix shows at most ``MAX_MATRIX_ROWS`` pipelines (those that differ most), bar charts
aggregate.
"""
from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from auditkit.plots.style import ACCENT, BAD, GOOD, NEUTRAL

MAX_MATRIX_ROWS = 60
MAX_HISTORY_PIPELINES = 25
# Matrix cells: what a pipeline is in an environment, against production.
CELL_STATES = ("in production", "same as production", "differs from production", "not in production", "absent")
CELL_COLORS = ("#1f6f3f", GOOD, "#e8912d", ACCENT, "#e6e8eb")
_STATE_CELL = {"reference": 0, "same": 1, "differs": 2, "new": 3, "absent": 4}
KIND_COLORS = {"direct commit": BAD, "other merge": NEUTRAL, "merge": NEUTRAL, "commit": "#6e7781"}


def _empty(title: str, note: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=note, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_layout(title=title, xaxis_visible=False, yaxis_visible=False)
    return fig


def _discrete_scale(colors: tuple[str, ...]) -> list:
    n = len(colors)
    scale = []
    for i, color in enumerate(colors):
        scale += [[i / n, color], [(i + 1) / n, color]]
    return scale


def matrix_frame(result) -> pd.DataFrame:
    """Pipelines x environments: one row per pipeline, one column per environment holding the
    cell state (see :data:`CELL_STATES`), plus ``differing`` (environments not the same as
    production) for ordering."""
    pipes = result.pipelines
    envs = result.env_names
    if pipes.empty:
        return pd.DataFrame(columns=["project", "pipeline", *envs, "differing"])
    cells = pipes.assign(cell=pipes["state"].map(_STATE_CELL).map(lambda i: CELL_STATES[i]),
                         label=pipes["project"] + " / " + pipes["pipeline"])
    wide = cells.pivot_table(index=["project", "pipeline"], columns="env", values="cell", aggfunc="first")
    wide = wide.reindex(columns=envs).reset_index().rename_axis(None, axis=1)
    wide["differing"] = sum((wide[e] != CELL_STATES[0]) & (wide[e] != CELL_STATES[1]) for e in envs)
    return wide.sort_values(["differing", "project", "pipeline"], ascending=[False, True, True], ignore_index=True)


def pipeline_matrix(result, max_rows: int = MAX_MATRIX_ROWS) -> go.Figure:
    """Heatmap of pipelines x environments: present in production, the same as production,
    different, not in production, or absent. Pipelines that differ most come first; on big
    repos only the first ``max_rows`` are drawn (the title says how many differ)."""
    wide = matrix_frame(result)
    envs = result.env_names
    if wide.empty:
        return _empty("Pipelines by environment", "no pipelines in any environment")
    differing = int((wide["differing"] > 0).sum())
    shown = wide[wide["differing"] > 0].head(max_rows) if differing else wide.head(max_rows)
    detail = result.pipelines.set_index(["project", "pipeline", "env"])["differs_in"].to_dict()
    labels = [f"{p}" if result.pipelines["project"].nunique() == 1 else f"{j} / {p}"
              for j, p in zip(shown["project"], shown["pipeline"])]
    z = [[CELL_STATES.index(row[e]) for e in envs] for _, row in shown.iterrows()]
    text = [[f"{row[e]}" + (f": {detail.get((row['project'], row['pipeline'], e))}"
                            if detail.get((row['project'], row['pipeline'], e)) else "") for e in envs]
            for _, row in shown.iterrows()]
    n = len(CELL_STATES)
    fig = go.Figure(go.Heatmap(
        z=z, x=envs, y=labels, text=text, hovertemplate="%{y} in %{x}: %{text}<extra></extra>",
        zmin=-0.5, zmax=n - 0.5, colorscale=_discrete_scale(CELL_COLORS), xgap=2, ygap=2,
        colorbar={"tickvals": list(range(n)), "ticktext": list(CELL_STATES), "title": ""}))
    total = len(wide)
    note = (f"{differing} of {total} pipelines differ from production somewhere"
            + (f"; the {len(shown)} that differ most shown" if differing > len(shown) else ""))
    fig.update_layout(title=f"Pipelines by environment ({note})", xaxis_title="environment (promotion order)",
                      yaxis={"autorange": "reversed", "title": ""}, height=max(320, 120 + 22 * len(shown)))
    return fig


def state_counts(result) -> pd.DataFrame:
    """``env, state, pipelines``: how many pipelines of each cell state per environment."""
    wide = matrix_frame(result)
    if wide.empty:
        return pd.DataFrame(columns=["env", "state", "pipelines"])
    long = wide.melt(id_vars=["project", "pipeline"], value_vars=result.env_names, var_name="env", value_name="state")
    return long.groupby(["env", "state"], sort=False).size().rename("pipelines").reset_index()


def state_chart(result) -> go.Figure:
    """Stacked bars per environment: pipelines the same as production, different, missing."""
    counts = state_counts(result)
    if counts.empty:
        return _empty("Pipelines against production", "no pipelines")
    fig = px.bar(counts, x="env", y="pipelines", color="state", category_orders={"state": list(CELL_STATES),
                                                                                  "env": result.env_names},
                 color_discrete_map=dict(zip(CELL_STATES, CELL_COLORS)), title="Pipelines against production")
    fig.update_layout(barmode="stack", xaxis_title="environment (promotion order)", yaxis_title="pipelines")
    return fig


def side_by_side(frame: pd.DataFrame, keys: list[str], value: str, envs: list[str]) -> pd.DataFrame:
    """A long comparison frame (keys, env, value) as one row per key and one column per
    environment, in promotion order: the difference tables of the section."""
    if frame is None or frame.empty:
        return pd.DataFrame(columns=[*keys, *envs])
    wide = frame.pivot_table(index=keys, columns="env", values=value, aggfunc="first")
    return wide.reindex(columns=[e for e in envs if e in wide.columns]).reset_index().rename_axis(None, axis=1)


def highlight(table: pd.DataFrame, envs: list[str], reference: str | None):
    """``table`` (from :func:`side_by_side`) styled: an environment's cell that differs from the
    reference environment's is marked."""
    if table.empty or not reference or reference not in table.columns:
        return table
    columns = [e for e in envs if e in table.columns and e != reference]

    def mark(row: pd.Series) -> list[str]:
        return ["background-color: #fff1e0" if c in columns and row[c] != row[reference] else ""
                for c in table.columns]
    return table.style.apply(mark, axis=1).hide(axis="index")


def promotion_chart(result) -> go.Figure:
    """Per promotion step: commits waiting to be promoted and commits that skipped the step."""
    steps = result.promotion[result.promotion["status"] == "compared"]
    if steps.empty:
        return _empty("Promotion state", "no two consecutive environments are git refs")
    labels = steps["from_env"] + " -> " + steps["to_env"]
    fig = go.Figure([
        go.Bar(name="waiting to be promoted", x=labels, y=steps["waiting"], marker_color=ACCENT),
        go.Bar(name="skipped the earlier environment", x=labels, y=steps["bypassed"], marker_color=BAD),
    ])
    fig.update_layout(barmode="group", title="Promotion state: commits waiting and commits that skipped a step",
                      xaxis_title="promotion step", yaxis_title="commits")
    return fig


def _kind_color(kind: str) -> str:
    if kind.startswith("promotion"):
        return GOOD
    if kind.startswith("arrived"):
        return "#8fd19e"
    return KIND_COLORS.get(kind, NEUTRAL)


def promotion_timeline(result) -> go.Figure:
    """Each environment's newest commits over time: promotions (merges bringing in the previous
    environment), commits that arrived with it, direct commits (hotfixes) and other merges."""
    timeline = result.timeline
    if timeline.empty:
        return _empty("Promotion timeline", "no git environments")
    fig = go.Figure()
    for kind, group in timeline.groupby("kind", sort=True):
        fig.add_trace(go.Scatter(
            x=group["date"], y=group["env"], mode="markers", name=kind,
            marker={"color": _kind_color(kind), "size": 11 if kind.startswith(("promotion", "direct")) else 7,
                    "symbol": "diamond" if kind.startswith("promotion") else "circle"},
            text=group["sha"].str[:8] + " " + group["subject"].astype(str),
            hovertemplate="%{y} %{x|%Y-%m-%d}: %{text}<extra>" + kind + "</extra>"))
    fig.update_layout(title="Promotion timeline (newest commits of each environment's first-parent line)",
                      xaxis_title="commit date", yaxis={"categoryorder": "array", "categoryarray": result.env_names,
                                                        "title": "environment"})
    return fig


def code_chart(result) -> go.Figure:
    """Block code files that differ per promotion step, split by kind of change."""
    code = result.code
    if code.empty:
        return _empty("Block code that differs", "block code is the same in every environment")
    kind = code["change"].where(code["change"] == "modified", "only in one")
    counts = code.assign(step=code["from_env"] + " -> " + code["to_env"], kind=kind) \
        .groupby(["step", "kind"]).size().rename("files").reset_index()
    fig = px.bar(counts, x="step", y="files", color="kind", barmode="stack", title="Block code files that differ",
                 color_discrete_map={"modified": "#e8912d", "only in one": ACCENT})
    fig.update_layout(xaxis_title="promotion step", yaxis_title="files")
    return fig


def history_chart(result) -> go.Figure:
    """Failure rate per pipeline and environment (the pipelines with most runs)."""
    hist = result.history
    if hist is None or hist.empty:
        return _empty("Run history side by side", "no run history given for any environment")
    top = hist.groupby("pipeline")["runs"].sum().nlargest(MAX_HISTORY_PIPELINES).index
    shown = hist[hist["pipeline"].isin(top)]
    fig = px.bar(shown, x="pipeline", y="failure_rate", color="env", barmode="group",
                 category_orders={"env": result.env_names},
                 hover_data=["runs", "failed", "duration_p50_s", "duration_p95_s"],
                 title="Failure rate per pipeline and environment")
    fig.update_layout(xaxis_title="pipeline", yaxis_title="failed / finished runs", yaxis_tickformat=".0%")
    return fig
