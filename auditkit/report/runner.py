"""Run the section notebooks with papermill, export code-free HTML, write the index page.

The audit is computed once and cached in ``OUT/_audit``; every notebook loads that cache, so
the notebooks only present. Notebooks run up to ``jobs`` at a time, each in a fresh warm kernel
(``kernels.py``); a failing notebook still exports (papermill writes the error into it) and is
marked on the index.
"""
from __future__ import annotations

import os
import shutil
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from queue import Empty, Queue
from dataclasses import dataclass, field
from pathlib import Path

from auditkit.analytics.findings import unwaived
from auditkit.audit import Audit, run_audit
from auditkit.model import severity_at_least
from auditkit.report import export
from auditkit.report.kernels import WarmKernel, report_kernel_env
from auditkit.report.notebooks import Section, available_sections, notebooks_dir


@dataclass
class SectionResult:
    section: Section
    ok: bool
    seconds: float
    html: str
    notebook: str
    error: str | None = None


@dataclass
class ReportResult:
    out: Path
    audit: Audit
    sections: list[SectionResult] = field(default_factory=list)

    @property
    def failed(self) -> list[SectionResult]:
        return [s for s in self.sections if not s.ok]

    def exit_code(self, fail_on: str | None) -> int:
        if self.failed:
            return 1
        if fail_on:
            active = unwaived(self.audit.findings)
            if any(severity_at_least(s, fail_on) for s in active["severity"]):
                return 1
        return 0


_LOG_LOCK = threading.Lock()


def _log(message: str) -> None:
    with _LOG_LOCK:          # workers finish at the same moment; keep one line per section
        sys.stderr.write(message + "\n")
        sys.stderr.flush()


def execute_section(section: Section, out: Path, parameters: dict, kernel: WarmKernel,
                    more: bool = False) -> SectionResult:
    """Execute one notebook in a fresh kernel of ``kernel`` (``more``: another notebook follows,
    start its kernel now) and export it; never raises for a notebook error."""
    import papermill as pm

    source = notebooks_dir() / f"{section.slug}.ipynb"
    executed = out / "notebooks" / f"{section.slug}.ipynb"
    html = out / f"{section.slug}.html"
    started = time.perf_counter()
    error, nb = None, None
    # Pass only the parameters this notebook declares, so papermill has nothing to warn about.
    declared = pm.inspect_notebook(str(source))
    parameters = {k: v for k, v in parameters.items() if k in declared}
    try:
        # request_save_on_cell_execute=False: papermill otherwise rewrites (and validates) the
        # whole notebook, plotly outputs included, before and after every cell; it still writes
        # the notebook once at the end, and on an error before raising.
        nb = pm.execute_notebook(str(source), str(executed), parameters=parameters, kernel_name="python3",
                                 progress_bar=False, log_output=False, km=kernel.ready(more),
                                 request_save_on_cell_execute=False)
    except Exception as exc:  # papermill has written the notebook with the error shown
        error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:300]
    if executed.exists():
        export.notebook_to_html(executed, html, title=section.title, failed=error is not None, nb=nb)
    else:
        export.error_page(html, section.title, error or "the notebook did not run")
    return SectionResult(section, error is None, time.perf_counter() - started, html.name,
                         f"notebooks/{executed.name}", error)


def save_audit(audit: Audit, out: Path) -> Path:
    """The audit cache the notebooks load, summary.json (with the report's trend figures) and the
    same findings files as `auditkit check --out` (for CI baselines and the next trend)."""
    from auditkit.outputs.findings import project_metadata_paths, write_findings
    from auditkit.report.trend import report_key_figures

    audit.summary["key_figures"].update(report_key_figures(audit))
    cache = audit.save(out / "_audit")
    shutil.copy(cache / "summary.json", out / "summary.json")
    write_findings(audit.findings, out, ("json", "csv", "sarif"), audit.repo_root,
                   fallback_paths=project_metadata_paths(audit.inventory))
    return cache


def write_audit_pages(audit: Audit, out: Path, previous: str | None):
    """The explorer and pipeline pages; returns the trend against ``previous`` (or None)."""
    from auditkit.report.pages import write_pages
    from auditkit.report.trend import compare

    trend = compare(previous, audit.summary, audit.findings, out) if previous else None
    write_pages(out, audit, new=trend.new if trend is not None else None)
    return trend


