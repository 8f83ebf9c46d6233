"""Run the rule catalogue against gathered data and apply the user's configuration.

Order: enabled rules run with their effective severity (rules whose data is missing are
skipped, a rule that raises is recorded and the others go on); findings outside
``include`` / inside ``exclude`` are dropped; waivers mark the rest; expired waivers become
``MAGE-CFG-001`` findings themselves.
"""
from __future__ import annotations

import datetime as dt
import fnmatch
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Iterable

import pandas as pd

from auditkit.model import Finding
from auditkit.readers.paths import is_excluded
from auditkit.engine.base import REGISTRY, Rule, RuleContext, all_rules
from auditkit.engine.settings import Config
from auditkit.engine.frames import shared_lookups

EXPIRED_WAIVER_RULE = "MAGE-CFG-001"


@dataclass(frozen=True)
class SkippedRule:
    rule_id: str
    reason: str


@dataclass(frozen=True)
class RuleError:
    """A rule that raised; its findings are missing from this audit."""

    rule_id: str
    error: str          # exception type and message (rules never put secret values in messages)


class RuleRun(list):
    """The findings (a list of :class:`Finding`) plus what did not run and why."""

    def __init__(self, findings: Iterable[Finding] = (), skipped: list[SkippedRule] | None = None,
                 errors: list[RuleError] | None = None, ran: list[str] | None = None) -> None:
        super().__init__(findings)
        self.skipped = skipped or []
        self.errors = errors or []
        self.ran = ran or []

    def skipped_frame(self) -> pd.DataFrame:
        """One row per skipped rule: rule_id, reason."""
        return pd.DataFrame([s.__dict__ for s in self.skipped], columns=["rule_id", "reason"])

    def errors_frame(self) -> pd.DataFrame:
        """One row per rule that raised: rule_id, error."""
        return pd.DataFrame([e.__dict__ for e in self.errors], columns=["rule_id", "error"])

    def status(self) -> dict:
        """A JSON-ready account of the run (for summary.json / the report)."""
        return {"ran": len(self.ran),
                "skipped": {s.rule_id: s.reason for s in self.skipped},
                "errors": {e.rule_id: e.error for e in self.errors}}


def missing_needs(rule: type[Rule], ctx: RuleContext) -> list[str]:
    """The data sources ``rule`` needs that this audit does not have."""
    return sorted(n for n in rule.needs if n not in RuleContext.SOURCES or getattr(ctx, n) is None)


def run_rules(ctx: RuleContext, cfg: Any = None, *, today: dt.date | None = None,
              rules: Iterable[type[Rule]] | None = None) -> RuleRun:
    """Run every enabled rule (or ``rules``) and return the configured findings.

    The result is a list of findings with ``skipped`` and ``errors`` attributes (the audit
    keeps it as ``Audit.rule_run`` to report what ran).
    """
    cfg = cfg or Config()
    today = today or dt.date.today()
    findings: list[Finding] = []
    run = RuleRun()
    with shared_lookups():   # rows and lookups are built once for all rules, not once per rule
        _run_each(ctx, cfg, all_rules() if rules is None else rules, run, findings)

    findings = [f for f in findings if in_scope(f.path, cfg.include, cfg.exclude)]
    findings = with_pipelines(findings, ctx.inventory)
    findings = apply_waivers(findings, cfg.waivers, today)
    if EXPIRED_WAIVER_RULE not in cfg.disabled:
        findings.extend(expired_waiver_findings(ctx, cfg, today))
    run.extend(findings)
    return run


