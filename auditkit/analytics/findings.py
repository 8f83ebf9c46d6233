"""Tables over an audit's findings (``auditkit.model.FINDING_COLUMNS``): the one definition of
"unwaived", the findings summary of summary.json and findings.json, the category scorecard,
severity counts, the top and the waived findings. Figures of them are in
:mod:`auditkit.plots.findings`.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

from auditkit.model import CATEGORIES, SEVERITIES, severity_rank

# Points per unwaived finding for the category score; a critical finding outweighs many small ones.
SEVERITY_POINTS = {"critical": 10, "high": 5, "medium": 2, "low": 1, "info": 0}


def waived_mask(findings: pd.DataFrame) -> pd.Series:
    """True for waived findings (a missing flag counts as not waived)."""
    if not len(findings) or "waived" not in findings:
        return pd.Series(False, index=findings.index, dtype=bool)
    return findings["waived"].fillna(False).astype(bool)


def unwaived(findings: pd.DataFrame) -> pd.DataFrame:
    """The findings that count: everything not covered by an unexpired waiver."""
    return findings[~waived_mask(findings)] if len(findings) else findings


def findings_summary(findings: pd.DataFrame) -> dict:
    """Counts of unwaived findings by severity, category and rule, plus totals (the ``findings``
    object of summary.json and the ``summary`` of findings.json)."""
    active = unwaived(findings)
    return {
        "total": int(len(active)),
        "waived": int(len(findings) - len(active)),
        "by_severity": {s: int((active["severity"] == s).sum()) for s in SEVERITIES},
        "by_category": {k: int(v) for k, v in active["category"].value_counts().sort_index().items()},
        "by_rule": {k: int(v) for k, v in active["rule_id"].value_counts().sort_index().items()},
    }


def scorecard(findings: pd.DataFrame, categories: tuple[str, ...] = CATEGORIES) -> pd.DataFrame:
    """One row per category: unwaived counts per severity, ``waived``, ``points`` and ``status``.

    ``status`` is ``fail`` with any critical or high finding, ``warn`` with a medium one,
    ``pass`` otherwise (low and info findings are advice). ``points`` weighs findings by
    severity (critical 10, high 5, medium 2, low 1, info 0).
    """
    active = unwaived(findings)
    rows = []
    for cat in categories:
        mine = active[active["category"] == cat] if len(active) else active
        counts = {s: int((mine["severity"] == s).sum()) if len(mine) else 0 for s in SEVERITIES}
        waived = int(((findings["category"] == cat) & waived_mask(findings)).sum()) \
            if len(findings) else 0
        status = "fail" if counts["critical"] or counts["high"] else ("warn" if counts["medium"] else "pass")
        rows.append({"category": cat, **{s: counts[s] for s in reversed(SEVERITIES)},
                     "total": sum(counts.values()), "waived": waived,
                     "points": sum(SEVERITY_POINTS[s] * n for s, n in counts.items()), "status": status})
    return pd.DataFrame(rows, columns=["category", *reversed(SEVERITIES), "total", "waived", "points", "status"])

def severity_counts(findings: pd.DataFrame) -> pd.DataFrame:
    """Unwaived and waived findings per severity, most severe first."""
    active = unwaived(findings)
    rows = [{"severity": s,
             "findings": int((active["severity"] == s).sum()) if len(active) else 0,
             "waived": int(((findings["severity"] == s) & waived_mask(findings)).sum())
             if len(findings) else 0}
            for s in reversed(SEVERITIES)]
    return pd.DataFrame(rows, columns=["severity", "findings", "waived"])

def top_findings(findings: pd.DataFrame, n: int = 20) -> pd.DataFrame:
    """The ``n`` most severe unwaived findings (ties by rule id and path)."""
    cols = ["severity", "rule_id", "category", "message", "pipeline", "path", "line"]
    active = unwaived(findings)
    if active.empty:
        return pd.DataFrame(columns=cols)
    ranked = active.assign(_r=-severity_rank(active["severity"])).sort_values(["_r", "rule_id", "path"])
    return ranked[cols].head(n).reset_index(drop=True)

def waived_findings(findings: pd.DataFrame, today: dt.date | None = None) -> pd.DataFrame:
    """Waived findings with their reason, expiry and days left (None when open-ended)."""
    cols = ["rule_id", "severity", "path", "pipeline", "waiver_reason", "waiver_expires", "days_left"]
    if findings.empty:
        return pd.DataFrame(columns=cols)
    waived = findings[waived_mask(findings)].copy()
    today = today or dt.date.today()

    def days_left(value) -> int | None:
        if not isinstance(value, str) or not value:
            return None
        return (dt.date.fromisoformat(value) - today).days

    waived["days_left"] = waived["waiver_expires"].map(days_left)
    return waived[cols].sort_values(["waiver_expires", "rule_id"], na_position="last").reset_index(drop=True)

def findings_by_rule(findings: pd.DataFrame) -> pd.DataFrame:
    """Unwaived findings per rule with category and severity, most frequent first."""
    active = unwaived(findings)
    if active.empty:
        return pd.DataFrame(columns=["rule_id", "category", "severity", "findings"])
    grouped = active.groupby(["rule_id", "category", "severity"]).size().reset_index(name="findings")
    return grouped.sort_values(["findings", "rule_id"], ascending=[False, True]).reset_index(drop=True)
