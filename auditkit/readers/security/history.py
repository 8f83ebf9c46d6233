"""Secrets in git history: values committed once and no longer in HEAD are still leaked.

Read-only git plumbing, bounded: ``git log --raw`` lists the file versions (blobs) that the
newest ``max_commits`` commits of HEAD (or those since the audit window's start) added or
changed under the audited folder; ``git cat-file --batch`` reads each distinct blob once; each
is scanned exactly as a file in HEAD is (:class:`~auditkit.readers.security.secrets.GenericSecretScanner`
with the same quiet reasons, and the ``.env`` and ``triggers.yaml`` detectors). A value whose
fingerprint is also found in HEAD is reported there, not here. Each remaining secret is one row,
at the oldest commit of the window that holds it. Values are hashed as soon as they are found:
rows carry the fingerprint, the commit, the path and the line, never the value.

Nothing is written: no index refresh, no optional locks (``GIT_OPTIONAL_LOCKS=0``), no hooks,
no fsmonitor, no pager; a missing git or repository gives no rows and never an exception.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Iterable

import pandas as pd

from auditkit.model import InputProblem
from auditkit.readers.paths import SKIP_DIRS, decode_text, is_excluded
from auditkit.readers.security import exposure, mage_secrets, quiet

HISTORY_COLUMNS = ["path", "line", "kind", "detector", "fingerprint", "commit", "committed_at", "project", "types"]
DEFAULT_MAX_COMMITS = 500
MAX_BLOB_BYTES = 2 * 1024 * 1024
GIT_TIMEOUT_S = 120
_RECORD, _FIELD = "\x1e", "\x1f"
_NOT_SCANNED_DIRS = SKIP_DIRS | {".ssh_tunnel"}


@dataclass
class HistoryScan:
    """The rows, and what was read to find them."""

    secrets: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=HISTORY_COLUMNS))
    commits_scanned: int = 0
    blobs_scanned: int = 0
    window: str = ""                    # "last 500 commits" / "since 2026-01-01"
    problems: list[InputProblem] = field(default_factory=list)

    def summary(self) -> dict:
        return {"history_secrets": int(len(self.secrets)), "commits_scanned": self.commits_scanned,
                "blobs_scanned": self.blobs_scanned, "window": self.window}


def _git_command(cwd: str, *args: str) -> list[str] | None:
    exe = shutil.which("git")
    if exe is None:
        return None
    return [exe, "-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null", "-c", "safe.directory=*",
            "-c", "core.quotePath=false", "--no-pager", "-C", cwd, *args]


def _git_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_OPTIONAL_LOCKS="0", GIT_TERMINAL_PROMPT="0", LC_ALL="C", GIT_PAGER="cat",
               GIT_CONFIG_NOSYSTEM="1")
    return env


def _git(cwd: str, *args: str, stdin: bytes | None = None) -> bytes | None:
    command = _git_command(cwd, *args)
    if command is None:
        return None
    try:
        done = subprocess.run(command, input=stdin, capture_output=True, timeout=GIT_TIMEOUT_S, env=_git_env(),
                              stdin=None if stdin is not None else subprocess.DEVNULL, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def _top_and_subdir(root: str) -> tuple[str, str] | None:
    out = _git(root, "rev-parse", "--show-toplevel")
    if not out or not out.strip():
        return None
    top = os.path.realpath(out.decode("utf-8", "replace").strip())
    try:
        if os.path.commonpath([root, top]) != top:
            return None
    except ValueError:
        return None
    return top, os.path.relpath(root, top).replace(os.sep, "/")


def changed_blobs(top: str, subdir: str, max_commits: int, since: str | None) -> tuple[list[tuple[str, str, str, str]], int] | None:
    """(commit, date, path relative to the audited folder, blob) of every file version the
    window's commits added or changed, oldest commit first; and the number of commits."""
    args = ["log", f"--format={_RECORD}%H{_FIELD}%aI", "--raw", "--no-renames", "--no-abbrev", "-z",
            "--diff-filter=AM", f"--max-count={max_commits}"]
    if since:
        args.append(f"--since={since}")
    out = _git(top, *args, "HEAD", "--", subdir if subdir != "." else ".")
    if out is None:
        return None
    prefix = "" if subdir == "." else subdir.rstrip("/") + "/"
    found: list[tuple[str, str, str, str]] = []
    records = [r for r in out.decode("utf-8", "replace").split(_RECORD) if r.strip("\0\n")]
    for record in reversed(records):     # oldest first
        header, _, rest = record.partition("\0")
        commit, _, date = header.partition(_FIELD)
        tokens = rest.split("\0")
        for meta, path in zip(tokens[0::2], tokens[1::2]):
            parts = meta.strip().split()
            if len(parts) < 5 or not path.startswith(prefix) or parts[1] == "160000":   # submodules: no blob
                continue
            found.append((commit.strip(), date.strip(), path[len(prefix):], parts[3]))
    return found, len(records)


