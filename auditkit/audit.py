"""Assemble one audit: gather (readers), evaluate (rules), summarise. Save and reload it.

Notebooks and the HTML report only read an :class:`Audit`; they never compute findings.
"""
from __future__ import annotations

import datetime as dt
import json
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

import pandas as pd

from auditkit.analytics.findings import findings_summary, unwaived
from auditkit.model import SEVERITIES, InputProblem, findings_frame, severity_rank

if TYPE_CHECKING:   # for the annotations only: importing them here would load every reader
    from auditkit.engine.run import RuleRun
    from auditkit.readers.git import GitInfo
    from auditkit.readers.history import History
    from auditkit.readers.repo import RepoInventory
    from auditkit.readers.security import SecurityScan

CACHE_FILE = "audit.json"


def _audit_codec():
    """The data-only codec of a saved audit and the record classes it may rebuild."""
    from auditkit.datacodec import DataCodec
    from auditkit.engine.run import RuleError, RuleRun, SkippedRule
    from auditkit.model import Finding
    from auditkit.readers.git import GitInfo
    from auditkit.readers.repo import RepoInventory
    from auditkit.readers.security import SecurityScan
    from auditkit.readers.security.history import HistoryScan

    return DataCodec([Finding, InputProblem, RepoInventory, GitInfo, SecurityScan, HistoryScan, RuleRun, SkippedRule,
                      RuleError])


@dataclass
class Audit:
    """The gathered data and the findings of one audit run."""

    repo_root: str
    inventory: RepoInventory
    findings: pd.DataFrame
    input_problems: pd.DataFrame
    summary: dict
    history_spec: dict = field(default_factory=dict)   # how to reopen the history DB
    git: GitInfo | None = None          # None outside a git checkout
    security: SecurityScan | None = None
    rule_run: RuleRun | None = None     # what ran, was skipped or failed
    thresholds: dict = field(default_factory=dict)   # auditkit.yaml's rule thresholds (auditkit/limits.py)
    mage_env: str | None = None         # auditkit.yaml's mage_env: the history's Mage environment
    _history: History | None = field(default=None, repr=False)
    # Analytics already computed on the history in this audit (History.analytics_memo, see
    # analytics._common.history_cached), carried in the saved audit so notebooks reuse them.
    history_memo: dict = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:
        counts = self.findings["severity"].astype("object").value_counts() if len(self.findings) else {}
        by_severity = ", ".join(f"{counts[s]} {s}" for s in reversed(SEVERITIES) if s in counts)
        source = (self.history_spec.get("source") or self.history_spec.get("mage_data")
                  or self.history_spec.get("mage_url"))
        inv = self.inventory
        return (f"<Audit of {self.repo_root}: {_count(len(inv.projects), 'project')}, "
                f"{_count(len(inv.pipelines), 'pipeline')}, {_count(len(inv.block_files), 'block file')}; "
                f"{_count(len(self.findings), 'finding')}{f' ({by_severity})' if by_severity else ''}; "
                f"history: {source or 'none'}; {_count(len(self.input_problems), 'input problem')}>")

    @property
    def history(self) -> History | None:
        """The run history (reopened read-only on first use after a reload), or None."""
        wanted = (self.history_spec.get("source") or self.history_spec.get("mage_data")
                  or self.history_spec.get("mage_url"))
        if self._history is None and wanted:
            from auditkit.readers.history import open_history
            self._history = open_history(**self.history_spec)
            if self._history is not None:
                self._history.analytics_memo.update(self.history_memo)
        return self._history

    def findings_for(self, categories: str | Iterable[str], include_waived: bool = True) -> pd.DataFrame:
        """Findings of the given categories, most severe first."""
        cats = [categories] if isinstance(categories, str) else list(categories)
        frame = self.findings[self.findings["category"].isin(cats)]
        if not include_waived:
            frame = unwaived(frame)
        return sort_findings(frame)

    def findings_table(self, categories: str | Iterable[str], limit: int | None = None) -> pd.DataFrame:
        """The findings of ``categories`` (most severe first) in the columns a reader needs.

        ``limit`` keeps the first rows only, and says so with a warning naming how many were
        left out: a table that silently stops reads as the whole story.
        """
        cols = ["severity", "rule_id", "message", "project", "pipeline", "path", "line", "waived"]
        frame = self.findings_for(categories)[cols]
        if limit is not None and len(frame) > limit:
            warnings.warn(f"findings_table shows the first {limit} of {len(frame)} findings; "
                          "pass limit=None for all of them", stacklevel=2)
            return frame.head(limit)
        return frame

    def save(self, folder: str | Path) -> Path:
        """Write the audit cache (for notebooks) and summary.json into ``folder``."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        state = {k: v for k, v in self.__dict__.items() if k != "_history"}
        if self._history is not None:
            state["history_memo"] = dict(self._history.analytics_memo)
        # JSON through a data-only codec: reading it back never runs code (no pickle).
        (folder / CACHE_FILE).write_text(_audit_codec().dumps(state), encoding="utf-8")
        (folder / "summary.json").write_text(json.dumps(self.summary, indent=2, default=str))
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> "Audit":
        """The audit :meth:`save` wrote; ``ValueError`` when the file is not one."""
        state = _audit_codec().loads((Path(folder) / CACHE_FILE).read_text(encoding="utf-8"))
        expected = {f for f in cls.__dataclass_fields__ if f != "_history"}
        if not isinstance(state, dict) or not set(state) <= expected or "inventory" not in state:
            raise ValueError(f"{Path(folder) / CACHE_FILE} is not a saved audit")
        return cls(**state)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def sort_findings(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` most severe first, then by rule and path; the index is renumbered."""
    rank = -severity_rank(frame["severity"])
    return frame.assign(_rank=rank).sort_values(["_rank", "rule_id", "path"]).drop(columns="_rank").reset_index(drop=True)


