"""Figures and tables for the security section (70_security).

Inputs are the :class:`auditkit.readers.security.SecurityScan` frames and the audit's
findings. They hold kinds, locations and fingerprints only, so nothing here can show a value.
"""
from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from auditkit.analytics.findings import unwaived
from auditkit.model import SEVERITIES

from auditkit.plots.style import SEVERITY_COLORS
_TOP_N = 25   # bars beyond this are summed into "other" so big repos stay readable


def posture_scorecard(scan, findings: pd.DataFrame) -> pd.DataFrame:
    """One row per posture area: what was found and the worst severity among its findings."""
    active = unwaived(findings)
    areas = [
        ("Committed secrets", len(scan.secrets), ["MAGE-SEC-001", "MAGE-SEC-002", "MAGE-SEC-003", "MAGE-SEC-004", "MAGE-SEC-005"]),
        ("Files that should not be committed", len(scan.exposed_files),
         ["MAGE-SEC-006", "MAGE-SEC-007", "MAGE-SEC-008", "MAGE-SEC-009", "MAGE-SEC-010", "MAGE-SEC-011"]),
        ("Risky code", len(scan.code_risks), [f"MAGE-SEC-0{n}" for n in range(12, 18)]),
        ("Server settings (deployments)", len(scan.deployments), [f"MAGE-SEC-0{n}" for n in range(18, 25)]),
        ("Accounts and API triggers", len(scan.accounts) + len(scan.api_triggers) if scan.history_read else None,
         [f"MAGE-SEC-0{n}" for n in range(25, 30)]),
    ]
    rows = []
    for area, items, rule_ids in areas:
        hits = active[active["rule_id"].isin(rule_ids)] if len(active) else active
        worst = max(hits["severity"], key=SEVERITIES.index) if len(hits) else None
        rows.append({"area": area, "items_found": items, "findings": int(len(hits)),
                     "worst_severity": worst or ("not checked" if items is None else "none"),
                     "status": "not checked" if items is None else ("attention" if worst in ("high", "critical") else
                                                                   "review" if worst else "ok")})
    return pd.DataFrame(rows)


def _top(frame: pd.DataFrame, column: str, n: int = _TOP_N) -> pd.DataFrame:
    counts = frame[column].fillna("(none)").value_counts()
    if len(counts) > n:
        counts = pd.concat([counts.iloc[:n], pd.Series({"other": counts.iloc[n:].sum()})])
    return counts.rename_axis(column).reset_index(name="count")


def _empty(title: str, note: str) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(title=title, xaxis_visible=False, yaxis_visible=False,
                      annotations=[{"text": note, "showarrow": False, "font": {"size": 14}}])
    return fig


def findings_by_rule(findings: pd.DataFrame) -> go.Figure:
    """Security findings per rule, stacked by severity."""
    if findings.empty:
        return _empty("Security findings by kind", "no security findings")
    counts = findings.groupby(["rule_id", "severity"]).size().reset_index(name="findings")
    fig = px.bar(counts, x="findings", y="rule_id", color="severity", orientation="h",
                 color_discrete_map=SEVERITY_COLORS, category_orders={"severity": list(reversed(SEVERITIES))},
                 title="Security findings by kind (rule)", labels={"rule_id": ""})
    fig.update_layout(height=max(300, 26 * counts["rule_id"].nunique() + 140), yaxis={"categoryorder": "total ascending"})
    return fig


def findings_by_project(findings: pd.DataFrame) -> go.Figure:
    """Security findings per project (repo-level files count as ``(repo)``), by severity."""
    if findings.empty:
        return _empty("Security findings by project", "no security findings")
    frame = findings.assign(project=findings["project"].fillna("(repo)"))
    counts = frame.groupby(["project", "severity"]).size().reset_index(name="findings")
    return px.bar(counts, x="project", y="findings", color="severity", color_discrete_map=SEVERITY_COLORS,
                  category_orders={"severity": list(reversed(SEVERITIES))},
                  title="Security findings by project", labels={"project": ""})


def secrets_by_kind(secrets: pd.DataFrame) -> go.Figure:
    """Committed secrets per kind, coloured by the detector family that found them."""
    if secrets.empty:
        return _empty("Committed secrets by kind", "no committed secrets found")
    counts = secrets.groupby(["kind", "source"]).size().reset_index(name="secrets")
    return px.bar(counts, x="secrets", y="kind", color="source", orientation="h",
                  title="Committed secrets by kind", labels={"kind": ""})


def secrets_by_location(secrets: pd.DataFrame) -> go.Figure:
    """Committed secrets per folder (top folders; the rest summed as ``other``)."""
    if secrets.empty:
        return _empty("Committed secrets by location", "no committed secrets found")
    folders = secrets.assign(folder=secrets["path"].map(lambda p: p.rsplit("/", 1)[0] if "/" in p else "(repo root)"))
    counts = _top(folders, "folder")
    fig = px.bar(counts.iloc[::-1], x="count", y="folder", orientation="h",
                 title="Committed secrets by folder", labels={"count": "secrets", "folder": ""})
    fig.update_layout(height=max(300, 26 * len(counts) + 140))
    return fig


def accounts_by_role(accounts: pd.DataFrame) -> go.Figure:
    """Users per role; default-password users are highlighted."""
    if accounts.empty:
        return _empty("Accounts by role", "no accounts read (no run history, or no users)")
    frame = accounts.assign(role=accounts["roles"].map(lambda r: ", ".join(r) if len(r) else "(no role)"),
                            password=accounts["uses_default_password"].map(
                                {True: "default password", False: "changed"}).fillna("not checked"))
    counts = frame.groupby(["role", "password"]).size().reset_index(name="users")
    return px.bar(counts, x="role", y="users", color="password", title="Accounts by role",
                  color_discrete_map={"default password": "#8b0000", "changed": "#2a9d8f", "not checked": "#adb5bd"})


def settings_table(server_settings: pd.DataFrame) -> pd.DataFrame:
    """The authentication and server settings of each deployment, riskiest first."""
    order = {"critical": 0, "high": 1, "medium": 2, "low": 3, "unknown": 4, "ok": 5}
    if server_settings.empty:
        return server_settings
    frame = server_settings.assign(_rank=server_settings["risk"].map(order).fillna(9))
    keep = ["path", "service", "setting", "value_summary", "mage_version", "risk", "line"]
    return frame.sort_values(["_rank", "path", "setting"])[keep].reset_index(drop=True)
