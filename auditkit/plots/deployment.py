"""Figures (and the small frames behind them) for the deployment section (80_deployment):
environments in io_config and triggers, environment handling in block code, branches, commit
conventions and release tags. Inputs are RepoInventory frames and a GitInfo (or None)."""
from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from auditkit.analytics.git import branch_strategy, commit_conventions, direct_commits_to_main

from auditkit.plots.style import BAD, GOOD, NEUTRAL
EXPECTED_KINDS = ("main", "development", "staging", "feature")
ENV_VALUE_KINDS = ("env_var", "mage_secret_var", "aws_secret_var", "azure_secret_var")


def _empty(title: str, note: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=note, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_layout(title=title, xaxis_visible=False, yaxis_visible=False)
    return fig


# --- environments ---------------------------------------------------------------------------

def io_config_sources(io_config: pd.DataFrame) -> pd.DataFrame:
    """Settings per io_config profile and value source: ``project, profile, source, settings``
    (source: environment/secret, literal, placeholder or other)."""
    if io_config is None or io_config.empty:
        return pd.DataFrame(columns=["project", "profile", "source", "settings"])
    source = io_config["value_kind"].map(
        lambda k: "environment/secret" if k in ENV_VALUE_KINDS else k if k in ("literal", "placeholder") else "other")
    frame = io_config.assign(source=source).groupby(["project", "profile", "source"]).size()
    return frame.rename("settings").reset_index()


def io_config_profiles(io_config: pd.DataFrame) -> go.Figure:
    """Stacked bars per io_config profile: settings read from the environment or a secret store
    (good) against literals (connection targets written into the file)."""
    frame = io_config_sources(io_config)
    if frame.empty:
        return _empty("io_config.yaml profiles", "no io_config.yaml found")
    colors = {"environment/secret": GOOD, "literal": BAD, "placeholder": NEUTRAL, "other": "#bbbbbb"}
    fig = px.bar(frame, x="profile", y="settings", color="source", facet_col="project" if frame["project"].nunique() > 1 else None,
                 color_discrete_map=colors, title="io_config.yaml: where each profile's settings come from")
    fig.update_layout(barmode="stack", xaxis_title="profile", yaxis_title="settings")
    return fig


def trigger_envs(triggers: pd.DataFrame) -> pd.DataFrame:
    """Triggers per environment they sync to: ``env, active, inactive`` ('all (no envs)' when a
    trigger lists none, which Mage syncs everywhere)."""
    if triggers is None or triggers.empty:
        return pd.DataFrame(columns=["env", "active", "inactive"])
    rows = []
    for t in triggers.itertuples(index=False):
        envs = list(t.envs) if isinstance(t.envs, (list, tuple)) and t.envs else ["all (no envs)"]
        state = "active" if str(t.status).lower() == "active" else "inactive"
        rows.extend({"env": e, "state": state} for e in envs)
    frame = pd.crosstab(pd.DataFrame(rows)["env"], pd.DataFrame(rows)["state"])
    for column in ("active", "inactive"):
        if column not in frame:
            frame[column] = 0
    return frame[["active", "inactive"]].reset_index().rename_axis(None, axis=1)


def trigger_envs_chart(triggers: pd.DataFrame) -> go.Figure:
    """Triggers per environment; 'all (no envs)' bars are triggers that run on every server."""
    frame = trigger_envs(triggers)
    if frame.empty:
        return _empty("Triggers by environment", "no triggers.yaml entries")
    long = frame.melt(id_vars="env", var_name="status", value_name="triggers")
    fig = px.bar(long, x="env", y="triggers", color="status", barmode="stack",
                 color_discrete_map={"active": "#0969da", "inactive": NEUTRAL},
                 title="Triggers by environment (envs in triggers.yaml)")
    fig.update_layout(xaxis_title="environment", yaxis_title="triggers")
    return fig


def env_handling_in_code(block_files: pd.DataFrame) -> pd.DataFrame:
    """Block files by how they handle environments: reads env vars, branches on the
    environment name, pins an io_config profile other than default."""
    columns = ["path", "reads_env", "branches_on_env", "pinned_profiles"]
    if block_files is None or block_files.empty or "facts" not in block_files:
        return pd.DataFrame(columns=columns)
    rows = []
    for path, facts in zip(block_files["path"], block_files["facts"]):
        facts = facts if isinstance(facts, dict) else {}
        pinned = sorted({str(p[1]) for p in facts.get("io_profiles") or [] if str(p[1]) != "default"})
        rows.append({"path": path, "reads_env": bool(facts.get("env_access")),
                     "branches_on_env": bool(facts.get("env_branching")), "pinned_profiles": pinned})
    return pd.DataFrame(rows, columns=columns)


def env_handling_chart(block_files: pd.DataFrame) -> go.Figure:
    """How many block files read environment variables (good), branch on the environment
    name or pin a profile (both bad: environment logic in code)."""
    frame = env_handling_in_code(block_files)
    counts = pd.DataFrame({
        "practice": ["reads env vars", "branches on ENV", "pins an io_config profile"],
        "block files": [int(frame["reads_env"].sum()), int(frame["branches_on_env"].sum()),
                        int((frame["pinned_profiles"].str.len() > 0).sum())],
        "kind": ["good", "bad", "bad"]})
    fig = px.bar(counts, x="practice", y="block files", color="kind",
                 color_discrete_map={"good": GOOD, "bad": BAD}, title="Environment handling in block code")
    fig.update_layout(showlegend=False, xaxis_title="")
    return fig


# --- git ------------------------------------------------------------------------------------

def branch_kinds_chart(git) -> go.Figure:
    """Branches per kind; the kinds of the CI/CD guide's strategy (main, development, staging,
    feature) are outlined in green when present and red when missing."""
    if git is None:
        return _empty("Branches by kind", "not a git repository")
    frame = branch_strategy(git)
    colors = [(GOOD if n else BAD) if k in EXPECTED_KINDS else NEUTRAL for k, n in zip(frame["kind"], frame["branches"])]
    fig = go.Figure(go.Bar(x=frame["kind"], y=frame["branches"], marker_color=colors))
    fig.update_layout(title="Branches by kind (guide: feature -> development -> staging -> main)",
                      xaxis_title="branch kind", yaxis_title="branches")
    return fig


def commit_types_chart(git) -> go.Figure:
    """Non-merge commits by Conventional Commits type; 'non-conventional' in red."""
    frame = commit_conventions(git)
    if frame.empty:
        return _empty("Commit message types", "no commits")
    colors = [BAD if t == "non-conventional" else "#0969da" for t in frame["commit_type"]]
    fig = go.Figure(go.Bar(x=frame["commit_type"], y=frame["commits"], marker_color=colors,
                           text=[f"{s:.0%}" for s in frame["share"]], textposition="outside"))
    fig.update_layout(title="Commit messages by type (Conventional Commits)", xaxis_title="type",
                      yaxis_title="commits")
    return fig


def commits_by_month(git) -> pd.DataFrame:
    """Non-merge commits per month: ``month, conventional, other, direct_to_main``."""
    columns = ["month", "conventional", "other", "direct_to_main"]
    if git is None or git.commits.empty:
        return pd.DataFrame(columns=columns)
    commits = git.commits[~git.commits["is_merge"]].copy()
    commits["month"] = commits["date"].dt.tz_convert(None).dt.to_period("M").dt.to_timestamp()
    direct = set(direct_commits_to_main(git)["sha"])
    commits["direct"] = commits["sha"].isin(direct)
    out = commits.groupby("month").agg(conventional=("conventional", "sum"), total=("sha", "size"),
                                       direct_to_main=("direct", "sum")).reset_index()
    out["other"] = out["total"] - out["conventional"]
    return out[columns].astype({"conventional": int, "other": int, "direct_to_main": int})


def commits_over_time(git) -> go.Figure:
    """Commits per month split into conventional and other, with direct commits to main as a line."""
    frame = commits_by_month(git)
    if frame.empty:
        return _empty("Commits per month", "no commits")
    fig = go.Figure()
    fig.add_bar(x=frame["month"], y=frame["conventional"], name="conventional", marker_color="#0969da")
    fig.add_bar(x=frame["month"], y=frame["other"], name="other message", marker_color=NEUTRAL)
    fig.add_scatter(x=frame["month"], y=frame["direct_to_main"], name="direct to main", mode="lines+markers",
                    line_color=BAD)
    fig.update_layout(barmode="stack", title="Commits per month", xaxis_title="month", yaxis_title="commits")
    return fig
