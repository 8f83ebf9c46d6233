"""Block code that differs between consecutive environments, and by how many lines.

Files are compared by git blob id, so only the files that differ are read; their lines are
counted with :class:`difflib.SequenceMatcher` (the same opcodes ``difflib.unified_diff`` prints).
A file counts as block code when either environment lists it in ``block_files``.
"""
from __future__ import annotations

import difflib
from collections import defaultdict

import pandas as pd

from auditkit.drift.frames import column_rows, empty
from auditkit.drift.snapshot import EnvSnapshot
from auditkit.readers.paths import decode_text

CODE_COLUMNS = ["project", "path", "from_env", "to_env", "change", "lines_added", "lines_removed", "pipelines"]
MAX_PIPELINES_SHOWN = 5


def line_changes(old: bytes | None, new: bytes | None) -> tuple[int | None, int | None]:
    """(lines added, lines removed) from ``old`` to ``new``; (None, None) for binary content."""
    if (old and b"\0" in old) or (new and b"\0" in new):
        return None, None
    a = decode_text(old)[0].splitlines() if old else []
    b = decode_text(new)[0].splitlines() if new else []
    added = removed = 0
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b).get_opcodes():
        if tag in ("replace", "delete"):
            removed += i2 - i1
        if tag in ("replace", "insert"):
            added += j2 - j1
    return added, removed


def _users(snap: EnvSnapshot) -> dict[str, set]:
    users: dict[str, set] = defaultdict(set)
    blocks = snap.inventory.blocks
    for pipeline, path in column_rows(blocks, "pipeline", "path"):
        if isinstance(path, str):
            users[path].add(pipeline)
    return users


def _code_paths(snap: EnvSnapshot) -> dict[str, str]:
    files = snap.inventory.block_files
    return dict(column_rows(files, "path", "project"))


def code_diffs(snaps: list[EnvSnapshot]) -> pd.DataFrame:
    """One row per block file that differs between consecutive environments (``from_env`` is
    promoted into ``to_env``), read the way the promotion would change ``to_env``'s copy:
    ``change`` is ``only in <from_env>`` (waiting to be promoted), ``only in <to_env>`` (e.g. a
    hotfix) or ``modified``; ``lines_added`` are lines of ``from_env``'s version that
    ``to_env``'s lacks, ``lines_removed`` the reverse. ``pipelines``: those using the file (at
    most five named)."""
    rows = []
    users_by_env = [_users(s) for s in snaps]
    code_paths = [_code_paths(s) for s in snaps]
    for i, (a, b) in enumerate(zip(snaps, snaps[1:])):
        paths = {**code_paths[i], **code_paths[i + 1]}
        users_a, users_b = users_by_env[i], users_by_env[i + 1]
        changed = []
        for path in sorted(paths):
            new, old = a.tree.files.get(path, (None, 0))[0], b.tree.files.get(path, (None, 0))[0]
            if old != new:
                changed.append((path, old, new))
        old_blobs = b.tree.read_blobs(o for _, o, _ in changed if o)
        new_blobs = a.tree.read_blobs(n for _, _, n in changed if n)
        for path, old, new in changed:
            change = f"only in {a.name}" if old is None else f"only in {b.name}" if new is None else "modified"
            if (old and old not in old_blobs) or (new and new not in new_blobs):
                added = removed = None          # too large to read, or missing from the store
            else:
                added, removed = line_changes(old_blobs.get(old), new_blobs.get(new))
            users = sorted(users_a.get(path, set()) | users_b.get(path, set()))
            shown = ", ".join(users[:MAX_PIPELINES_SHOWN]) + (f" (+{len(users) - MAX_PIPELINES_SHOWN})"
                                                              if len(users) > MAX_PIPELINES_SHOWN else "")
            rows.append((paths[path], path, a.name, b.name, change, added, removed, shown))
    frame = pd.DataFrame(rows, columns=CODE_COLUMNS) if rows else empty(CODE_COLUMNS)
    for column in ("lines_added", "lines_removed"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("Int64")
    return frame
