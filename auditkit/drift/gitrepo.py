"""Read-only git plumbing for drift: resolve refs, list trees, read blobs, compare histories.

Only commands that read the object store are used (``rev-parse``, ``ls-tree``, ``cat-file``,
``rev-list``, ``log``): nothing is checked out, no ref, index or work tree file changes, and a
bare mirror works as well as a clone. As in :mod:`auditkit.readers.git`, optional locks are
off, the repository's configuration cannot run code (no fsmonitor, hooks, pager, external diff
or textconv) and ownership checks are relaxed for mounted checkouts.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass

from auditkit.drift.envs import DriftInputError
from auditkit.readers.git import _git_env

GIT_TIMEOUT_S = 600
# The audited repository's own configuration must not run programs (fsmonitor, hooks, external
# diff, signature checks) or change the output formats parsed here (quoted or relative paths).
_SAFE_CONFIG = ("-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null", "-c", "safe.directory=*",
                "-c", "diff.external=", "-c", "core.pager=cat", "-c", "log.showSignature=false",
                "-c", "core.quotePath=false", "-c", "diff.relative=false")


class GitReadError(DriftInputError):
    """A git command drift needs failed (its stderr, first line)."""


@dataclass(frozen=True)
class TreeEntry:
    rel: str        # path relative to the audited folder, POSIX
    mode: str       # 100644, 100755, 120000 (symlink), 160000 (submodule)
    blob: str       # object id
    size: int       # bytes (-1 for a submodule)


@dataclass(frozen=True)
class GitRepo:
    """The git repository holding the audited folder (a work tree, or a bare repository)."""

    cwd: str        # where commands run: the audited folder (or the bare repository)
    prefix: str     # the audited folder inside the tree, '' or 'sub/dir/'
    bare: bool

    @classmethod
    def open(cls, path: str | os.PathLike) -> "GitRepo | None":
        """The repository of ``path``; None without git or outside a repository."""
        path = os.path.realpath(os.fspath(path))
        if not os.path.isdir(path) or shutil.which("git") is None:
            return None
        out = _run(path, "rev-parse", "--is-bare-repository", "--show-prefix")
        if out is None:
            return None
        lines = out.decode("utf-8", "replace").split("\n")
        bare = lines[0].strip() == "true"
        prefix = "" if bare else (lines[1].strip() if len(lines) > 1 else "")
        return cls(cwd=path, prefix=prefix, bare=bare)

    def run(self, *args: str, stdin: bytes | None = None) -> bytes:
        """Output of one read-only git command; :class:`GitReadError` when it fails."""
        out = _run(self.cwd, *args, stdin=stdin, strict=True)
        assert out is not None
        return out

    def try_run(self, *args: str) -> bytes | None:
        return _run(self.cwd, *args)

    def commit_of(self, ref: str) -> tuple[str, str] | None:
        """(commit id, ref name that matched) for ``ref``, trying ``origin/<ref>`` when a clone only
        has the remote-tracking branch; None when nothing matches."""
        if ref.startswith("-"):
            return None
        for candidate in (ref, f"refs/remotes/origin/{ref}"):
            out = _run(self.cwd, "rev-parse", "--verify", "--quiet", f"{candidate}^{{commit}}")
            if out and out.strip():
                return out.decode().strip(), candidate
        return None

    def list_tree(self, commit: str) -> list[TreeEntry]:
        """Every file of ``commit`` under the audited folder, with its blob id and size ([] when
        the folder is not in that commit)."""
        treeish = f"{commit}:{self.prefix.rstrip('/')}" if self.prefix else commit
        # (``<commit>:<path>^{tree}`` would read ``^{tree}`` as part of the path)
        if self.prefix and (_run(self.cwd, "cat-file", "-t", treeish) or b"").strip() != b"tree":
            return []           # the audited folder does not exist in that commit
        # --full-tree: from a subfolder, ls-tree would otherwise list only paths under it again.
        out = self.run("ls-tree", "-r", "-z", "--long", "--full-tree", treeish)
        entries = []
        for record in out.split(b"\0"):
            if not record:
                continue
            meta, _, path = record.partition(b"\t")
            parts = meta.split()
            if len(parts) != 4:
                continue
            mode, kind, blob, size = (p.decode("ascii", "replace") for p in parts)
            if kind not in ("blob", "commit"):
                continue
            entries.append(TreeEntry(path.decode("utf-8", "surrogateescape"), mode, blob,
                                     int(size) if size.isdigit() else -1))
        return entries

    def read_blobs(self, blobs: list[str]) -> dict[str, bytes]:
        """Contents of ``blobs`` (one ``cat-file --batch`` process); missing ones are left out."""
        wanted = list(dict.fromkeys(blobs))
        if not wanted:
            return {}
        out = self.run("cat-file", "--batch", stdin=("\n".join(wanted) + "\n").encode("ascii"))
        found: dict[str, bytes] = {}
        pos = 0
        for _ in wanted:
            end = out.find(b"\n", pos)
            if end < 0:
                break
            header = out[pos:end].split()
            pos = end + 1
            if len(header) != 3:          # "<id> missing"
                continue
            size = int(header[2])
            found[header[0].decode("ascii")] = out[pos:pos + size]
            pos += size + 1
        return found

    def lines(self, *args: str) -> list[str]:
        """Output lines of a read-only command ([] when it fails: e.g. unrelated histories)."""
        out = _run(self.cwd, *args)
        return out.decode("utf-8", "replace").splitlines() if out else []


def _run(cwd: str, *args: str, stdin: bytes | None = None, strict: bool = False) -> bytes | None:
    exe = shutil.which("git")
    if exe is None:
        if strict:
            raise GitReadError("git is not installed")
        return None
    command = [exe, *_SAFE_CONFIG, "--no-pager", "-C", cwd, *args]
    try:
        done = subprocess.run(command, input=stdin, capture_output=True, timeout=GIT_TIMEOUT_S,
                              env=_git_env(), stdin=None if stdin is not None else subprocess.DEVNULL,
                              check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        if strict:
            raise GitReadError(f"git {args[0]} failed: {exc}") from exc
        return None
    if done.returncode != 0:
        if strict:
            first = done.stderr.decode("utf-8", "replace").strip().splitlines()[:1]
            raise GitReadError(f"git {args[0]} failed: {first[0] if first else done.returncode}")
        return None
    return done.stdout
