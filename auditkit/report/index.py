"""The index page of a report set: headline figures, severities, sections, trend."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from auditkit.version import __version__
from auditkit.analytics.findings import unwaived
from auditkit.model import SEVERITIES
from auditkit.outputs.check import location
from auditkit.report.export import render_page


def headline(summary: dict) -> list[tuple[str, object]]:
    inv = summary.get("inventory", {})
    fnd = summary.get("findings", {})
    sev = fnd.get("by_severity", {})
    cards = [
        ("projects", inv.get("projects", 0)),
        ("pipelines", inv.get("pipelines", 0)),
        ("block files", inv.get("block_files", 0)),
        ("blocks over 500 lines", summary.get("key_figures", {}).get("blocks_over_500", "–")),
        ("findings", fnd.get("total", 0)),
        ("critical + high", sev.get("critical", 0) + sev.get("high", 0)),
        ("input problems", inv.get("input_problems", 0)),
    ]
    hist = summary.get("history")
    if hist:
        runs = sum(sum(v.values()) for v in hist.get("pipeline_runs", {}).values())
        cards.append(("pipeline runs in history", runs))
    return cards


def write_index(result, previous: str | None = None) -> Path:
    audit = result.audit
    summary = audit.summary
    top = unwaived(audit.findings).head(15)
    trend = None
    if previous:
        from auditkit.report.trend import compare_reports
        trend = compare_reports(previous, result.out)
    page = render_page(
        "index.html.j2",
        version=__version__,
        generated=dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        repo=Path(audit.repo_root).name,
        cards=headline(summary),
        severities=SEVERITIES[::-1],
        by_severity=summary["findings"]["by_severity"],
        by_category=summary["findings"]["by_category"],
        sections=result.sections,
        top=[dict(f, where=location(f)) for f in top.to_dict("records")],
        problems=audit.input_problems.head(30).to_dict("records"),
        n_problems=len(audit.input_problems),
        trend=trend,
    )
    path = result.out / "index.html"
    path.write_text(page, encoding="utf-8")
    return path
