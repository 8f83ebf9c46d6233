"""What ``auditkit check`` prints and returns: the findings table, the summary line, the exit code.

Exit codes: 0 nothing at or above ``--fail-on``; 1 an unwaived (and, with ``--baseline``, new)
finding at or above ``--fail-on``; 2 usage or input error (not a Mage repo, bad config,
unreadable baseline). The command itself is :mod:`auditkit.check`.
"""
from __future__ import annotations

import pandas as pd

from auditkit.analytics.findings import unwaived, waived_mask
from auditkit.model import SEVERITIES, SEVERITY_RANK, severity_rank

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT = 0, 1, 2
MESSAGE_WIDTH = 100
MAX_PROBLEMS_SHOWN = 20   # input problems listed on stderr; the files hold all of them


def gate(findings: pd.DataFrame, fail_on: str | None) -> int:
    """EXIT_FINDINGS when an unwaived finding (new, if a ``new`` column exists) ranks at or
    above ``fail_on``; EXIT_OK otherwise or when ``fail_on`` is None."""
    if fail_on is None or findings.empty:
        return EXIT_OK
    relevant = unwaived(findings)
    if "new" in relevant.columns:
        relevant = relevant[relevant["new"]]
    floor = SEVERITY_RANK[fail_on]
    hits = severity_rank(relevant["severity"]).fillna(-1) >= floor
    return EXIT_FINDINGS if bool(hits.any()) else EXIT_OK


def location(row: dict) -> str:
    """``path:line`` when known, else the pipeline or project the finding is about."""
    path = row.get("path")
    if isinstance(path, str) and path:
        line = row.get("line")
        return f"{path}:{int(line)}" if line is not None and not pd.isna(line) else path
    for key in ("pipeline", "project"):
        value = row.get(key)
        if isinstance(value, str) and value:
            return f"{key} {value}"
    return "-"


def findings_table(findings: pd.DataFrame) -> pd.DataFrame:
    """The printed table as a frame: rule, severity, location, message, status."""
    rows = []
    for rec in findings.to_dict("records"):
        status = "waived" if rec.get("waived") else ("new" if rec.get("new") else "")
        rows.append({"rule": rec["rule_id"], "severity": rec["severity"], "location": location(rec),
                     "message": rec["message"], "status": status})
    return pd.DataFrame(rows, columns=["rule", "severity", "location", "message", "status"])


def render_table(findings: pd.DataFrame) -> str:
    """Plain-text table, most severe first; waived findings marked ``[waived]``."""
    table = findings_table(findings)
    if table.empty:
        return "No findings.\n"
    rank = severity_rank(table["severity"]).fillna(-1)
    table = table.assign(_r=-rank).sort_values(["_r", "rule", "location"]).drop(columns="_r")
    widths = {c: max(len(c), *(len(str(v)) for v in table[c])) for c in ("rule", "severity", "location")}
    widths["location"] = min(widths["location"], 60)
    head = f"{'RULE':<{widths['rule']}}  {'SEVERITY':<{widths['severity']}}  {'LOCATION':<{widths['location']}}  MESSAGE"
    lines = [head, "-" * len(head)]
    for rec in table.to_dict("records"):
        msg = rec["message"] if len(rec["message"]) <= MESSAGE_WIDTH else rec["message"][:MESSAGE_WIDTH - 3] + "..."
        mark = f" [{rec['status']}]" if rec["status"] else ""
        loc = rec["location"] if len(rec["location"]) <= widths["location"] else "..." + rec["location"][-(widths["location"] - 3):]
        lines.append(f"{rec['rule']:<{widths['rule']}}  {rec['severity']:<{widths['severity']}}  "
                     f"{loc:<{widths['location']}}  {msg}{mark}")
    return "\n".join(lines) + "\n"


def summary_line(findings: pd.DataFrame, input_problems: int = 0) -> str:
    waived, active = waived_mask(findings), unwaived(findings)
    counts = ", ".join(f"{int((active['severity'] == s).sum())} {s}" for s in reversed(SEVERITIES)) if len(active) else "0"
    extra = f"; {int(waived.sum())} waived" if len(findings) else ""
    if "new" in findings.columns and len(findings):
        extra += f"; {int(findings['new'].sum())} new since baseline"
    if input_problems:
        extra += f"; {input_problems} input problem(s): some files could not be read"
    return f"{len(active)} findings ({counts}){extra}\n"
