"""The trend since earlier audits: findings new/fixed/unchanged and key figures over time.

Works on report folders only (their ``summary.json`` and ``findings.json``), so any earlier
report set can be compared without re-running it. ``previous`` is one earlier report folder or a
folder of report folders (e.g. ``reports/`` holding ``2026-Q1/``, ``2026-Q2/``, ...): the newest
of those is the one new and fixed findings are counted against, and the key figures are plotted
across all of them.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from auditkit.analytics.findings import unwaived
from auditkit.model import SEVERITIES
from auditkit.plots.style import SEVERITY_COLORS

KEY_FIGURES = {
    "blocks_over_500": "blocks over 500 lines",
    "blocks_over_limit": "blocks over the size limit",
    "retry_coverage": "retry coverage",
    "secrets": "secrets found",
    "failure_rate": "pipeline-run failure rate",
    "retry_events": "retries in the history",
    "concurrency_overruns": "pipelines over their run limit",
}


def _summary(folder: Path) -> dict | None:
    try:
        data = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _load(folder: Path) -> tuple[dict, pd.DataFrame]:
    summary = _summary(folder) or {}
    path = folder / "findings.json"
    try:
        rows = json.loads(path.read_text(encoding="utf-8")).get("findings", []) if path.exists() else []
    except (OSError, ValueError, AttributeError):
        rows = []
    frame = pd.DataFrame(rows, columns=sorted({"fingerprint", "rule_id", "severity", "waived", *(rows[0] if rows else {})}))
    return summary, unwaived(frame)


def report_sets(path: str | Path) -> list[Path]:
    """The report folders ``path`` stands for: itself when it holds a summary.json, else every
    folder directly inside it that does, oldest first."""
    path = Path(path)
    if (path / "summary.json").exists():
        return [path]
    if not path.is_dir():
        return []
    found = [(str((_summary(p) or {}).get("generated_at", "")), p) for p in sorted(path.iterdir())
             if p.is_dir() and (p / "summary.json").exists()]
    return [p for _, p in sorted(found)]


@dataclass
class Trend:
    previous: Path                 # the report compared against
    by_rule: pd.DataFrame          # rule_id, new, fixed, unchanged
    figures: pd.DataFrame          # figure, previous, current, change
    history: pd.DataFrame          # one row per report folder: generated_at, key figures, severities
    new: set                       # fingerprints new since ``previous``

    @property
    def html(self) -> str:
        """The trend as report HTML: counts, key figures, per-rule changes, charts across audits."""
        from auditkit.plots import figure_html
        from auditkit.plots.tables import table

        totals = self.by_rule[["new", "fixed", "unchanged"]].sum()
        parts = [f"<p>Compared with <strong>{self.previous.name}</strong>: <a href='explorer.html#new=1'>"
                 f"<strong>{int(totals['new'])} new</strong></a>, {int(totals['fixed'])} fixed, "
                 f"{int(totals['unchanged'])} unchanged findings.</p>",
                 table(self.figures, title="Key figures").to_html(),
                 table(self.by_rule, title="Findings by rule", empty="No findings before or now.").to_html()]
        if len(self.history) >= 2:
            parts.extend(figure_html(fig) for fig in trend_figures(self.history))
        return "\n".join(parts)


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


def history_row(name: str, summary: dict) -> dict:
    """The plotted figures of one audit."""
    row: dict[str, Any] = {"report": name, "generated_at": summary.get("generated_at")}
    row.update({k: v for k, v in summary.get("key_figures", {}).items() if not isinstance(v, (dict, list))})
    for label, count in (summary.get("key_figures", {}).get("block_size_bands") or {}).items():
        row[f"band {label}"] = count
    row.update({f"findings_{s}": summary.get("findings", {}).get("by_severity", {}).get(s, 0) for s in SEVERITIES})
    return row


def report_history(root: Path) -> pd.DataFrame:
    """Key figures and severity counts of every report folder directly under ``root``."""
    rows = [history_row(folder.name, _summary(folder) or {}) for folder in report_sets(root)]
    frame = pd.DataFrame(rows)
    return frame.sort_values("generated_at").reset_index(drop=True) if len(frame) else frame


def compare(previous: str | Path, summary: dict, findings: pd.DataFrame,
            current: str | Path | None = None, current_name: str = "this audit") -> Trend | None:
    """Trend of the audit given by ``summary``/``findings`` against ``previous`` (a report folder
    or a folder of them); None when ``previous`` holds no report."""
    here = None
    if current is not None:
        here = Path(current).resolve()
        here = here.parent if here.name == "_audit" else here      # the runner's audit cache
    sets = [p for p in report_sets(previous) if p.resolve() != here]
    if not sets:
        return None
    latest = sets[-1]
    prev_summary, prev_findings = _load(latest)
    findings = unwaived(findings)
    by_rule = diff_findings(prev_findings, findings)
    figs = []
    for key, label in KEY_FIGURES.items():
        before = prev_summary.get("key_figures", {}).get(key)
        after = summary.get("key_figures", {}).get(key)
        change = None if before is None or after is None else round(after - before, 4)
        figs.append({"figure": label, "previous": before, "current": after, "change": change})
    figures = pd.DataFrame(figs).dropna(subset=["previous", "current"], how="all")
    # One earlier report: its siblings are the earlier audits too (the layout reports/<date>/).
    roots = sets if len(sets) > 1 else [p for p in report_sets(latest.parent) if p.resolve() != here] or sets
    rows = [history_row(p.name, _summary(p) or {}) for p in roots]
    rows.append(history_row(here.name if here is not None else current_name, summary))
    history = pd.DataFrame(rows).drop_duplicates("report", keep="last")
    history = history.sort_values("generated_at", na_position="last").reset_index(drop=True)
    new = set(findings["fingerprint"]) - set(prev_findings["fingerprint"]) if len(findings) else set()
    return Trend(previous=latest, by_rule=by_rule, figures=figures, history=history, new=new)


def _lines(history: pd.DataFrame, columns: dict[str, str], title: str, yaxis: str,
           colors: dict[str, str] | None = None, percent: bool = False) -> go.Figure | None:
    present = {c: n for c, n in columns.items() if c in history and history[c].notna().any()}
    if not present:
        return None
    fig = go.Figure()
    for col, name in present.items():
        fig.add_trace(go.Scatter(x=history["report"], y=history[col], mode="lines+markers", name=name,
                                 line={"color": (colors or {}).get(col)} if colors else None))
    fig.update_layout(title=title, xaxis_title="audit", yaxis_title=yaxis, height=340, template="plotly_white")
    if percent:
        fig.update_yaxes(tickformat=".0%")
    return fig


def trend_figures(history: pd.DataFrame) -> list[go.Figure]:
    """Key figures across audits: findings by severity, block-size bands, failure rate and retry
    coverage, retries and concurrency overruns (a chart only for figures some audit has)."""
    bands = {c: c.removeprefix("band ") for c in history.columns if c.startswith("band ")}
    charts = [
        _lines(history, {f"findings_{s}": s for s in SEVERITIES[::-1]}, "Findings by severity across audits",
               "findings", {f"findings_{s}": c for s, c in SEVERITY_COLORS.items()}),
        _lines(history, bands, "Block files by size band across audits", "block files"),
        _lines(history, {"failure_rate": "failure rate", "retry_coverage": "blocks with retries"},
               "Failure rate and retry coverage across audits", "share", percent=True),
        _lines(history, {"retry_events": "retries in the history", "concurrency_overruns": "pipelines over their run limit",
                         "blocks_over_limit": "blocks over the size limit"},
               "Retries, concurrency overruns and oversized blocks across audits", "count"),
    ]
    return [c for c in charts if c is not None]


def trend_figure(history: pd.DataFrame) -> go.Figure:
    """Findings by severity across audits (the first of :func:`trend_figures`)."""
    return trend_figures(history)[0]


def trend_view(previous: str | None, audit: Any, current: str | None = None) -> None:
    """Display the trend section of the summary: counts, key-figure changes, per-rule changes and
    the key figures across every earlier audit."""
    from IPython.display import display

    from auditkit.plots.tables import table
    from auditkit.report.section import Html

    trend = compare(previous, audit.summary, audit.findings, current) if previous else None
    if trend is None:
        display(Html('<p class="ak-empty">No earlier audit was given (auditkit report --previous), '
                     'or it holds no report.</p>'))
        return
    totals = trend.by_rule[["new", "fixed", "unchanged"]].sum()
    earlier = len(trend.history) - 1
    display(Html(f"<p>Compared with the audit <strong>{trend.previous.name}</strong>: "
                 f"<strong>{int(totals['new'])} new</strong>, {int(totals['fixed'])} fixed and "
                 f"{int(totals['unchanged'])} unchanged findings ({earlier} earlier "
                 f"audit{'s' if earlier != 1 else ''} plotted below).</p>"
                 '<p class="ak-links"><a href="explorer.html#new=1">Open the new findings in the explorer</a></p>'))
    display(table(trend.figures, title="Key figures"))
    display(table(trend.by_rule, title="Findings by rule", empty="No findings before or now."))
    if len(trend.history) >= 2:
        for fig in trend_figures(trend.history):
            display(fig)


def report_key_figures(audit: Any) -> dict:
    """The figures a report adds to summary.json's ``key_figures`` for the trend: files per
    block-size band (the audit's limits), retries in the history and pipelines whose runs
    overran their limit."""
    from auditkit.analytics import blocks as B
    from auditkit.limits import audit_limits

    bands = B.size_band_counts(audit.inventory.block_files, audit_limits(audit))
    figures: dict[str, Any] = {"block_size_bands": {str(b): int(n) for b, n in zip(bands["band"], bands["files"])},
                               "retry_events": None, "concurrency_overruns": None}
    hist = audit.history
    if hist is not None and getattr(hist, "available", False):
        from auditkit.analytics import concurrency as C

        attempts = (audit.summary.get("history") or {}).get("retry_attempts") or {}
        figures["retry_events"] = int(sum(v for v in attempts.values() if isinstance(v, (int, float))))
        overview = C.concurrency_overview(hist, audit.inventory)
        figures["concurrency_overruns"] = int(overview["over_limit"].fillna(False).astype(bool).sum()) \
            if "over_limit" in overview else 0
    return figures


def compare_reports(previous: str | Path, current: str | Path) -> Trend | None:
    """Trend between two report folders (each with summary.json and findings.json)."""
    summary, findings = _load(Path(current))
    return compare(previous, summary, findings, current)
