"""Stream Mage block logs (``<variables_dir>/pipelines/<p>/.logs/...``) line by line.

Each line is ``<ISO timestamp> {json}`` with ``block_uuid``, ``pipeline_uuid``,
``block_run_id``, ``level`` and ``message``. Automatic retries (``retry_config``) exist only
here, as WARNING lines ``... attempt N of M``: a line with N < M is a retry that happened,
N = M is the final failure. ERROR lines are kept with the message cut short.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pandas as pd

from auditkit.model import InputProblem

ATTEMPT = re.compile(r"attempt (\d+) of (\d+)")
# A record line starts with its ISO timestamp; Mage writes the plain traceback of an EXCEPTION
# record on the lines after it, which are continuation lines, not malformed records.
RECORD_START = re.compile(rb"\d{4}-\d\d-\d\d[T ]")
# Real Mage lines carry whole tracebacks and stacks (10 kB is common). Longer lines than this
# are not JSON-parsed: their leading fields are read with regular expressions instead.
MAX_LINE_BYTES = 1024 * 1024
PREFIX_FIELDS = {name: re.compile(rb'"%s": (?:"((?:[^"\\]|\\.)*)"|(\d+))' % name.encode())
                 for name in ("block_uuid", "pipeline_uuid", "block_run_id", "level", "message")}
ERROR_LEVELS = {"ERROR", "EXCEPTION", "CRITICAL"}
MESSAGE_CHARS = 160
MAX_ERRORS = 5000
NOT_BLOCK_LOGS = {"pipeline.log", "scheduler.log"}

ATTEMPT_COLUMNS = ["pipeline_uuid", "block_uuid", "block_run_id", "retries", "final_failures",
                   "max_attempts", "path"]
ERROR_COLUMNS = ["pipeline_uuid", "block_uuid", "block_run_id", "timestamp", "message", "path"]


@dataclass
class LogScan:
    """What the block logs say: attempts per block run, errors, and reading statistics."""

    attempts: pd.DataFrame
    errors: pd.DataFrame
    files: int = 0
    lines: int = 0
    bad_lines: int = 0
    continuation_lines: int = 0
    problems: list[InputProblem] = field(default_factory=list)

    def retries_by_block(self) -> pd.DataFrame:
        """Retry attempts (lines with N < M) and final failures per pipeline and block."""
        if self.attempts.empty:
            return pd.DataFrame(columns=["pipeline_uuid", "block_uuid", "retries",
                                         "final_failures", "block_runs_retried"])
        frame = self.attempts.assign(retried=self.attempts["retries"] > 0)
        out = frame.groupby(["pipeline_uuid", "block_uuid"], as_index=False).agg(
            retries=("retries", "sum"), final_failures=("final_failures", "sum"),
            block_runs_retried=("retried", "sum"))
        return out.sort_values(["pipeline_uuid", "block_uuid"], ignore_index=True)


def _base_uuid(block_uuid: str) -> str:
    return block_uuid.split(":", 1)[0]


def _iter_log_files(log_root: Path):
    """Block log files under every pipeline's ``.logs``; never follows symlinks."""
    for pipeline_dir in sorted(log_root.iterdir()):
        logs = pipeline_dir / ".logs"
        if pipeline_dir.is_symlink() or not logs.is_dir() or logs.is_symlink():
            continue
        for folder, dirs, files in os.walk(logs, followlinks=False):
            dirs.sort()
            for name in sorted(files):
                path = Path(folder) / name
                if name.endswith(".log") and name not in NOT_BLOCK_LOGS and not path.is_symlink():
                    yield pipeline_dir.name, path


def _parse_time(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None)
    except ValueError:
        return None


