"""The rule model: one rule is one small class with an id, thresholds and a documented check.

A rule's docstring carries the sections ``What it checks``, ``Why it matters``,
``Example``, ``Fix`` (and optionally ``Options``); ``docs/rules.md`` is generated from them.
"""
from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass
from typing import Any, ClassVar, Iterable, Iterator

from auditkit.model import CATEGORIES, SEVERITIES, Finding, short_hash

DOC_SECTIONS = ("What it checks", "Why it matters", "Example", "Fix")


@dataclass(frozen=True)
class Threshold:
    name: str
    default: Any
    meaning: str
    allowed: str = ""


class RuleContext:
    """What a rule may look at: the gathered data plus the user's thresholds.

    ``inventory`` is the repo reader's result (:class:`~auditkit.readers.repo.RepoInventory`);
    ``history`` the opened run history (:class:`~auditkit.readers.history.History`, or None);
    ``git`` git metadata (:class:`~auditkit.readers.git.GitInfo`, or None); ``security`` the
    security scan (:class:`~auditkit.readers.security.SecurityScan`, or None); ``drift`` the
    environments compared by ``auditkit drift`` (:class:`~auditkit.drift.result.DriftResult`, or None).
    ``thresholds`` maps rule id -> {name: value}; ``mage_env`` is the Mage environment the run
    history comes from (auditkit.yaml's ``mage_env``; None: inferred or unknown). A rule names what it reads in ``Rule.needs``;
    the runner skips it (with the reason) when one of those is None.
    """

    SOURCES = ("inventory", "history", "git", "security", "drift")

    def __init__(self, inventory=None, history=None, git=None, security=None, drift=None,
                 thresholds: dict | None = None, mage_env: str | None = None) -> None:
        self.inventory = inventory
        self.history = history
        self.git = git
        self.security = security
        self.drift = drift
        self.thresholds = thresholds or {}
        self.mage_env = mage_env


class Rule:
    """Base class. Subclasses set the class attributes and implement :meth:`check`."""

    id: ClassVar[str]
    name: ClassVar[str]            # names the problem, kebab-case: "block-too-large"
    title: ClassVar[str]
    category: ClassVar[str]
    severity: ClassVar[str]
    thresholds: ClassVar[tuple[Threshold, ...]] = ()
    needs: ClassVar[frozenset[str]] = frozenset({"inventory"})   # inventory, history, git, security, drift
    practices: ClassVar[tuple[str, ...]] = ()                    # guide practice ids it checks
    # Rules whose findings did not hold up on real repos stay available but are switched on
    # only by the user (``rules: {ID: true}``); ``off_by_default`` says why they are off.
    off_by_default: ClassVar[str] = ""

    def __init__(self, ctx: RuleContext, severity: str | None = None) -> None:
        self.ctx = ctx
        self.effective_severity = severity or self.severity

    def option(self, name: str) -> Any:
        """The configured value of threshold ``name`` (user value or the guide's default)."""
        configured = self.ctx.thresholds.get(self.id, {})
        if name in configured:
            return configured[name]
        for t in self.thresholds:
            if t.name == name:
                return t.default
        raise KeyError(f"{self.id} has no threshold {name!r}")

    def check(self) -> Iterable[Finding]:  # pragma: no cover - abstract
        raise NotImplementedError

    def finding(self, message: str, *, key: Any = None, project: str | None = None,
                pipeline: str | None = None, block: str | None = None, path: str | None = None,
                line: int | None = None, evidence: str | None = None,
                severity: str | None = None, **extra: Any) -> Finding:
        """Build a finding. ``key`` identifies the offending thing beyond its location
        (e.g. a config key name) so the fingerprint survives unrelated edits; line numbers
        are deliberately not part of the fingerprint."""
        fingerprint = short_hash(self.id, project, pipeline, block, path, key)
        return Finding(
            rule_id=self.id, severity=severity or self.effective_severity, category=self.category,
            message=message, fingerprint=fingerprint, project=project, pipeline=pipeline,
            block=block, path=path, line=line, evidence=evidence, extra=extra,
        )

    @classmethod
    def doc_sections(cls) -> dict[str, str]:
        """Split the docstring into its named sections."""
        doc = inspect.getdoc(cls) or ""
        sections: dict[str, str] = {}
        current = "summary"
        lines: list[str] = []
        for line in doc.splitlines():
            stripped = line.strip().rstrip(":")
            if stripped in DOC_SECTIONS or stripped == "Options":
                sections[current] = "\n".join(lines).strip()
                current, lines = stripped, []
            else:
                lines.append(line)
        sections[current] = "\n".join(lines).strip()
        return sections


REGISTRY: dict[str, type[Rule]] = {}
RULES_PACKAGE = "auditkit.rules"     # the rule set, loaded by name like a plugin


def register(cls: type[Rule]) -> type[Rule]:
    """Class decorator: validate the rule's metadata and add it to the catalogue."""
    for attr in ("id", "name", "title", "category", "severity"):
        if not getattr(cls, attr, None):
            raise TypeError(f"{cls.__name__} lacks {attr}")
    if cls.category not in CATEGORIES:
        raise TypeError(f"{cls.id}: unknown category {cls.category!r}")
    if cls.severity not in SEVERITIES:
        raise TypeError(f"{cls.id}: unknown severity {cls.severity!r}")
    if cls.id in REGISTRY and REGISTRY[cls.id] is not cls:
        raise TypeError(f"duplicate rule id {cls.id}")
    REGISTRY[cls.id] = cls
    return cls


def all_rules() -> Iterator[type[Rule]]:
    """Every registered rule class, sorted by id (imports the rule modules first)."""
    importlib.import_module(RULES_PACKAGE)      # the rule set registers itself when imported
    return iter(sorted(REGISTRY.values(), key=lambda r: r.id))
