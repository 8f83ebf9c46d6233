"""The configuration the engine applies: thresholds, switches, severities, globs, waivers.

Plain records; ``auditkit/config.py`` reads and validates them from ``auditkit.yaml``.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Waiver:
    """An accepted exception: findings of ``rule`` matching the patterns are marked waived."""

    index: int                      # position in the waivers list, for messages
    rule: str                       # rule id
    reason: str
    path: str | None = None         # glob on the finding's repo-relative path
    pipeline: str | None = None     # glob on the finding's pipeline uuid
    expires: dt.date | None = None

    def label(self) -> str:
        where = ", ".join(f"{k}={v}" for k, v in (("path", self.path), ("pipeline", self.pipeline)) if v)
        return f"waivers[{self.index}] ({self.rule}{', ' + where if where else ''})"

    def is_expired(self, today: dt.date) -> bool:
        return self.expires is not None and self.expires < today


@dataclass
class Config:
    """The validated configuration. ``thresholds`` and ``severity`` are keyed by rule id."""

    thresholds: dict[str, dict[str, Any]] = field(default_factory=dict)
    disabled: set[str] = field(default_factory=set)
    enabled: set[str] = field(default_factory=set)      # switched on explicitly (rules: {ID: true})
    severity: dict[str, str] = field(default_factory=dict)
    include: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    waivers: list[Waiver] = field(default_factory=list)
    source: str | None = None       # where it came from (file path, "dict", or None)
    mage_env: str | None = None     # the audited history's Mage environment (None: inferred)
