"""Compare findings with a baseline (an earlier findings.json) by fingerprint.

Fingerprints leave out line numbers and messages, so a finding survives unrelated edits and
stays "known"; only findings whose fingerprint the baseline lacks are "new".
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd


class BaselineError(ValueError):
    """The baseline file cannot be read or is not a findings.json."""


def load_baseline(path: str | Path) -> set[str]:
    """The fingerprints recorded in a findings.json file."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BaselineError(f"baseline not found: {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BaselineError(f"baseline {path} is not readable JSON ({type(exc).__name__})") from None
    findings = data.get("findings") if isinstance(data, dict) else None
    if not isinstance(findings, list):
        raise BaselineError(f"baseline {path} has no 'findings' list (expected an auditkit findings.json)")
    prints = set()
    for i, item in enumerate(findings):
        if not isinstance(item, dict) or not isinstance(item.get("fingerprint"), str):
            raise BaselineError(f"baseline {path}: findings[{i}] has no fingerprint")
        prints.add(item["fingerprint"])
    return prints


def mark_new(findings: pd.DataFrame, baseline: set[str]) -> pd.DataFrame:
    """``findings`` with a boolean ``new`` column: True when the fingerprint is not in ``baseline``."""
    return findings.assign(new=~findings["fingerprint"].isin(baseline))