def _run_each(ctx: RuleContext, cfg: Any, rules: Iterable[type[Rule]], run: RuleRun,
              findings: list[Finding]) -> None:
    """Run ``rules`` one by one into ``findings``, recording what ran, was skipped or failed."""
    enabled = getattr(cfg, "enabled", set())
    for rule_cls in rules:
        if rule_cls.id in cfg.disabled:
            run.skipped.append(SkippedRule(rule_cls.id, "disabled in configuration"))
            continue
        if rule_cls.off_by_default and rule_cls.id not in enabled:
            run.skipped.append(SkippedRule(rule_cls.id, f"off by default (rules: {{{rule_cls.id}: true}} "
                                                        "switches it on)"))
            continue
        if rule_cls.id == EXPIRED_WAIVER_RULE:
            continue   # produced below from the configuration, not from gathered data
        missing = missing_needs(rule_cls, ctx)
        if missing:
            run.skipped.append(SkippedRule(rule_cls.id, f"no {', '.join(missing)} data"))
            continue
        try:
            rule = rule_cls(ctx, severity=cfg.severity.get(rule_cls.id))
            produced = list(rule.check())
        except Exception as exc:  # noqa: BLE001 - one broken rule must not end the audit
            run.errors.append(RuleError(rule_cls.id, f"{type(exc).__name__}: {exc}"[:300]))
            continue
        run.ran.append(rule_cls.id)
        findings.extend(produced)


def with_pipelines(findings: list[Finding], inventory: Any) -> list[Finding]:
    """Each finding with the pipelines it concerns: its own pipeline, or for a finding on a
    block file every pipeline whose blocks use that file (so filtering by pipeline finds it)."""
    users: dict[tuple, set[str]] = {}
    blocks = getattr(inventory, "blocks", None)
    if isinstance(blocks, pd.DataFrame) and len(blocks) and "path" in blocks:
        for project, pipeline, path in blocks[["project", "pipeline", "path"]].itertuples(index=False):
            if isinstance(path, str):
                users.setdefault((project, path), set()).add(str(pipeline))
    out = []
    for f in findings:
        if f.pipeline:
            names = {f.pipeline}
        else:
            names = users.get((f.project, f.path), set()) if f.path else set()
        out.append(replace(f, pipelines=tuple(sorted(names))) if names else f)
    return out


def in_scope(path: str | None, include: list[str], exclude: list[str]) -> bool:
    """Whether a finding at ``path`` is kept; findings without a path always are."""
    if not path:
        return True
    if include and not is_excluded(path, include):
        return False
    return not (exclude and is_excluded(path, exclude))


def waiver_matches(waiver, finding: Finding) -> bool:
    """A waiver matches its rule's findings whose path / pipeline fit its patterns."""
    if waiver.rule != finding.rule_id:
        return False
    if waiver.path is not None and not (finding.path and is_excluded(finding.path, [waiver.path])):
        return False
    if waiver.pipeline is not None and not (finding.pipeline and fnmatch.fnmatchcase(finding.pipeline, waiver.pipeline)):
        return False
    return True


def apply_waivers(findings: list[Finding], waivers: list, today: dt.date) -> list[Finding]:
    """Mark findings covered by an unexpired waiver (the first matching waiver wins)."""
    live = [w for w in waivers if not w.is_expired(today)]
    result = []
    for f in findings:
        waiver = next((w for w in live if waiver_matches(w, f)), None)
        if waiver is not None:
            f = replace(f, waived=True, waiver_reason=waiver.reason,
                        waiver_expires=waiver.expires.isoformat() if waiver.expires else None)
        result.append(f)
    return result


def expired_waiver_findings(ctx: RuleContext, cfg: Any, today: dt.date) -> list[Finding]:
    # The rule class lives with the other rules; the engine only knows it by id.
    rule = REGISTRY[EXPIRED_WAIVER_RULE](ctx, severity=cfg.severity.get(EXPIRED_WAIVER_RULE))
    path = _config_path_in_repo(cfg.source, getattr(ctx.inventory, "root", None))
    return [rule.for_waiver(w, path) for w in cfg.waivers if w.is_expired(today)]


def _config_path_in_repo(source: str | None, root: Any) -> str | None:
    """The config file's repo-relative path, or None (a dict, or a file outside the repo)."""
    if not source or source == "dict" or root is None:
        return None
    try:
        return Path(source).resolve().relative_to(Path(root).resolve()).as_posix()
    except (ValueError, OSError):
        return None