def run_audit(repo: str | Path, *, history: str | None = None, mage_data: str | None = None,
              config: Any = None, since: str | None = None, until: str | None = None,
              project: str | None = None, cache: bool = True, progress: Any = None,
              mage_url: str | None = None) -> Audit:
    """Read ``repo`` (and optionally its run history), run every enabled rule, summarise.

    The run history is the DB ``history``, the Mage data folder ``mage_data``, or else a running
    Mage server at ``mage_url`` read through its REST API (credentials from the environment
    only, see :mod:`auditkit.readers.history.api`).

    ``config`` is a path to auditkit.yaml, a dict of the same shape, or None (then
    ``<repo>/auditkit.yaml`` is used when present). Raises ``NotAMageRepo`` when ``repo`` holds
    no Mage project and ``ConfigError`` for a malformed config; every other input problem is
    recorded and the audit goes on. ``cache=False`` measures every file afresh instead of
    reusing unchanged files' results (:mod:`auditkit.readers.filecache`). ``progress(stage,
    done, total)`` follows the reading of a big repo (see :func:`~auditkit.readers.repo.read_repo`).
    """
    from auditkit.config import load_config
    from auditkit.engine.base import RuleContext
    from auditkit.engine.run import run_rules
    from auditkit.readers.git import read_git
    from auditkit.readers.history import open_history
    from auditkit.readers.repo import read_repo
    from auditkit.readers.security import scan_security

    clock = _Stopwatch()
    root = Path(repo).resolve()
    cfg = load_config(config, root)
    with clock.stage("read_repo"):
        # The reader's workers also run the per-file security detectors on the block files they read.
        inventory = read_repo(root, exclude=cfg.exclude, security_prescan=True, cache=cache, progress=progress)
    history_spec: dict = {}
    hist = None
    if history or mage_data or mage_url:
        history_spec = {"source": history, "mage_data": mage_data, "project": project,
                        "since": since, "until": until}
        if mage_url and not (history or mage_data):
            from auditkit.readers.history.source import display_url
            history_spec["mage_url"] = display_url(mage_url)     # never credentials in a saved audit
        with clock.stage("open_history"):
            hist = open_history(**history_spec)
        if history_spec.get("mage_url") and hist is not None and hist.api_mirror:
            # The report's notebooks reopen this mirror while this process keeps it, not the server.
            history_spec["api_mirror"] = hist.api_mirror
    with clock.stage("gather_other"):
        git = read_git(root)
        # The git-history secret scan covers the audit window when one is given (else the newest commits).
        security = scan_security(inventory, history=hist, exclude=cfg.exclude, since=_absolute_since(since, hist))
        inventory.security_prescan = None   # consumed; not part of the saved audit
    with clock.stage("rules"):
        ctx = RuleContext(inventory=inventory, history=hist, git=git, security=security,
                          thresholds=cfg.thresholds, mage_env=cfg.mage_env)
        rule_run = run_rules(ctx, cfg)
    problems = [*(hist.problems if hist is not None else []), *security.problems]
    audit = Audit(repo_root=str(root), inventory=inventory, findings=sort_findings(findings_frame(rule_run)),
                  input_problems=_with_problems(inventory.input_problems, problems), summary={},
                  history_spec=history_spec, git=git, security=security, rule_run=rule_run,
                  thresholds=cfg.thresholds, mage_env=cfg.mage_env, _history=hist)
    audit.summary = build_summary(audit, clock.timings)
    return audit


def _absolute_since(since: str | None, hist: History | None) -> str | None:
    """``since`` as a date git understands: a span such as ``"90d"`` is the history window's
    start (counted back from its newest run), or counted back from now without a history."""
    from auditkit.readers.history.tidy import relative_span
    span = relative_span(since)
    if span is None:
        return since
    start = hist.since if hist is not None and hist.since is not None else dt.datetime.now() - span
    return start.isoformat(timespec="seconds")


