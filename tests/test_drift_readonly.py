"""Drift reads git refs read-only: no checkout, no ref, index, config or object written, the work
tree untouched (bytes, modes and mtimes of every file and folder, ``.git`` included), a bare
mirror works the same, and the temporary skeletons are removed and never placed in the repo."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from auditkit.drift import run_drift
from auditkit.drift.snapshot import private_temp_dir
from drift_support import LITERAL_PASSWORD, build_drift_repo
from test_read_only import diff, snapshot

ENVS = ["dev=development", "staging=staging", "prod=main"]


def git_state(repo: Path) -> dict:
    def out(*args):
        return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True).stdout
    return {"refs": out("for-each-ref", "--format=%(refname) %(objectname)"), "head": out("symbolic-ref", "-q", "HEAD"),
            "status": out("status", "--porcelain") if (repo / ".git").exists() else ""}


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    return build_drift_repo(tmp_path_factory.mktemp("drift_ro") / "acme")


def test_drift_changes_nothing_in_the_repository(repo, tmp_path):
    state, before = git_state(repo), snapshot(repo)
    assert state["head"].strip() == "refs/heads/main" and state["status"] == ""
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    result = run_drift(repo, ENVS)
    assert len(result.findings)
    env = {**os.environ, "TMPDIR": str(private_tmp)}
    proc = subprocess.run([sys.executable, "-m", "auditkit.cli", "drift", str(repo),
                           *[f"--env={e}" for e in ENVS], "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (tmp_path / "out" / "drift.json").is_file() and (tmp_path / "out" / "findings.sarif").is_file()
    assert diff(before, snapshot(repo)) == []
    assert git_state(repo) == state                      # same refs, HEAD still on main, nothing checked out
    assert list(private_tmp.iterdir()) == []              # skeletons removed
    for written in (tmp_path / "out").iterdir():
        assert LITERAL_PASSWORD not in written.read_text(encoding="utf-8", errors="replace")
    assert LITERAL_PASSWORD not in proc.stdout + proc.stderr


def test_a_bare_mirror_gives_the_same_result_and_stays_untouched(repo, tmp_path):
    mirror = tmp_path / "acme.git"
    subprocess.run(["git", "clone", "-q", "--mirror", str(repo), str(mirror)], check=True)
    before, state = snapshot(mirror), git_state(mirror)
    bare = run_drift(mirror, ENVS)
    work_tree = run_drift(repo, ENVS)
    assert diff(before, snapshot(mirror)) == [] and git_state(mirror) == state
    columns = ["rule_id", "severity", "message", "pipeline", "path"]
    assert bare.findings[columns].equals(work_tree.findings[columns])
    for name in ("pipelines", "code", "io_config", "requirements", "promotion_commits"):
        assert getattr(bare, name).equals(getattr(work_tree, name)), name


def test_clone_with_remote_branches_only(repo, tmp_path):
    """A CI checkout has main and origin/*: ``staging`` resolves to origin/staging."""
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--branch", "main", str(repo), str(clone)], check=True)
    result = run_drift(clone, ENVS)
    refs = dict(zip(result.envs["env"], result.envs["ref"]))
    assert refs == {"dev": "refs/remotes/origin/development", "staging": "refs/remotes/origin/staging", "prod": "main"}
    assert len(result.findings) == len(run_drift(repo, ENVS).findings)


def test_skeletons_never_go_inside_the_audited_repo(repo, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(repo))       # TMPDIR pointing into the repo
    with private_temp_dir([repo]) as tmp:
        assert not Path(tmp).resolve().is_relative_to(repo.resolve())
        assert oct(Path(tmp).stat().st_mode & 0o777) == "0o700"