def read_blobs(top: str, blobs: list[str]) -> dict[str, bytes]:
    """The content of each blob of at most ``MAX_BLOB_BYTES`` (binary ones included; callers skip them)."""
    if not blobs:
        return {}
    sizes = _git(top, "cat-file", "--batch-check", stdin="\n".join(blobs).encode() + b"\n")
    wanted = []
    for line in (sizes or b"").decode("ascii", "replace").splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] == "blob" and int(parts[2]) <= MAX_BLOB_BYTES:
            wanted.append(parts[0])
    out = _git(top, "cat-file", "--batch", stdin="\n".join(wanted).encode() + b"\n") if wanted else b""
    contents: dict[str, bytes] = {}
    pos = 0
    data = out or b""
    while pos < len(data):
        end = data.find(b"\n", pos)
        if end < 0:
            break
        parts = data[pos:end].split()
        if len(parts) != 3 or parts[1] != b"blob":
            break
        size = int(parts[2])
        contents[parts[0].decode()] = data[end + 1:end + 1 + size]
        pos = end + 1 + size + 1
    return contents


def _scanned_path(rel: str, exclude: Iterable[str]) -> bool:
    parts = PurePosixPath(rel).parts
    return not (any(part in _NOT_SCANNED_DIRS for part in parts[:-1]) or quiet.is_vendored(rel)
                or (exclude and is_excluded(rel, exclude)) or exposure.folder_exposure(rel))


def _secret_rows(scanner, rel: str, text: str) -> list[dict]:
    name = PurePosixPath(rel).name
    rows = [r for r in scanner.scan_text(rel, text) if r["quiet"] is None]
    if exposure.is_env_file(name):
        rows += [r for r in mage_secrets.env_file_secrets(rel, text) if r["quiet"] is None]
    elif name == "triggers.yaml":
        rows += mage_secrets.trigger_token_secrets(rel, text)
    elif name in ("io_config.yaml", "io_config.yml"):
        safe = _io_config_safe_lines(rel, text)
        rows = [r for r in rows if r["line"] not in safe]
    return rows


def _io_config_safe_lines(rel: str, text: str) -> set[int]:
    """Lines of an old io_config.yaml whose value is a template placeholder or a reference."""
    import yaml

    from auditkit.readers.ioconfig import io_config_rows

    try:
        node = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (yaml.YAMLError, ValueError, TypeError, RecursionError):
        return set()
    return {row["line"] for row in io_config_rows(node, "", rel) if row["value_kind"] != "literal"}


def scan_history(root: str, scanner, *, head_fingerprints: set[str], exclude: Iterable[str] = (),
                 max_commits: int = DEFAULT_MAX_COMMITS, since: str | None = None,
                 project_of=None) -> HistoryScan:
    """Secrets in the window's file versions that HEAD no longer holds (see the module doc)."""
    result = HistoryScan(window=f"since {since}" if since else f"last {max_commits} commits")
    if max_commits <= 0:
        return result
    located = _top_and_subdir(os.path.realpath(root))
    if located is None:
        return result
    top, subdir = located
    listed = changed_blobs(top, subdir, max_commits, since)
    if listed is None:
        result.problems.append(InputProblem(".git", "git", "git history could not be read; history secrets not checked"))
        return result
    versions, result.commits_scanned = listed
    first: dict[str, tuple[str, str, str]] = {}   # blob -> oldest (commit, date, rel)
    for commit, date, rel, blob in versions:
        if _scanned_path(rel, exclude):
            first.setdefault(blob, (commit, date, rel))
    contents = read_blobs(top, list(first))
    rows: dict[str, dict] = {}
    for blob, (commit, date, rel) in first.items():
        data = contents.get(blob)
        if data is None or b"\x00" in data:
            continue
        result.blobs_scanned += 1
        for row in _secret_rows(scanner, rel, decode_text(data)[0]):
            if row["fingerprint"] in head_fingerprints or row["fingerprint"] in rows:
                continue
            rows[row["fingerprint"]] = {
                "path": rel, "line": row["line"], "kind": row["kind"], "detector": row["detector"],
                "fingerprint": row["fingerprint"], "commit": commit, "committed_at": date,
                "project": project_of(rel) if project_of else None, "types": list(row.get("types") or [])}
    frame = pd.DataFrame(list(rows.values()), columns=HISTORY_COLUMNS)
    frame["line"] = frame["line"].astype("Int64")
    result.secrets = frame.sort_values(["path", "line"]).reset_index(drop=True)
    return result
