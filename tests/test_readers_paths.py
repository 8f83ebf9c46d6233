"""Walking and resolving inside the repository only."""
from __future__ import annotations

import os
from pathlib import Path

from auditkit.model import ProblemLog
from auditkit.readers.paths import (decode_text, is_excluded, iter_repo_files, read_limited, resolve_in_repo)


def _tree(root: Path) -> None:
    (root / "a" / "b").mkdir(parents=True)
    (root / "a" / "b" / "x.py").write_text("x = 1\n")
    (root / "a" / "y.sql").write_text("select 1\n")
    (root / ".git").mkdir()
    (root / ".git" / "HEAD").write_text("ref\n")
    (root / "a" / "__pycache__").mkdir()
    (root / "a" / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\x00\x01")


def test_walk_skips_vcs_and_caches_and_applies_globs(tmp_path):
    _tree(tmp_path)
    rels = sorted(f.rel for f in iter_repo_files(tmp_path))
    assert rels == ["a/b/x.py", "a/y.sql"]
    assert [f.rel for f in iter_repo_files(tmp_path, ["a/b/**"])] == ["a/y.sql"]
    assert [f.rel for f in iter_repo_files(tmp_path, ["*.sql"])] == ["a/b/x.py"]


def test_symlinks_outside_are_reported_and_loops_terminate(tmp_path):
    root = tmp_path / "repo"
    outside = tmp_path / "secret.txt"
    outside.write_text("do not read\n")
    _tree(root)
    os.symlink(outside, root / "a" / "leak.py")
    os.symlink(tmp_path, root / "a" / "up")             # directory outside the root
    os.symlink(root / "a", root / "a" / "b" / "loop")   # loop back inside the root
    problems = ProblemLog()
    rels = [f.rel for f in iter_repo_files(root, problems=problems)]
    assert "a/leak.py" not in rels and not any(r.startswith("a/up/") for r in rels)
    assert rels.count("a/y.sql") == 1  # the loop does not revisit a/
    assert sorted(p.path for p in problems if p.kind == "outside_repo") == ["a/leak.py", "a/up"]


def test_resolve_in_repo_refuses_escapes(tmp_path):
    root = tmp_path.resolve()
    (root / "d").mkdir()
    assert resolve_in_repo(root, "d/../d/file.py") == root / "d" / "file.py"
    assert resolve_in_repo(root, "../../etc/passwd") is None
    assert resolve_in_repo(root, "/etc/passwd") is None
    os.symlink("/etc", root / "d" / "etc")
    assert resolve_in_repo(root, "d/etc/passwd") is None


def test_read_limited_and_decode(tmp_path):
    big = tmp_path / "big.py"
    big.write_text("x" * 100)
    assert read_limited(str(big), max_bytes=10) == (None, "larger than 0 MB")
    binary = tmp_path / "bin.py"
    binary.write_bytes(b"abc\x00def")
    assert read_limited(str(binary))[1] == "binary (NUL byte)"
    assert decode_text("caf\xe9".encode("latin-1")) == ("caf\ufffd", True)
    assert decode_text("\ufeffok".encode("utf-8")) == ("ok", False)


def test_is_excluded_top_level_double_star():
    assert is_excluded("tests/x.py", ["**/tests/**"])
    assert is_excluded("tests", ["**/tests/**"], is_dir=True)
    assert not is_excluded("src/x.py", ["**/tests/**"])
