"""``auditkit check``: audit a repo, print a findings table, write files, gate CI by exit code.

The command's steps in order; what it prints and how it gates is :mod:`auditkit.outputs.check`.
Not-a-Mage-repo and malformed-config errors are raised to and mapped by ``auditkit.cli.main``;
an unreadable baseline is handled here (exit code 2).
"""
from __future__ import annotations

import argparse
import sys
from typing import TextIO

from auditkit.audit import run_audit
from auditkit.outputs.baseline import BaselineError, load_baseline, mark_new
from auditkit.outputs.check import EXIT_INPUT, MAX_PROBLEMS_SHOWN, gate, render_table, summary_line
from auditkit.outputs.findings import FILE_NAMES, printable, project_metadata_paths, write_findings
from auditkit.outputs.progress import ProgressBars


def run_check(args: argparse.Namespace, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Run ``auditkit check`` for parsed ``args``; returns the exit code."""
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    formats = list(dict.fromkeys(getattr(args, "format", None) or []))
    file_formats = [f for f in formats if f in FILE_NAMES]
    if getattr(args, "out", None) and not file_formats:
        file_formats = list(FILE_NAMES)      # --out alone writes every file format
    if file_formats and not getattr(args, "out", None):
        print("auditkit: --format json/csv/sarif needs --out DIR", file=stderr)
        return EXIT_INPUT

    baseline = None
    if getattr(args, "baseline", None):
        try:
            baseline = load_baseline(args.baseline)     # before the audit: fail fast
        except BaselineError as exc:
            print(f"auditkit: {exc}", file=stderr)
            return EXIT_INPUT

    with ProgressBars(stderr) as progress:
        audit = run_audit(args.path, history=getattr(args, "history", None),
                          mage_data=getattr(args, "mage_data", None), config=getattr(args, "config", None),
                          since=getattr(args, "since", None), until=getattr(args, "until", None),
                          cache=not getattr(args, "no_cache", False), progress=progress,
                          mage_url=getattr(args, "mage_url", None))
    findings = audit.findings
    shown = findings
    if baseline is not None:
        findings = mark_new(findings, baseline)
        shown = findings[findings["new"]]      # report only what the baseline does not know

    if not formats or "table" in formats:     # --format json/csv/sarif alone: files and the summary line
        stdout.write(render_table(shown))
    stdout.write(summary_line(findings, len(audit.input_problems)))
    rule_run = audit.rule_run
    for err in getattr(rule_run, "errors", []):
        print(f"auditkit: rule {err.rule_id} failed and was skipped: {err.error}", file=stderr)
    problems = audit.input_problems
    for row in problems.head(MAX_PROBLEMS_SHOWN).to_dict("records"):
        print(printable(f"auditkit: input problem: {row['path']}: {row['reason']}"), file=stderr)
    if len(problems) > MAX_PROBLEMS_SHOWN:
        print(f"auditkit: ... and {len(problems) - MAX_PROBLEMS_SHOWN} more input problem(s) "
              "(all are in findings.json/.csv/.sarif)", file=stderr)
    if file_formats:
        # Files hold every finding (with a ``new`` flag under --baseline) so that this
        # findings.json can serve as the next baseline.
        written = write_findings(findings, args.out, file_formats, repo=audit.repo_root,
                                 fallback_paths=project_metadata_paths(audit.inventory),
                                 input_problems=audit.input_problems)
        for path in written.values():
            print(f"wrote {path}", file=stderr)
    return gate(findings, getattr(args, "fail_on", None))
