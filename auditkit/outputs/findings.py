"""Write findings for people and CI: findings.json, findings.csv and findings.sarif (SARIF 2.1.0).

All writers take the findings DataFrame of an audit (columns ``auditkit.model.FINDING_COLUMNS``)
and, optionally, its input problems (what could not be read: columns ``path, kind, reason,
project``), which every format carries too: JSON under ``input_problems``, CSV as rows of rule
``INPUT``, SARIF as tool execution notifications. Paths in every output are repo-relative;
evidence never holds secret values (rules guarantee it), so nothing is redacted here.
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Iterable

import pandas as pd

from auditkit.version import __version__
from auditkit.analytics.findings import findings_summary
from auditkit.model import FINDING_COLUMNS

SARIF_SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
FINGERPRINT_KEY = "auditkitFingerprint/v1"
SARIF_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
FILE_NAMES = {"json": "findings.json", "csv": "findings.csv", "sarif": "findings.sarif"}
PROBLEM_COLUMNS = ["path", "kind", "reason", "project"]
INPUT_RULE = "INPUT"     # rule_id of input-problem rows in findings.csv


def tool_info() -> dict:
    return {"name": "auditkit", "version": __version__}


def _records(findings: pd.DataFrame) -> list[dict]:
    """Findings as JSON-ready dicts (missing values become None, numpy ints become ints)."""
    frame = findings.reindex(columns=[c for c in FINDING_COLUMNS if c in findings.columns] +
                             [c for c in findings.columns if c not in FINDING_COLUMNS])
    # Column lists zipped into dicts: DataFrame.to_dict("records") boxes every cell (~2 s at 90k findings).
    columns = list(frame.columns)
    values = []
    for name in columns:
        column = frame[name]
        cells = column.astype(object).where(column.notna(), None).tolist()
        if name == "line":
            cells = [None if v is None else int(v) for v in cells]
        elif name == "waived":
            cells = [bool(v) for v in cells]
        values.append(cells)
    return [dict(zip(columns, row)) for row in zip(*values)]


def problem_records(problems: pd.DataFrame | None) -> list[dict]:
    """Input problems as JSON-ready dicts (path, kind, reason, project)."""
    if problems is None or not len(problems):
        return []
    frame = problems.reindex(columns=PROBLEM_COLUMNS)
    return [{k: (None if pd.isna(v) else printable(str(v))) for k, v in row.items()}
            for row in frame.to_dict("records")]


def printable(text: str) -> str:
    """``text`` with undecodable bytes of file names (surrogate escapes) shown as ``\\xff``, so
    every output can encode it."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def findings_document(findings: pd.DataFrame, repo: str, generated_at: str | None = None,
                      input_problems: pd.DataFrame | None = None) -> dict:
    """The content of findings.json."""
    problems = problem_records(input_problems)
    summary = findings_summary(findings)
    summary["input_problems"] = len(problems)
    return {
        "tool": tool_info(),
        "generated_at": generated_at or dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "repo": repo,
        "findings": _records(findings),
        "input_problems": problems,
        "summary": summary,
    }


def dumps_lines(document: dict) -> str:
    """JSON with one line per top-level key and per item of a top-level list.

    Readable and diffable (a finding per line), and fast: ``json.dumps(indent=...)`` falls back
    to the pure-Python encoder, ~8 s for 90,000 findings, where the C encoder per item takes ~1 s.
    """
    parts = []
    for key, value in document.items():
        if isinstance(value, list) and value:
            items = ",\n    ".join(json.dumps(item, default=str) for item in value)
            parts.append(f"  {json.dumps(key)}: [\n    {items}\n  ]")
        else:
            parts.append(f"  {json.dumps(key)}: {json.dumps(value, default=str)}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def write_json(findings: pd.DataFrame, path: str | Path, repo: str,
               input_problems: pd.DataFrame | None = None) -> Path:
    path = Path(path)
    path.write_text(dumps_lines(findings_document(findings, repo, input_problems=input_problems)), encoding="utf-8")
    return path


def write_csv(findings: pd.DataFrame, path: str | Path, input_problems: pd.DataFrame | None = None) -> Path:
    path = Path(path)
    extra = [c for c in ("new",) if c in findings.columns]
    frame = findings.reindex(columns=FINDING_COLUMNS + extra)
    if "pipelines" in frame and len(frame):
        frame["pipelines"] = frame["pipelines"].map(lambda v: ";".join(v) if isinstance(v, (list, tuple)) else v)
    problems = pd.DataFrame([{"rule_id": INPUT_RULE, "severity": "info", "category": "input",
                              "message": p["reason"], "project": p["project"], "path": p["path"],
                              "evidence": p["kind"], "waived": False}
                             for p in problem_records(input_problems)], columns=frame.columns)
    if len(problems):
        frame = pd.concat([frame, problems], ignore_index=True) if len(frame) else problems
    frame.to_csv(path, index=False, errors="backslashreplace")   # undecodable file names
    return path