def scan_logs(log_root: str | os.PathLike | None, *, since: datetime | None = None,
              until: datetime | None = None) -> LogScan:
    """Read every block log under ``log_root`` once, in a stream; bad lines are counted."""
    empty = LogScan(pd.DataFrame(columns=ATTEMPT_COLUMNS), pd.DataFrame(columns=ERROR_COLUMNS))
    if log_root is None or not Path(log_root).is_dir():
        return empty
    root = Path(log_root)
    per_run: dict[tuple, list] = {}
    errors: list[dict] = []
    scan = empty
    for pipeline, path in _iter_log_files(root):
        scan.files += 1
        rel = path.relative_to(root).as_posix()
        try:
            with path.open("rb") as fh:
                while True:
                    raw = fh.readline(MAX_LINE_BYTES)
                    if not raw:
                        break
                    scan.lines += 1
                    if not raw.endswith(b"\n") and len(raw) >= MAX_LINE_BYTES:
                        prefix = raw
                        while raw and not raw.endswith(b"\n"):   # skip the rest of the line
                            raw = fh.readline(MAX_LINE_BYTES)
                        record = _prefix_record(prefix)
                        if record is None:
                            scan.bad_lines += 1
                        else:
                            _record(record, prefix.split(b" ", 1)[0].decode("ascii", "replace"),
                                    pipeline, path, rel, since, until, per_run, errors)
                        continue
                    # Cheap filter before JSON: only attempts and errors matter.
                    if b"attempt" not in raw and not any(level in raw for level in
                                                         (b'"ERROR"', b'"EXCEPTION"', b'"CRITICAL"')):
                        continue
                    _handle_line(raw, pipeline, path, rel, since, until, per_run, errors, scan)
        except OSError as exc:
            scan.problems.append(InputProblem(rel, "history_logs", f"cannot read log: {exc.strerror}"))
    rows = [dict(pipeline_uuid=k[0], block_uuid=k[1], block_run_id=k[2], retries=v[0],
                 final_failures=v[1], max_attempts=v[2], path=v[3]) for k, v in per_run.items()]
    scan.attempts = pd.DataFrame(rows, columns=ATTEMPT_COLUMNS)
    scan.errors = pd.DataFrame(errors, columns=ERROR_COLUMNS)
    if scan.bad_lines:
        scan.problems.append(InputProblem(str(root), "history_logs",
                                          f"{scan.bad_lines} log lines could not be parsed"))
    return scan


def _handle_line(raw: bytes, pipeline: str, path: Path, rel: str, since, until,
                 per_run: dict, errors: list, scan: LogScan) -> None:
    if not RECORD_START.match(raw):
        scan.continuation_lines += 1
        return
    line = raw.decode("utf-8", errors="replace").strip()
    stamp, _, payload = line.partition(" ")
    try:
        record = json.loads(payload)
    except ValueError:
        scan.bad_lines += 1
        return
    if not isinstance(record, dict):
        scan.bad_lines += 1
        return
    _record(record, stamp, pipeline, path, rel, since, until, per_run, errors)


def _prefix_record(prefix: bytes) -> dict | None:
    """The leading fields of an over-long JSON line, or None when it has no message."""
    record = {}
    for name, pattern in PREFIX_FIELDS.items():
        match = pattern.search(prefix)
        if match:
            text_value = match.group(1) if match.group(1) is not None else match.group(2)
            try:
                record[name] = json.loads(b'"' + text_value + b'"') if match.group(1) is not None \
                    else int(text_value)
            except ValueError:
                record[name] = text_value.decode("utf-8", "replace")
    return record if "message" in record else None


def _record(record: dict, stamp: str, pipeline: str, path: Path, rel: str, since, until,
            per_run: dict, errors: list) -> None:
    at = _parse_time(stamp)
    if (since and at and at < since) or (until and at and at >= until):
        return
    message = str(record.get("message") or "")
    block = _base_uuid(str(record.get("block_uuid") or path.stem))
    run_id = record.get("block_run_id")
    pipeline_uuid = str(record.get("pipeline_uuid") or pipeline)
    level = str(record.get("level") or "").upper()
    match = ATTEMPT.search(message) if "attempt" in message else None
    if match:
        n, m = int(match.group(1)), int(match.group(2))
        entry = per_run.setdefault((pipeline_uuid, block, run_id), [0, 0, 0, rel])
        if n < m:
            entry[0] += 1
        else:
            entry[1] += 1
        entry[2] = max(entry[2], m)
    if level in ERROR_LEVELS and len(errors) < MAX_ERRORS:
        short = message.splitlines()[0][:MESSAGE_CHARS] if message else ""
        errors.append(dict(pipeline_uuid=pipeline_uuid, block_uuid=block, block_run_id=run_id,
                           timestamp=at, message=short, path=rel))
