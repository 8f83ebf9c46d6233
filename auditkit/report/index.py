"""The index page of a report set: headline figures, the remediation plan, severities,
sections, the trend across earlier audits and the input problems."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from auditkit.version import __version__
from auditkit.analytics.findings import unwaived
from auditkit.limits import audit_limits
from auditkit.model import SEVERITIES
from auditkit.outputs.check import location
from auditkit.plots.tables import table
from auditkit.report.export import nav_links, render_page


def headline(summary: dict, block_max: int | None = None) -> list[tuple[str, object]]:
    """The index's cards; the oversized-block count follows the audit's own limit."""
    inv = summary.get("inventory", {})
    fnd = summary.get("findings", {})
    sev = fnd.get("by_severity", {})
    figures = summary.get("key_figures", {})
    limit = figures.get("block_max_lines", block_max)
    over = figures.get("blocks_over_limit", figures.get("blocks_over_500", "–"))
    cards = [
        ("projects", f"{inv.get('projects', 0):,}"),
        ("pipelines", f"{inv.get('pipelines', 0):,}"),
        ("block files", f"{inv.get('block_files', 0):,}"),
        (f"blocks over {limit or 500} lines", over),
        ("findings", f"{fnd.get('total', 0):,}"),
        ("critical + high", sev.get("critical", 0) + sev.get("high", 0)),
        ("input problems", inv.get("input_problems", 0)),
    ]
    hist = summary.get("history")
    if hist:
        runs = sum(sum(v.values()) for v in hist.get("pipeline_runs", {}).values())
        cards.append(("pipeline runs in history", f"{runs:,}"))
    volume = summary.get("history_volume") or {}
    rows = volume.get("rows") or {}
    if rows:
        kept = int(rows.get("pipeline_run", 0)) + int(rows.get("block_run", 0))
        since = f" since {volume['oldest_run'][:7]}" if volume.get("oldest_run") else ""
        size = f", {volume['db_bytes'] / 2**20:,.0f} MiB" if volume.get("db_bytes") else ""
        cards.append(("run rows kept (never purged)" if volume.get("purged") is False else "run rows kept",
                      f"{kept:,}{since}{size}"))
    return cards


def write_index(result, previous: str | None = None, trend=None) -> Path:
    from auditkit.report.pages import remediation_plan

    audit = result.audit
    summary = audit.summary
    top = unwaived(audit.findings).head(15)
    if trend is None and previous:
        from auditkit.report.trend import compare
        trend = compare(previous, summary, audit.findings, result.out)
    limits = audit_limits(audit)
    page = render_page(
        "index.html.j2",
        version=__version__,
        generated=dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        repo=Path(audit.repo_root).name,
        cards=headline(summary, limits.block_max),
        severities=SEVERITIES[::-1],
        by_severity=summary["findings"]["by_severity"],
        by_category=summary["findings"]["by_category"],
        sections=result.sections,
        plan=remediation_plan(audit),
        top=[dict(f, where=location(f)) for f in top.to_dict("records")],
        problems=table(audit.input_problems.head(30), ["path", "kind", "reason", "project"]).to_html(),
        n_problems=len(audit.input_problems),
        trend=trend.html if trend is not None else None,
        nav=nav_links(), current="index.html",
    )
    path = result.out / "index.html"
    path.write_text(page, encoding="utf-8")
    return path