def _rule_descriptor(rule) -> dict:
    from auditkit.engine.catalogue import rule_metadata

    meta = rule_metadata(rule)
    help_md = (f"**{meta['title']}**\n\n{meta['what_it_checks']}\n\n**Why it matters.** {meta['why_it_matters']}\n\n"
               f"**Example.** {meta['example']}\n\n**Fix.** {meta['fix']}")
    return {
        "id": meta["id"],
        "name": meta["name"],
        "shortDescription": {"text": meta["title"]},
        "fullDescription": {"text": " ".join((meta["summary"] + " " + meta["what_it_checks"]).split())},
        "help": {"text": " ".join(f"{meta['why_it_matters']} Fix: {meta['fix']}".split()), "markdown": help_md},
        "defaultConfiguration": {"level": SARIF_LEVEL[meta["severity"]]},
        "properties": {"category": meta["category"], "severity": meta["severity"],
                       "tags": [meta["category"]]},
    }


def _sarif_result(rec: dict, rule_index: dict[str, int], fallback_paths: dict[str, str]) -> dict:
    result: dict = {
        "ruleId": rec["rule_id"],
        "level": SARIF_LEVEL.get(rec["severity"], "warning"),
        "message": {"text": rec["message"]},
        "partialFingerprints": {FINGERPRINT_KEY: rec["fingerprint"]},
        "properties": {k: rec[k] for k in ("severity", "category", "project", "pipeline", "block", "evidence", "new")
                       if rec.get(k) is not None},
    }
    if rec["rule_id"] in rule_index:
        result["ruleIndex"] = rule_index[rec["rule_id"]]
    # Code-scanning services want a file for every result: a project-level finding points at
    # its project's metadata.yaml when the caller knows where that is.
    path = rec.get("path") or fallback_paths.get(rec.get("project") or "")
    if path:
        physical: dict = {"artifactLocation": {"uri": path, "uriBaseId": "%SRCROOT%"}}
        if rec.get("line"):
            physical["region"] = {"startLine": int(rec["line"])}
        result["locations"] = [{"physicalLocation": physical}]
    if rec.get("waived"):
        suppression = {"kind": "external", "justification": rec.get("waiver_reason") or "waived in auditkit.yaml"}
        if rec.get("waiver_expires"):
            suppression["properties"] = {"expires": rec["waiver_expires"]}
        result["suppressions"] = [suppression]
    return result


def _notification(problem: dict) -> dict:
    note: dict = {"level": "warning", "message": {"text": problem["reason"]},
                  "descriptor": {"id": f"input/{problem['kind']}"}}
    if problem.get("path"):
        note["locations"] = [{"physicalLocation": {"artifactLocation": {"uri": problem["path"],
                                                                        "uriBaseId": "%SRCROOT%"}}}]
    return note


def sarif_document(findings: pd.DataFrame, rules: Iterable | None = None,
                   fallback_paths: dict[str, str] | None = None,
                   input_problems: pd.DataFrame | None = None) -> dict:
    """A SARIF 2.1.0 log with one run: the rule catalogue as ``tool.driver.rules`` and one
    result per finding (repo-relative URIs against ``%SRCROOT%``). ``fallback_paths`` maps a
    project name to a file used as location of that project's findings without a path. Input
    problems become tool execution notifications of the run's invocation."""
    if rules is None:
        from auditkit.engine.base import all_rules
        rules = list(all_rules())
    descriptors = [_rule_descriptor(r) for r in rules]
    rule_index = {d["id"]: i for i, d in enumerate(descriptors)}
    driver = {"name": "auditkit", "version": __version__, "semanticVersion": __version__, "rules": descriptors}
    return {
        "$schema": SARIF_SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": driver},
            "columnKind": "unicodeCodePoints",
            "invocations": [{"executionSuccessful": True,
                             "toolExecutionNotifications": [_notification(p) for p in problem_records(input_problems)]}],
            "results": [_sarif_result(rec, rule_index, fallback_paths or {}) for rec in _records(findings)],
        }],
    }


def write_sarif(findings: pd.DataFrame, path: str | Path, fallback_paths: dict[str, str] | None = None,
                input_problems: pd.DataFrame | None = None) -> Path:
    path = Path(path)
    document = sarif_document(findings, fallback_paths=fallback_paths, input_problems=input_problems)
    path.write_text(dumps_lines(document), encoding="utf-8")
    return path


def project_metadata_paths(inventory) -> dict[str, str]:
    """Project name -> repo-relative path of its metadata.yaml (for SARIF locations)."""
    projects = getattr(inventory, "projects", None)
    if projects is None or projects.empty:
        return {}
    return {row["project"]: ("metadata.yaml" if row["path"] in (".", "") else f"{row['path']}/metadata.yaml")
            for row in projects.to_dict("records") if row.get("has_metadata")}


def write_findings(findings: pd.DataFrame, out_dir: str | Path, formats: Iterable[str], repo: str,
                   fallback_paths: dict[str, str] | None = None,
                   input_problems: pd.DataFrame | None = None) -> dict[str, Path]:
    """Write the requested formats (json, csv, sarif) into ``out_dir``; returns format -> path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for fmt in formats:
        target = out / FILE_NAMES[fmt]
        if fmt == "json":
            written[fmt] = write_json(findings, target, repo, input_problems)
        elif fmt == "csv":
            written[fmt] = write_csv(findings, target, input_problems)
        elif fmt == "sarif":
            written[fmt] = write_sarif(findings, target, fallback_paths, input_problems)
    return written
