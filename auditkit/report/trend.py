"""The trend since earlier audits: findings new/fixed/unchanged and key figures over time.

Works on report folders only (their ``summary.json`` and ``findings.json``), so any earlier
report set can be compared without re-running it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from auditkit.analytics.findings import unwaived
from auditkit.model import SEVERITIES

KEY_FIGURES = {
    "blocks_over_500": "blocks over 500 lines",
    "retry_coverage": "retry coverage",
    "secrets": "secrets found",
    "failure_rate": "pipeline-run failure rate",
}


def _load(folder: Path) -> tuple[dict, pd.DataFrame]:
    summary = json.loads((folder / "summary.json").read_text())
    path = folder / "findings.json"
    rows = json.loads(path.read_text()).get("findings", []) if path.exists() else []
    frame = pd.DataFrame(rows, columns=sorted({"fingerprint", "rule_id", "severity", "waived", *(rows[0] if rows else {})}))
    frame = unwaived(frame)
    return summary, frame


@dataclass
class Trend:
    by_rule: pd.DataFrame          # rule_id, new, fixed, unchanged
    figures: pd.DataFrame          # figure, previous, current, change
    history: pd.DataFrame          # one row per report folder: generated_at, key figures, severities
    html: str = ""


def diff_findings(previous: pd.DataFrame, current: pd.DataFrame) -> pd.DataFrame:
    """Per rule: findings new since ``previous``, fixed since then, and unchanged (by fingerprint)."""
    prev, cur = set(previous["fingerprint"]), set(current["fingerprint"])
    rows = []
    for frame, status, keep in ((current, "new", cur - prev), (previous, "fixed", prev - cur),
                                (current, "unchanged", cur & prev)):
        sub = frame[frame["fingerprint"].isin(keep)]
        rows.append(sub.groupby("rule_id").size().rename(status))
    table = pd.concat(rows, axis=1).fillna(0).astype(int)
    for col in ("new", "fixed", "unchanged"):
        if col not in table:
            table[col] = 0
    return table[["new", "fixed", "unchanged"]].sort_values(["new", "fixed"], ascending=False).reset_index()


def report_history(root: Path) -> pd.DataFrame:
    """Key figures and severity counts of every report folder directly under ``root``."""
    rows = []
    for folder in sorted(p for p in root.iterdir() if (p / "summary.json").exists()):
        summary = json.loads((folder / "summary.json").read_text())
        row = {"report": folder.name, "generated_at": summary.get("generated_at")}
        row.update(summary.get("key_figures", {}))
        row.update({f"findings_{s}": summary.get("findings", {}).get("by_severity", {}).get(s, 0) for s in SEVERITIES})
        rows.append(row)
    frame = pd.DataFrame(rows)
    return frame.sort_values("generated_at").reset_index(drop=True) if len(frame) else frame


def trend_figure(history: pd.DataFrame) -> go.Figure:
    fig = go.Figure()
    for sev in SEVERITIES[::-1]:
        col = f"findings_{sev}"
        if col in history:
            fig.add_trace(go.Scatter(x=history["report"], y=history[col], mode="lines+markers", name=sev))
    fig.update_layout(title="Findings by severity across audits", xaxis_title="report", yaxis_title="findings",
                      template="plotly_white", height=380)
    return fig


def compare(previous: str | Path, summary: dict, findings: pd.DataFrame,
            current: str | Path | None = None) -> Trend:
    """Trend of the audit given by ``summary``/``findings`` against the report folder ``previous``.

    The history across audits covers every report folder beside ``previous`` (and beside
    ``current``, the folder the new report is written to, when given)."""
    previous = Path(previous)
    prev_summary, prev_findings = _load(previous)
    findings = unwaived(findings)
    by_rule = diff_findings(prev_findings, findings)
    figs = []
    for key, label in KEY_FIGURES.items():
        before = prev_summary.get("key_figures", {}).get(key)
        after = summary.get("key_figures", {}).get(key)
        change = None if before is None or after is None else round(after - before, 4)
        figs.append({"figure": label, "previous": before, "current": after, "change": change})
    figures = pd.DataFrame(figs)
    roots = {previous.parent} | ({Path(current).parent} if current else set())
    frames = [report_history(r) for r in roots]
    history = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if len(history):
        history = history.drop_duplicates("report").sort_values("generated_at").reset_index(drop=True)
    trend = Trend(by_rule=by_rule, figures=figures, history=history)
    totals = by_rule[["new", "fixed", "unchanged"]].sum()
    parts = [f"<p>Compared with <code>{previous.name}</code>: <strong>{int(totals['new'])} new</strong>, "
             f"{int(totals['fixed'])} fixed, {int(totals['unchanged'])} unchanged findings.</p>",
             figures.to_html(index=False, na_rep="–", classes="ak-trend-figures"),
             by_rule.head(30).to_html(index=False, classes="ak-trend-rules")]
    if len(history) >= 2:
        parts.append(trend_figure(history).to_html(include_plotlyjs=False, full_html=False))
    trend.html = "\n".join(parts)
    return trend


def compare_reports(previous: str | Path, current: str | Path) -> Trend:
    """Trend between two report folders (each with summary.json and findings.json)."""
    summary, findings = _load(Path(current))
    return compare(previous, summary, findings, current)