class _Stopwatch:
    """Seconds spent in each stage of an audit, for ``summary.json``."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str):
        started = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = time.perf_counter() - started


def _with_problems(frame: pd.DataFrame, problems: list[InputProblem]) -> pd.DataFrame:
    """The reader's input-problem frame with more problems appended."""
    more = pd.DataFrame([p.__dict__ for p in problems], columns=["path", "kind", "reason", "project"])
    return pd.concat([frame, more], ignore_index=True)


def build_summary(audit: Audit, timings: dict[str, float]) -> dict:
    """The content of summary.json."""
    inv = audit.inventory.summary()
    inv["input_problems"] = int(len(audit.input_problems))
    summary: dict = {
        "repo": audit.repo_root,
        "generated_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "inventory": inv,
        "findings": findings_summary(audit.findings),
        "timings_s": {k: round(v, 3) for k, v in timings.items()},
        "thresholds": audit.thresholds,
    }
    if audit._history is not None:
        from auditkit.analytics.summary import history_summary, history_volume_summary
        summary["history"] = history_summary(audit._history)
        summary["history_volume"] = history_volume_summary(audit._history, audit.inventory, audit.mage_env)
    summary["key_figures"] = key_figures(audit, summary.get("history"))
    if audit.rule_run is not None:
        summary["rules"] = audit.rule_run.status()
    return summary


def key_figures(audit: Audit, history: dict | None) -> dict:
    """The few numbers tracked from one audit to the next (the quarterly trend)."""
    from auditkit.analytics.blocks import MAX_LINES, code_files
    from auditkit.analytics.retries import effective_retry_config
    from auditkit.limits import Limits

    inv = audit.inventory
    files = code_files(inv.block_files)
    retries = effective_retry_config(inv)["retries"]
    limits = Limits.from_thresholds(audit.thresholds)
    figures = {
        "blocks_over_500": int((files["lines_code"] > MAX_LINES).sum()),
        # The same count at the audit's own limit (auditkit.yaml's MAGE-BLK-001 max_lines).
        "block_max_lines": limits.block_max,
        "blocks_over_limit": int((files["lines_code"] > limits.block_max).sum()),
        "retry_coverage": round(float((retries > 0).mean()), 3) if len(retries) else None,
        "secrets": int(len(getattr(audit.security, "secrets", []))),
        "failure_rate": None,
    }
    if history and history.get("pipeline_runs"):
        from auditkit.analytics.runs import failure_rate
        counts = history["pipeline_runs"]
        figures["failure_rate"] = failure_rate(sum(v.get("COMPLETED", 0) for v in counts.values()),
                                               sum(v.get("FAILED", 0) for v in counts.values()))
    return figures


def open_audit(repo: str | None = None, *, history: str | None = None, mage_data: str | None = None,
               config: Any = None, since: str | None = None, until: str | None = None,
               audit_cache: str | None = None, mage_url: str | None = None) -> Audit:
    """Open an audit in a notebook or script: the report runner's saved audit when
    ``audit_cache`` holds one, otherwise a fresh audit of ``repo``.

    Parameters:
        repo: a Mage repo or project folder; empty or None audits the embedded demo (built
            once in the user's cache folder, with its generated run history).
        history: the run-history database: a SQLAlchemy URL
            (``postgresql+psycopg2://user@host/db``) or a SQLite file. Opened read-only.
        mage_data: a Mage data folder holding ``<project>/mage-ai.db`` and the block logs
            (an alternative to ``history`` that also reads retries from the logs).
        config: an ``auditkit.yaml`` path, a dict of the same shape, or None for
            ``<repo>/auditkit.yaml`` when present.
        mage_url: a running Mage server (``http://host:6789``) whose run history is read
            through its REST API when neither ``history`` nor ``mage_data`` is given. Credentials
            come from environment variables only, never from a parameter: ``MAGE_API_KEY``,
            and ``MAGE_API_TOKEN`` or ``MAGE_EMAIL`` + ``MAGE_PASSWORD``. Read-only (GET
            requests plus one sign-in); an unreachable server or refused credentials become
            input problems.
        since, until: ISO dates limiting the history to ``[since, until)``.
        audit_cache: a folder where ``auditkit report`` saved its audit; reused when readable.

    Returns:
        An :class:`Audit`: ``inventory`` (the repo's frames), ``findings``, ``history``,
        ``security``, ``git``, ``input_problems`` and ``summary``.

    Raises:
        NotAMageRepo when ``repo`` holds no Mage project; ConfigError for a malformed config.
        Every other bad input becomes a row of ``input_problems``.
    """
    if audit_cache and (Path(audit_cache) / CACHE_FILE).exists():
        try:
            return Audit.load(audit_cache)
        except (ValueError, OSError):
            if not repo:
                raise
            # An unreadable cache is a miss when the notebook can audit the repo itself.
    if not repo:
        from auditkit.demo.workspace import demo_for_notebooks
        repo, history, mage_data = demo_for_notebooks()
    return run_audit(repo, history=history, mage_data=mage_data, config=config, since=since, until=until,
                     mage_url=mage_url)
