"""The audit is read-only: a full report and ``check`` leave the audited repo (including its
``.git``) and the Mage data folder (SQLite DB and block logs) exactly as they were.

"Exactly" means: the same set of files and folders, the same bytes, the same permissions,
and unchanged modification times of every file and folder. A folder's mtime changes when an
entry is created or removed in it, so even a temporary file written and deleted during the
audit (a SQLite journal, a git index refresh, ``__pycache__``) is caught.

The PostgreSQL half of the proof (a write inside the audit's session fails) is
``test_history_postgres.py::test_postgres_session_is_read_only``.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def snapshot(root: Path) -> dict[str, tuple]:
    """Path -> (kind, sha256 or None, mode, mtime_ns) for ``root`` and everything under it."""
    state: dict[str, tuple] = {}
    for folder, dirs, files in os.walk(root, followlinks=False):
        base = Path(folder)
        st = base.lstat()
        state[base.relative_to(root).as_posix() + "/"] = ("dir", None, st.st_mode, st.st_mtime_ns)
        for name in files:
            path = base / name
            st = path.lstat()
            digest = None
            if path.is_file() and not path.is_symlink():
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
            state[path.relative_to(root).as_posix()] = ("file", digest, st.st_mode, st.st_mtime_ns)
    return state


def diff(before: dict, after: dict) -> list[str]:
    changes = [f"new: {p}" for p in sorted(set(after) - set(before))]
    changes += [f"gone: {p}" for p in sorted(set(before) - set(after))]
    changes += [f"changed: {p} {before[p]} -> {after[p]}" for p in sorted(set(before) & set(after))
                if before[p] != after[p]]
    return changes


def run_cli(*args: str, timeout: float) -> subprocess.CompletedProcess:
    # Bytecode writing stays on: if anything imported a block file, a __pycache__ would show.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return subprocess.run([sys.executable, "-m", "auditkit.cli", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=str(ROOT), env=env)


@pytest.fixture(scope="module")
def demo_workspace(tmp_path_factory):
    """A private copy of the demo repo (a git repo) and its Mage data folder (DB + logs)."""
    from auditkit.demo.workspace import prepare_demo

    repo, mage_data = prepare_demo(tmp_path_factory.mktemp("readonly") / "ws")
    repo, mage_data = Path(repo), Path(mage_data)
    db = next(mage_data.glob("*/mage-ai.db"))
    assert (repo / ".git").is_dir() and db.stat().st_size > 0
    assert any(mage_data.rglob("*.log")), "the demo history should include block logs"
    return repo, mage_data, db


@pytest.mark.slow
def test_full_report_and_check_change_nothing(demo_workspace, tmp_path):
    repo, mage_data, db = demo_workspace
    before_repo, before_data = snapshot(repo), snapshot(mage_data)

    report = run_cli("report", str(repo), "--mage-data", str(mage_data), "--out", str(tmp_path / "report"),
                     "--jobs", "2", timeout=1500)
    assert (tmp_path / "report" / "index.html").is_file(), report.stderr[-3000:]
    assert "Traceback" not in report.stderr, report.stderr[-3000:]
    check_data = run_cli("check", str(repo), "--mage-data", str(mage_data), "--format", "json",
                         "--format", "sarif", "--out", str(tmp_path / "check1"), timeout=600)
    check_db = run_cli("check", str(repo), "--history", str(db), "--format", "csv",
                       "--out", str(tmp_path / "check2"), timeout=600)
    for proc in (check_data, check_db):
        assert proc.returncode in (0, 1), proc.stderr[-3000:]
        assert "Traceback" not in proc.stderr
    assert (tmp_path / "check1" / "findings.json").is_file()

    assert diff(before_repo, snapshot(repo)) == []
    assert diff(before_data, snapshot(mage_data)) == []


def test_check_changes_nothing_even_with_a_writable_looking_repo(tmp_path):
    """A quick (non-slow) version on a tiny repo with its DB inside the repo folder, where a
    careless writer would most likely drop a journal, cache or report file."""
    from history_support import empty_history_db, insert
    from test_robustness_repo import write_project

    repo = tmp_path / "repo"
    proj = write_project(repo)
    (proj / "pipelines" / "good" / "triggers.yaml").write_text(
        "triggers:\n- name: daily\n  schedule_type: time\n  schedule_interval: '@daily'\n"
        "  start_time: 2026-01-01 00:00:00\n  status: active\n")
    data = proj / "mage_data" / "proj"
    data.mkdir(parents=True)
    conn = empty_history_db(data / "mage-ai.db")
    insert(conn, "pipeline_schedule", id=1, name="daily", pipeline_uuid="good", schedule_type="TIME",
           schedule_interval="@daily", status="ACTIVE", settings="null")
    insert(conn, "pipeline_run", id=1, pipeline_schedule_id=1, pipeline_uuid="good", status="FAILED",
           execution_date="2026-01-01 00:00:00", created_at="2026-01-01 00:00:00",
           started_at="2026-01-01 00:00:01", completed_at=None)
    conn.close()
    if shutil.which("git"):
        subprocess.run(["git", "init", "-q", str(repo)], check=True)
        subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True)
        subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "x"],
                       check=True)
    before = snapshot(repo)
    for extra in (["--mage-data", str(proj / "mage_data")], ["--history", str(data / "mage-ai.db")], []):
        proc = run_cli("check", str(repo), *extra, "--format", "json", "--out", str(tmp_path / "out"), timeout=300)
        assert proc.returncode in (0, 1), proc.stderr[-3000:]
        assert "Traceback" not in proc.stderr
    assert diff(before, snapshot(repo)) == []
