"""Repo-confined file access: walking, resolving and reading without ever leaving the root.

Every path a reader touches goes through here. Symlinks are resolved and checked for
containment, directory loops are cut by (device, inode), and big or binary files are
refused before they are decoded. Paths handed to other layers are repo-relative POSIX strings.
"""
from __future__ import annotations

import errno
import fnmatch
import os
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Iterable, Iterator

from auditkit.model import ProblemLog

# Folders that never hold audited source: VCS data, dependencies, caches and Mage run data.
SKIP_DIRS = frozenset({
    ".git", "node_modules", "__pycache__", ".venv", "venv", "mage_data", ".mage_data",
    ".file_versions", ".logs", ".variables", ".mypy_cache", ".pytest_cache", ".ipynb_checkpoints",
})
MAX_FILE_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class RepoFile:
    """One regular file inside the root: ``rel`` is repo-relative POSIX, ``path`` absolute."""

    rel: str
    path: str
    size: int


def is_within(root: Path, candidate: Path) -> bool:
    """True when the fully resolved ``candidate`` lies inside the resolved ``root``."""
    try:
        candidate.resolve(strict=False).relative_to(root)
        return True
    except (ValueError, OSError, RuntimeError):  # RuntimeError: symlink loop on old Pythons
        return False


def resolve_in_repo(root: Path, relative: str | os.PathLike, base: Path | None = None, *,
                    dir_cache: dict[str, str] | None = None) -> Path | None:
    """Resolve ``relative`` against ``base`` (default ``root``); None if it leaves ``root``.

    ``root`` must already be resolved. Absolute inputs and ``..`` segments are allowed only
    when the result stays inside; symlinks are followed before the check. ``dir_cache``
    (a dict kept for one read) remembers resolved folders, so many files in one folder cost
    one ``realpath``.
    """
    resolved, _ = resolve_file_in_repo(str(root), relative, None if base is None else str(base),
                                       dir_cache=dir_cache)
    return None if resolved is None else Path(resolved)


def resolve_file_in_repo(root: str, relative: str | os.PathLike, base: str | None = None, *,
                         dir_cache: dict[str, str] | None = None) -> tuple[str | None, bool]:
    """String form of :func:`resolve_in_repo`: (resolved absolute path or None, is a regular file)."""
    text = str(relative)
    if not text or "\x00" in text:
        return None, False
    if dir_cache is None or os.sep != "/" or text.startswith("/"):
        try:
            resolved = str(Path(base or root, text).resolve(strict=False))
        except (ValueError, OSError, RuntimeError):
            return None, False
    else:
        # realpath(folder/name) == realpath(realpath(folder)/name): resolve the folder once.
        head, name = os.path.split(os.path.join(base or root, text))
        folder = dir_cache.get(head)
        if folder is None:
            folder = dir_cache[head] = os.path.realpath(head)
        if name in ("", "."):
            resolved = folder
        elif name == "..":
            resolved = os.path.dirname(folder)
        else:
            resolved = os.path.join(folder, name)
            if os.path.islink(resolved):
                resolved = os.path.realpath(resolved)
    prefix = root if root.endswith("/") else root + "/"
    if resolved != root and not resolved.startswith(prefix):
        return None, False
    try:
        mode = os.stat(resolved).st_mode
    except OSError as exc:
        if exc.errno == errno.ELOOP:   # a symlink loop: Path.resolve() refuses these too
            return None, False
        return resolved, False
    return resolved, stat.S_ISREG(mode)


def rel_posix(root: Path, path: Path | str) -> str:
    """Repo-relative POSIX string for ``path`` (``.`` for the root itself)."""
    rel = os.path.relpath(str(path), str(root))
    return "." if rel == "." else PurePosixPath(Path(rel)).as_posix()


def is_excluded(rel: str, exclude_globs: Iterable[str], is_dir: bool = False) -> bool:
    """Whether a repo-relative path matches one of the user's exclude globs.

    ``*`` crosses ``/`` (fnmatch), so ``vendor/*`` and ``vendor/**`` exclude a whole folder;
    a leading ``**/`` also matches at the top level.
    """
    for glob in exclude_globs:
        variants = (glob, glob[3:]) if glob.startswith("**/") else (glob,)
        for pattern in variants:
            if fnmatch.fnmatchcase(rel, pattern):
                return True
            if is_dir and (fnmatch.fnmatchcase(rel + "/", pattern) or fnmatch.fnmatchcase(rel + "/x", pattern)):
                return True
    return False


