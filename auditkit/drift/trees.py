"""One environment's files: path, blob id and size, read from a git ref or from a folder.

A git ref is listed with ``ls-tree`` and its blobs read with ``cat-file`` (nothing checked out);
a folder is walked like the repo reader walks it (:func:`auditkit.readers.paths.iter_repo_files`)
and each file's git blob id computed from its bytes, so a folder and a ref compare file by file.
Folders the repo reader never enters (``.git``, ``node_modules``, ``mage_data``, ...) and the
user's ``exclude`` globs are left out of both.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Iterable

from auditkit.drift.envs import EnvSpec
from auditkit.drift.gitrepo import GitRepo
from auditkit.model import InputProblem, ProblemLog
from auditkit.readers.paths import MAX_FILE_BYTES, SKIP_DIRS, is_excluded, iter_repo_files

SYMLINK_MODE, SUBMODULE_MODE = "120000", "160000"
_CHUNK = 1 << 20


def blob_id(data: bytes) -> str:
    """git's object id of a blob holding ``data`` (``git hash-object``)."""
    digest = hashlib.sha1(b"blob %d\0" % len(data))
    digest.update(data)
    return digest.hexdigest()


def file_blob_id(path: str, size: int) -> str | None:
    """git's blob id of the file at ``path`` (read in chunks); None when it cannot be read."""
    try:
        digest = hashlib.sha1(b"blob %d\0" % size)
        with open(path, "rb") as handle:
            read = 0
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
                read += len(chunk)
        return digest.hexdigest() if read == size else None
    except OSError:
        return None


@dataclass
class EnvTree:
    """The files of one environment (``files``: rel path -> (blob id, size))."""

    env: EnvSpec
    files: dict[str, tuple[str, int]]
    commit: str | None = None          # git environments: the commit read
    ref: str | None = None             # git environments: the ref that matched
    folder: str | None = None          # folder environments: the folder read
    git: GitRepo | None = None
    problems: list[InputProblem] = field(default_factory=list)

    def read(self, rels: Iterable[str]) -> dict[str, bytes]:
        """Contents of the files ``rels`` (those above the size limit, or unreadable, are left out)."""
        wanted = [r for r in rels if r in self.files and 0 <= self.files[r][1] <= MAX_FILE_BYTES]
        if self.git is not None:
            blobs = self.git.read_blobs([self.files[r][0] for r in wanted])
            return {r: blobs[self.files[r][0]] for r in wanted if self.files[r][0] in blobs}
        out = {}
        for rel in wanted:
            try:
                out[rel] = (Path(self.folder) / rel).read_bytes()
            except OSError:
                continue
        return out

    def read_blobs(self, blobs: Iterable[str]) -> dict[str, bytes]:
        """Contents by blob id, for blobs of this tree."""
        blobs = set(blobs)
        if self.git is not None:
            return self.git.read_blobs(sorted(blobs))
        by_blob = {}
        for rel, (blob, _) in self.files.items():
            if blob in blobs and blob not in by_blob:
                by_blob[blob] = rel
        contents = self.read(by_blob.values())
        return {self.files[rel][0]: data for rel, data in contents.items()}


def unsafe_path(rel: str) -> bool:
    """A tree path that must not be written below a folder (absolute, ``..``, empty parts)."""
    parts = rel.split("/")
    return rel.startswith("/") or "\\" in rel or any(p in ("", ".", "..") for p in parts)


def _skipped(rel: str, exclude: tuple[str, ...]) -> bool:
    parts = rel.split("/")
    if any(p in SKIP_DIRS for p in parts[:-1]):
        return True
    if not exclude:
        return False
    if is_excluded(rel, exclude):
        return True
    return any(is_excluded("/".join(parts[:i]), exclude, is_dir=True) for i in range(1, len(parts)))


def git_tree(env: EnvSpec, repo: GitRepo, commit: str, ref: str, exclude: Iterable[str] = ()) -> EnvTree:
    """The files of ``commit`` (below the audited folder)."""
    exclude = tuple(exclude)
    problems = ProblemLog()
    files: dict[str, tuple[str, int]] = {}
    for entry in repo.list_tree(commit):
        if entry.mode == SUBMODULE_MODE or _skipped(entry.rel, exclude):
            continue
        if unsafe_path(entry.rel):
            problems.add(entry.rel, "unsafe_path", f"{env.name}: a path in the git tree that cannot be read safely")
            continue
        if entry.mode == SYMLINK_MODE:
            problems.add(entry.rel, "symlink", f"{env.name}: symlink in the git tree; not followed")
            continue
        files[entry.rel] = (entry.blob, entry.size)
    return EnvTree(env=env, files=files, commit=commit, ref=ref, git=repo, problems=list(problems))


def folder_tree(env: EnvSpec, folder: str | os.PathLike, exclude: Iterable[str] = ()) -> EnvTree:
    """The files of a folder environment, each with its git blob id."""
    problems = ProblemLog()
    root = Path(folder).resolve()
    files: dict[str, tuple[str, int]] = {}
    for repo_file in iter_repo_files(root, tuple(exclude), problems=problems):
        blob = file_blob_id(repo_file.path, repo_file.size)
        if blob is None:
            problems.add(repo_file.rel, "unreadable", f"{env.name}: file could not be read")
            continue
        files[PurePosixPath(repo_file.rel).as_posix()] = (blob, repo_file.size)
    return EnvTree(env=env, files=files, folder=str(root), problems=list(problems))