class _SectionWorkers:
    """``n`` report kernels started at once (start-up and imports overlap the audit); once
    released, each worker takes section notebooks off a queue, one fresh kernel per section."""

    def __init__(self, out: Path, n: int) -> None:
        self.out = out
        self.kernels = [WarmKernel(str(out), report_kernel_env()) for _ in range(n)]
        self.queue: Queue = Queue()
        self.ready = threading.Event()
        self.parameters: dict = {}
        self.results: list[SectionResult] = []
        self.pool = ThreadPoolExecutor(max_workers=n)
        self.futures = [self.pool.submit(self._work, kernel) for kernel in self.kernels]

    def _work(self, kernel: WarmKernel) -> None:
        kernel.start()                      # start-up and imports, while the audit runs
        self.ready.wait()
        while True:
            try:
                section = self.queue.get_nowait()
            except Empty:
                return
            res = execute_section(section, self.out, self.parameters, kernel, more=not self.queue.empty())
            self.results.append(res)
            status = "ok" if res.ok else f"FAILED ({res.error})"
            _log(f"  {res.section.slug:<16} {res.seconds:6.1f}s  {status}")

    def release(self, sections: list, parameters: dict) -> None:
        """Let the workers run ``sections`` with the notebook ``parameters``."""
        self.parameters.update(parameters)
        for section in sections:
            self.queue.put(section)
        self.ready.set()

    def finish(self) -> list[SectionResult]:
        """Wait for the workers, close the kernels; the results in section order."""
        self.ready.set()
        try:
            for future in self.futures:
                future.result()
        finally:
            self.pool.shutdown()
            for kernel in self.kernels:
                kernel.close()
        return sorted(self.results, key=lambda r: r.section.slug)


def run_report(repo: str | Path, *, out: str | Path, history: str | None = None,
               mage_data: str | None = None, since: str | None = None, until: str | None = None,
               config: str | None = None, previous: str | None = None, jobs: int | None = None,
               sections: list[str] | None = None, cache: bool = True, pdf: bool = False,
               envs: list[str] | None = None, env_mage_data: dict | None = None,
               mage_url: str | None = None) -> ReportResult:
    """Audit ``repo`` and write the complete HTML report set into ``out`` (and ``report.pdf``
    with ``pdf``).

    ``envs`` (``NAME=REF_OR_FOLDER``, promotion order) adds the environment drift section and
    its findings; ``env_mage_data`` maps environment names to their Mage data folders.

    Up to ``jobs`` workers each start a kernel right away, so kernel start-up and imports overlap
    with the audit; once the audit is cached, the workers take section notebooks off a queue
    while this thread writes the explorer and pipeline pages.
    """
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    (out / "notebooks").mkdir(exist_ok=True)
    started = time.perf_counter()
    chosen = [s for s in available_sections() if (not sections or s.slug in sections) and (envs or not s.needs_envs)]
    workers = _SectionWorkers(out, max(1, min(jobs or os.cpu_count() or 1, len(chosen) or 1)))
    trend = None
    try:
        from auditkit.outputs.progress import ProgressBars

        with ProgressBars() as progress:
            audit = run_audit(repo, history=history, mage_data=mage_data, config=config, since=since,
                              until=until, cache=cache, progress=progress, mage_url=mage_url)
        drift_cache = ""
        if envs:
            from auditkit.drift.run import add_drift_to_audit
            drift_cache = str(add_drift_to_audit(audit, repo, envs, out / "_drift", env_mage_data=env_mage_data,
                                                 config=config, since=since, until=until))
        cache = save_audit(audit, out)
        _log(f"audit: {audit.summary['inventory']['pipelines']} pipelines, "
             f"{audit.summary['findings']['total']} findings ({time.perf_counter() - started:.1f}s)")
        export.write_assets(out)
        workers.release(chosen, {
            "repo": str(Path(repo).resolve()), "history": history or "",
            "mage_data": str(Path(mage_data).resolve()) if mage_data else "",
            "mage_url": audit.history_spec.get("mage_url") or "",
            "since": since or "", "until": until or "", "config": config or "",
            "audit_cache": str(cache), "previous": str(Path(previous).resolve()) if previous else "",
            "envs": ",".join(envs or []), "drift_cache": drift_cache,
        })
        trend = write_audit_pages(audit, out, previous)     # while the workers run the notebooks
    finally:
        results = workers.finish()       # on an audit error the workers find an empty queue

    result = ReportResult(out=out, audit=audit, sections=results)
    from auditkit.report.index import write_index
    index = write_index(result, previous=previous, trend=trend)
    _log(f"report: {index} ({time.perf_counter() - started:.1f}s)")
    if pdf:
        from auditkit.report.pdf import print_report
        document = print_report(result)
        _log(f"pdf: {document} ({time.perf_counter() - started:.1f}s)")
    print(index)
    return result