def iter_repo_files(root: str | os.PathLike, exclude_globs: Iterable[str] = (), *,
                    skip_dirs: frozenset[str] = SKIP_DIRS, problems: ProblemLog | None = None,
                    start: str | os.PathLike | None = None) -> Iterator[RepoFile]:
    """Yield every regular file under ``start`` (default ``root``) that stays inside ``root``.

    Skips ``skip_dirs`` folders and excluded globs, follows symlinks only when their target is
    inside the root, never enters a directory twice (loops), and reports escapes to
    ``problems`` (kind ``outside_repo``). Sizes are reported, contents are not read.
    """
    root_path = Path(root).resolve()
    exclude_globs = tuple(exclude_globs)
    start_path = Path(start).resolve() if start is not None else root_path
    if not is_within(root_path, start_path):
        return
    seen_dirs: set[tuple[int, int]] = set()
    start_rel = rel_posix(root_path, start_path)
    stack: list[tuple[str, str]] = [(str(start_path), "" if start_rel == "." else start_rel + "/")]
    while stack:
        folder, prefix = stack.pop()
        try:
            st = os.stat(folder)
        except OSError:
            continue
        if (st.st_dev, st.st_ino) in seen_dirs:
            continue
        seen_dirs.add((st.st_dev, st.st_ino))
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            _note(problems, prefix.rstrip("/") or ".", "unreadable", f"cannot list folder ({exc.strerror})")
            continue
        subfolders = []
        for entry in entries:
            rel = prefix + entry.name
            try:
                is_link = entry.is_symlink()
                if is_link and not is_within(root_path, Path(entry.path)):
                    _note(problems, rel, "outside_repo", "symlink points outside the repository; not followed")
                    continue
                is_dir = entry.is_dir(follow_symlinks=True)
                is_file = not is_dir and entry.is_file(follow_symlinks=True)
            except OSError:
                continue
            if is_dir:
                if entry.name in skip_dirs or (exclude_globs and is_excluded(rel, exclude_globs, is_dir=True)):
                    continue
                subfolders.append((entry.path, rel + "/"))
            elif is_file and not (exclude_globs and is_excluded(rel, exclude_globs)):
                try:
                    size = entry.stat(follow_symlinks=True).st_size
                except OSError:
                    continue
                yield RepoFile(rel=rel, path=entry.path, size=size)
        stack.extend(reversed(subfolders))


def read_limited(path: str, size: int | None = None, max_bytes: int = MAX_FILE_BYTES) -> tuple[bytes | None, str | None]:
    """Read a file's bytes unless it is too large or binary: returns (data, skip_reason)."""
    try:
        if size is None:
            size = os.path.getsize(path)
        if size > max_bytes:
            return None, f"larger than {max_bytes // (1024 * 1024)} MB"
        with open(path, "rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        return None, f"unreadable ({exc.strerror or type(exc).__name__})"
    if len(data) > max_bytes:
        return None, f"larger than {max_bytes // (1024 * 1024)} MB"
    if b"\x00" in data:
        return None, "binary (NUL byte)"
    return data, None


def decode_text(data: bytes) -> tuple[str, bool]:
    """UTF-8 decode (BOM stripped); returns (text, had_errors). Bad bytes become U+FFFD."""
    try:
        return data.decode("utf-8-sig"), False
    except UnicodeDecodeError:
        return data.decode("utf-8-sig", errors="replace"), True


def read_text_in_repo(root: Path, path: Path, problems: ProblemLog | None, *,
                      project: str | None = None) -> str | None:
    """Read a small text file (YAML config) inside ``root``; problems are logged, None on failure."""
    rel = rel_posix(root, path)
    if not is_within(root, path):
        _note(problems, rel, "outside_repo", "path resolves outside the repository; not read", project)
        return None
    data, skipped = read_limited(str(path))
    if data is None:
        _note(problems, rel, "too_large" if skipped and "larger" in skipped else "unreadable", f"not read: {skipped}", project)
        return None
    text, had_errors = decode_text(data)
    if had_errors:
        _note(problems, rel, "encoding", "not valid UTF-8; undecodable bytes replaced", project)
    return text


def _note(problems: ProblemLog | None, path: str, kind: str, reason: str, project: str | None = None) -> None:
    if problems is not None:
        problems.add(path, kind, reason, project)
