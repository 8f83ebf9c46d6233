"""Secrets in git history: found once, at their first commit, bounded, read-only, never stored."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from auditkit.model import short_hash
from auditkit.readers.repo import read_repo
from auditkit.readers.security import scan_security
from auditkit.engine.base import REGISTRY, RuleContext
from test_security_secrets import BLOCK, make_repo

pytestmark = pytest.mark.skipif(subprocess.run(["git", "--version"], capture_output=True).returncode != 0,
                                reason="git not installed")
AWS_ID = "AKIAZ7Q3WX9R2T5Y8U4P"
AWS_SECRET = "q8Zr3Xv7Lm2Np5Kt9Wb4Hc6Jd1Fg0Sa8Ye3Ui7O"
TOKEN = "ghp_" + "Zx7Qm3Kp9Lr2Vt5Wn8Bc4Hd6Jf1Gs0Ay3Ue7I"


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(repo)}
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=env).stdout


def commit_all(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


def history_repo(root: Path) -> tuple[Path, dict[str, str]]:
    """io_config and a block leak three values in the first commit; the second removes two."""
    io_leak = ("version: 0.1.1\ndefault:\n  AWS_ACCESS_KEY_ID: " + AWS_ID + "\n  AWS_SECRET_ACCESS_KEY: " + AWS_SECRET
               + "\n  POSTGRES_PASSWORD: password\n")
    repo = make_repo(root, {"proj/data_loaders/load_api.py": BLOCK.format(body=f'    token = "{TOKEN}"\n    return token')},
                     io_config=io_leak)
    git(repo, "init", "-q")
    shas = {"leak": commit_all(repo, "first")}
    (repo / "proj" / "io_config.yaml").write_text(
        "version: 0.1.1\ndefault:\n  AWS_ACCESS_KEY_ID: \"{{ env_var('AWS_ACCESS_KEY_ID') }}\"\n"
        "  AWS_SECRET_ACCESS_KEY: \"{{ env_var('AWS_SECRET_ACCESS_KEY') }}\"\n")
    shas["fix"] = commit_all(repo, "read keys from the environment")
    (repo / "proj" / "README.md").write_text("notes\n")
    shas["later"] = commit_all(repo, "docs")
    return repo, shas


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_secrets_removed_from_head_are_found_once_at_their_first_commit(tmp_path):
    repo, shas = history_repo(tmp_path / "repo")
    before = snapshot(repo)
    scan = scan_security(read_repo(repo))
    assert snapshot(repo) == before                       # read-only, .git included
    rows = scan.history.secrets
    assert set(rows["commit"]) == {shas["leak"]} and set(rows["path"]) == {"proj/io_config.yaml"}
    assert short_hash(AWS_ID) in set(rows["fingerprint"])
    assert short_hash(TOKEN) not in set(rows["fingerprint"])     # still in HEAD: reported there
    assert short_hash("password") not in set(rows["fingerprint"])   # a template placeholder then too
    assert len(rows) == len(set(rows["fingerprint"]))
    text = rows.to_csv() + repr(scan.history.summary())
    assert AWS_ID not in text and AWS_SECRET not in text
    ctx = RuleContext(inventory=None, security=scan)
    findings = list(REGISTRY["MAGE-SEC-042"](ctx).check())
    assert len(rows) >= 2 and len(findings) == 1          # one file version, one key pair: one finding
    assert shas["leak"][:12] in findings[0].message and "rotate them" in findings[0].message
    assert all(fp in findings[0].evidence for fp in rows["fingerprint"])


def test_history_window_is_bounded(tmp_path, monkeypatch):
    repo, _shas = history_repo(tmp_path / "repo")
    inventory = read_repo(repo)
    assert scan_security(inventory, git_history_commits=2).history.secrets.empty     # the leak is 3 commits back
    assert scan_security(inventory, since="2099-01-01").history.secrets.empty
    monkeypatch.setenv("AUDITKIT_GIT_HISTORY_COMMITS", "0")
    off = scan_security(inventory)
    assert off.history.secrets.empty and off.history.commits_scanned == 0
    assert scan_security(inventory, git_history_commits=3).history.commits_scanned == 3


def test_no_git_or_an_untracked_folder_gives_no_history(tmp_path):
    plain = make_repo(tmp_path / "plain", {})
    assert scan_security(read_repo(plain)).history.secrets.empty
    outer = tmp_path / "outer"
    outer.mkdir()
    git(outer, "init", "-q")
    (outer / "tracked.txt").write_text(f"aws = {AWS_ID}\n")
    commit_all(outer, "other project")
    inner = make_repo(outer / "mage", {})          # never added: not part of this history
    scan = scan_security(read_repo(inner))
    assert scan.history.secrets.empty and scan.history.commits_scanned == 0
