"""Plain data shared by every layer: severities, input problems and findings.

Readers report what they could not read as :class:`InputProblem` rows; rules emit
:class:`Finding` rows. Both are small frozen records so they serialise to JSON,
CSV and DataFrames without custom code.
"""
from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable

import pandas as pd

SEVERITIES: tuple[str, ...] = ("info", "low", "medium", "high", "critical")
SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}
# Findings frames hold severities as this ordered categorical: sorting, min/max and comparisons
# follow info < low < medium < high < critical, not the alphabet.
SEVERITY_DTYPE = pd.CategoricalDtype(list(SEVERITIES), ordered=True)

CATEGORIES: tuple[str, ...] = (
    "blocks",          # size, naming, organisation, single responsibility, reusability
    "documentation",   # docstrings, descriptions
    "testing",         # @test functions, data-quality assertions
    "pipelines",       # structure, naming, tags, complexity, graph health
    "reliability",     # error handling, retries, idempotency, checkpointing
    "performance",     # executors, concurrency, chunking, connections
    "observability",   # logging, alerting, run health signals
    "operations",      # schedules, backfills, run history
    "security",        # secrets, code risks, server settings, accounts
    "deployment",      # environments, branches, commits, CI/CD practice
    "configuration",   # auditkit's own config: expired waivers
)


def severity_at_least(severity: str, floor: str) -> bool:
    """True when ``severity`` ranks at or above ``floor`` (both lower-case names)."""
    return SEVERITY_RANK[severity] >= SEVERITY_RANK[floor]


def severity_rank(severities: pd.Series) -> pd.Series:
    """0 (info) .. 4 (critical) for each value of ``severities`` (categorical or text); NaN when
    unknown."""
    return severities.astype("object").map(SEVERITY_RANK).astype("float64")


def short_hash(*parts: Any, length: int = 16) -> str:
    """A short, non-reversible fingerprint of ``parts`` (sha256, hex)."""
    digest = hashlib.sha256("\x1f".join("" if p is None else str(p) for p in parts).encode())
    return digest.hexdigest()[:length]


@dataclass(frozen=True)
class InputProblem:
    """Something the audit could not read; the audit goes on without it."""

    path: str          # repo-relative path, DB URL with the password masked, or a folder
    kind: str          # short machine word: yaml, missing_file, encoding, too_large, history, ...
    reason: str        # one sentence a person can act on
    project: str | None = None


class ProblemLog:
    """Collects :class:`InputProblem` rows while readers run."""

    def __init__(self) -> None:
        self._rows: list[InputProblem] = []

    def add(self, path: str, kind: str, reason: str, project: str | None = None) -> None:
        self._rows.append(InputProblem(str(path), kind, reason, project))

    def extend(self, rows: Iterable[InputProblem]) -> None:
        self._rows.extend(rows)

    def __iter__(self):
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame([asdict(p) for p in self._rows], columns=["path", "kind", "reason", "project"])


@dataclass(frozen=True)
class Finding:
    """One rule violation at one place. ``evidence`` never holds a secret value."""

    rule_id: str
    severity: str
    category: str
    message: str
    fingerprint: str
    project: str | None = None
    pipeline: str | None = None
    block: str | None = None
    path: str | None = None
    line: int | None = None
    evidence: str | None = None
    waived: bool = False
    waiver_reason: str | None = None
    waiver_expires: str | None = None
    pipelines: tuple[str, ...] = ()     # every pipeline concerned (for a block file: those using it)
    extra: dict = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict:
        return asdict(self)


FINDING_COLUMNS = [
    "rule_id", "severity", "category", "message", "fingerprint", "project", "pipeline",
    "block", "path", "line", "evidence", "waived", "waiver_reason", "waiver_expires", "pipelines",
]


def findings_frame(findings: Iterable[Finding]) -> pd.DataFrame:
    """Findings as a frame (``FINDING_COLUMNS``): ``severity`` an ordered categorical (see
    ``SEVERITY_DTYPE``), ``line`` nullable integers, ``pipelines`` lists."""
    rows = [{k: getattr(f, k) for k in FINDING_COLUMNS} for f in findings]
    for row in rows:
        row["pipelines"] = list(row["pipelines"])
    return typed_findings(pd.DataFrame(rows, columns=FINDING_COLUMNS))


def typed_findings(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the findings dtypes: ordered severities and ``Int64`` lines."""
    frame = frame.copy()
    if "severity" in frame:
        frame["severity"] = frame["severity"].astype("object").astype(SEVERITY_DTYPE)
    if "line" in frame:
        frame["line"] = pd.to_numeric(frame["line"], errors="coerce").round().astype("Int64")
    return frame
