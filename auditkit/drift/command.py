"""``auditkit drift``: compare environments, print what differs and the drift findings, gate CI.

Exit codes as ``auditkit check``: 0 nothing at or above ``--fail-on``; 1 an unwaived drift
finding at or above it; 2 usage or input error (an ``--env`` that is neither a git ref nor a
folder, no Mage project in any environment, a malformed config). ``--out DIR`` writes
``drift.json`` (the whole result, reloadable by the notebook), ``drift_summary.json`` and the
findings files.
"""
from __future__ import annotations

import argparse
import sys
from typing import TextIO

import pandas as pd

from auditkit.drift.envs import DriftInputError, parse_envs
from auditkit.drift.result import DriftResult
from auditkit.drift.run import run_drift
from auditkit.outputs.check import EXIT_INPUT, MAX_PROBLEMS_SHOWN, gate, render_table, summary_line
from auditkit.outputs.findings import FILE_NAMES, printable, write_findings

DIFFERENCE_LABELS = (("renames", "renamed pipeline", "renamed pipelines"),
                     ("pipeline_settings", "pipeline setting", "pipeline settings"),
                     ("blocks", "block or edge", "blocks or edges"), ("code", "code file", "code files"),
                     ("triggers", "trigger setting", "trigger settings"), ("io_config", "io_config key", "io_config keys"),
                     ("project_settings", "project setting", "project settings"),
                     ("requirements", "requirement", "requirements"),
                     ("dbt_profiles", "dbt profile setting", "dbt profile settings"))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def render_overview(result: DriftResult) -> str:
    """Environments, the pipeline matrix in counts, differences and promotion state, as text."""
    summary = result.summary
    lines = ["Environments (promotion order):"]
    for row in result.envs.to_dict("records"):
        commit = (row.get("commit") or "")[:8] or "folder"
        role = {"production": "production (reference)", "pre-production": "pre-production"}.get(row["role"], "")
        lines.append(f"  {row['env']:<10} {printable(str(row['spec']))[:40]:<40} {commit:<8}  Mage env "
                     f"{row['mage_env']:<8} {_plural(int(row['pipelines']), 'pipeline'):<14} {role}".rstrip())
    states = []
    for env, counts in summary.get("pipeline_states", {}).items():
        if env == result.production:
            continue
        parts = [f"{counts[s]} {s}" for s in ("same", "differs", "new", "absent") if counts.get(s)]
        states.append(f"{env} {', '.join(parts) or 'nothing'}")
    lines.append(f"Pipelines against {result.production}: " + "; ".join(states))
    diffs = summary.get("differences", {})
    text = ", ".join(f"{diffs[k]} {one if diffs[k] == 1 else many}" for k, one, many in DIFFERENCE_LABELS if diffs.get(k))
    lines.append(f"Differences: {text or 'none'}; {_plural(summary.get('never_firing_triggers', 0), 'trigger')} "
                 "that never fire")
    for row in result.promotion.to_dict("records"):
        if row["status"] != "compared":
            lines.append(f"Promotion {row['from_env']} -> {row['to_env']}: {row['status']}")
            continue
        since = row["oldest_waiting_at"]
        since = f" (oldest {pd.Timestamp(since):%Y-%m-%d})" if since is not None and not pd.isna(since) else ""
        lines.append(f"Promotion {row['from_env']} -> {row['to_env']}: {_plural(int(row['waiting']), 'commit')} "
                     f"waiting{since}; {int(row['bypassed'])} on {row['to_env']} skipped {row['from_env']}")
    return "\n".join(lines) + "\n\n"


def run_drift_command(args: argparse.Namespace, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Run ``auditkit drift`` for parsed ``args``; returns the exit code."""
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    formats = list(dict.fromkeys(getattr(args, "format", None) or []))
    file_formats = [f for f in formats if f in FILE_NAMES]
    if getattr(args, "out", None) and not file_formats:
        file_formats = list(FILE_NAMES)
    if file_formats and not getattr(args, "out", None):
        print("auditkit: --format json/csv/sarif needs --out DIR", file=stderr)
        return EXIT_INPUT
    try:
        envs = parse_envs(args.env, getattr(args, "history", None), getattr(args, "mage_data", None))
        result = run_drift(args.path, envs, config=getattr(args, "config", None),
                           since=getattr(args, "since", None), until=getattr(args, "until", None))
    except DriftInputError as exc:
        print(f"auditkit: {exc}", file=stderr)
        return EXIT_INPUT
    stdout.write(render_overview(result))
    if not formats or "table" in formats:
        stdout.write(render_table(result.findings))
    stdout.write(summary_line(result.findings, len(result.input_problems)))
    for row in result.input_problems.head(MAX_PROBLEMS_SHOWN).to_dict("records"):
        print(printable(f"auditkit: input problem: {row['path']}: {row['reason']}"), file=stderr)
    if getattr(args, "out", None):
        folder = result.save(args.out)
        print(f"wrote {folder / 'drift.json'}", file=stderr)
        written = write_findings(result.findings, args.out, file_formats, repo=result.repo,
                                 input_problems=result.input_problems)
        for path in written.values():
            print(f"wrote {path}", file=stderr)
    return gate(result.findings, getattr(args, "fail_on", None))
