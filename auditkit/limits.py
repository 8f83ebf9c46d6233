"""The limits drawn on charts, bands and headline figures, read as the rules read them: the
guide's number (:mod:`auditkit.guide`, every rule threshold's default) unless the audit's
``auditkit.yaml`` sets that rule's threshold. A chart and a finding therefore never disagree
about what "too large" means. (tests/test_report_limits.py checks that each default here is
the rule's own threshold default.)
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from auditkit import guide

# (limit field, rule id, threshold name) — the rules whose thresholds the pictures follow.
SOURCES = (
    ("block_max", "MAGE-BLK-001", "max_lines"),
    ("block_ideal_max", "MAGE-BLK-002", "ideal_max"),
    ("pipeline_max_blocks", "MAGE-PIP-005", "max_blocks"),
    ("pipeline_min_blocks", "MAGE-PIP-006", "min_blocks"),
    ("pipeline_max_depth", "MAGE-PIP-008", "max_depth"),
    ("pipeline_max_width", "MAGE-PIP-009", "max_width"),
)




@dataclass(frozen=True)
class Limits:
    block_ideal_min: int = guide.BLOCK_IDEAL_LINES[0]
    block_ideal_max: int = guide.BLOCK_IDEAL_LINES[1]
    block_max: int = guide.BLOCK_MAX_LINES
    pipeline_min_blocks: int = guide.PIPELINE_BLOCKS[0]
    pipeline_max_blocks: int = guide.PIPELINE_BLOCKS[1]
    pipeline_max_depth: int = guide.PIPELINE_MAX_DEPTH
    pipeline_max_width: int = guide.PIPELINE_MAX_BRANCHES

    @classmethod
    def from_thresholds(cls, thresholds: dict | None) -> "Limits":
        """The limits under ``thresholds`` (rule id -> {threshold name: value}, as in Config)."""
        defaults = cls()
        values = {field: (thresholds or {}).get(rule_id, {}).get(option, getattr(defaults, field))
                  for field, rule_id, option in SOURCES}
        ideal_min = min(guide.BLOCK_IDEAL_LINES[0], values["block_ideal_max"])
        return cls(block_ideal_min=ideal_min, **values)

    @property
    def block_ideal(self) -> tuple[int, int]:
        return self.block_ideal_min, self.block_ideal_max

    @property
    def pipeline_blocks(self) -> tuple[int, int]:
        return self.pipeline_min_blocks, self.pipeline_max_blocks

    def size_bands(self) -> list[tuple[float, float, str]]:
        """(low, high, label) bands of block code lines: under ideal, ideal, above ideal, over max."""
        low, high, top = self.block_ideal_min, self.block_ideal_max, self.block_max
        bands = [(0, low - 1, f"under {low}"), (low, high, f"ideal {low}-{high}")]
        if top > high:
            bands.append((high + 1, top, f"{high + 1}-{top}"))
        bands.append((max(top, high) + 1, float("inf"), f"over {top}"))
        return bands

    def size_band(self, lines: float) -> str:
        for low, high, label in self.size_bands():
            if low <= lines <= high:
                return label
        return "unknown"


def audit_limits(audit: Any) -> Limits:
    """The limits of ``audit``: its configuration's thresholds over the guide's defaults."""
    thresholds = (getattr(audit, "summary", None) or {}).get("thresholds")
    if thresholds is None:
        thresholds = getattr(audit, "thresholds", None)
    return Limits.from_thresholds(thresholds or {})
