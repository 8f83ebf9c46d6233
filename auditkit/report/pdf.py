"""``auditkit report --pdf``: the whole report set printed to one PDF by headless Chromium.

The index and every section page are put one after another into one printable page (each
starting on a new sheet), followed by a findings appendix (every rule's why and fix with its
findings) and the list of pipelines. Links between pages become links inside the PDF. Chromium
is the browser the tests already use: ``AUDITKIT_CHROMIUM`` or ``chromium`` on the PATH.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from html import escape
from pathlib import Path
from typing import Any

from auditkit.report.export import render_page

PRINT_PAGE = "_print.html"
PDF_NAME = "report.pdf"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--no-pdf-header-footer", "--run-all-compositor-stages-before-draw",
                  "--virtual-time-budget=30000", "--window-size=1000,1400"]
_MAIN = re.compile(r"<main>(.*)</main>", re.S)
_PAGE_LINK = re.compile(r'href="(index|\d\d_[a-z_]+|explorer|pipelines)\.html(#[^"]*)?"')


class PdfError(RuntimeError):
    """Chromium is missing or did not print."""


def chromium_path() -> str:
    found = os.environ.get("AUDITKIT_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser") \
        or shutil.which("google-chrome")
    if not found:
        raise PdfError("--pdf needs headless Chromium: install it (Debian: apt-get install chromium) "
                       "or set AUDITKIT_CHROMIUM to its path")
    return found


def _anchor(page: str, fragment: str | None) -> str:
    """The in-PDF target of a link to ``page.html#fragment``."""
    if page == "explorer" and fragment and fragment.startswith("#rule="):
        return f'href="#rule-{escape(fragment[6:])}"'
    return f'href="#page-{page}"'


def _body(html_path: Path) -> str:
    text = html_path.read_text(encoding="utf-8")
    match = _MAIN.search(text)
    body = match.group(1) if match else ""
    return _PAGE_LINK.sub(lambda m: _anchor(m.group(1), m.group(2)), body)


def findings_appendix(audit: Any) -> str:
    """Every rule with findings: its why and fix, then its findings (at most 40 shown each)."""
    from auditkit.outputs.check import location
    from auditkit.plots.tables import table
    from auditkit.report.pages import _rules_catalogue

    findings = audit.findings
    if findings.empty:
        return "<h1>Findings</h1><p>No findings.</p>"
    rules = _rules_catalogue(set(findings["rule_id"]))
    parts = ["<h1>Findings by rule</h1><p>Every rule that found something: why it matters, how to fix it, "
             "and where (the explorer page of the HTML report filters the same findings).</p>"]
    for rule_id, group in findings.groupby("rule_id", sort=True):
        meta = rules.get(rule_id, {})
        shown = group.head(40).assign(where=[location(r) for r in group.head(40).to_dict("records")])
        parts.append(f'<h2 id="rule-{escape(rule_id)}">{escape(rule_id)} {escape(meta.get("title", ""))}</h2>'
                     f"<p><strong>Why it matters.</strong> {escape(meta.get('why', ''))}</p>"
                     f"<p><strong>Fix.</strong> {escape(meta.get('fix', ''))}</p>")
        parts.append(table(shown, ["severity", "message", "pipeline", "where", "waived"], interactive=False).to_html())
        if len(group) > 40:
            parts.append(f"<p class='ak-muted'>and {len(group) - 40} more in the HTML report's explorer.</p>")
    return "\n".join(parts)


def pipelines_appendix(audit: Any, limit: int = 300) -> str:
    from auditkit.plots.tables import table

    pipes = audit.inventory.pipelines
    counts = audit.findings.groupby("pipeline").size() if len(audit.findings) else {}
    frame = pipes[["project", "pipeline", "pipeline_type", "n_blocks", "depth", "max_width"]].copy()
    frame["findings"] = [int(counts.get(p, 0)) if len(counts) else 0 for p in frame["pipeline"]]
    more = f"<p class='ak-muted'>The first {limit} of {len(frame):,} pipelines.</p>" if len(frame) > limit else ""
    return ("<h1>Pipelines</h1><p>Each pipeline's graph, block sizes, findings and runs are on its page in the "
            "HTML report.</p>" + table(frame.head(limit), interactive=False).to_html() + more)


def print_page(out: Path, audit: Any) -> Path:
    """The printable page of the report set in ``out``, beside its index (so ``assets/`` resolves)."""
    from auditkit.report.notebooks import SECTIONS

    pages = [("index", out / "index.html")] + [(s.slug, out / f"{s.slug}.html") for s in SECTIONS]
    parts = [f'<section class="ak-print-section" id="page-{name}">{_body(path)}</section>'
             for name, path in pages if path.exists()]
    parts.append(f'<section class="ak-print-section" id="page-explorer">{findings_appendix(audit)}</section>')
    parts.append(f'<section class="ak-print-section" id="page-pipelines">{pipelines_appendix(audit)}</section>')
    html = render_page("print.html.j2", body="\n".join(parts), repo=Path(audit.repo_root).name)
    path = out / PRINT_PAGE
    path.write_text(html, encoding="utf-8")
    return path


def print_report(result: Any, target: Path | None = None, timeout: float = 300) -> Path:
    """Print the report set of ``result`` (a ReportResult) to ``target`` (default ``<out>/report.pdf``)."""
    return print_folder(Path(result.out), target, audit=result.audit, timeout=timeout)


def print_folder(out: Path, target: Path | None = None, *, audit: Any = None, timeout: float = 300) -> Path:
    """Print the report set written in ``out`` (its pages and saved audit) to one PDF."""
    out = Path(out).resolve()
    if audit is None:
        from auditkit.audit import Audit
        audit = Audit.load(out / "_audit")
    target = Path(target or out / PDF_NAME).resolve()
    page = print_page(out, audit)
    try:
        cmd = [chromium_path(), *CHROMIUM_FLAGS, f"--print-to-pdf={target}", page.resolve().as_uri()]
        done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout, check=False)
    finally:
        page.unlink(missing_ok=True)
    if done.returncode != 0 or not target.exists():
        raise PdfError(f"Chromium did not print the report (exit {done.returncode}): "
                       f"{done.stderr.decode(errors='replace')[-400:]}")
    return target
