"""read_git: read-only git metadata from a throwaway repository built in tmp_path."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from auditkit.readers import git as git_reader
from auditkit.analytics.git import branch_strategy, commit_conventions, direct_commits_to_main
from auditkit.readers.git import branch_kind, parse_subject, read_git

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")

ENV = {**os.environ, "GIT_AUTHOR_NAME": "Ann Analyst", "GIT_AUTHOR_EMAIL": "ann@example.com",
       "GIT_COMMITTER_NAME": "Ann Analyst", "GIT_COMMITTER_EMAIL": "ann@example.com"}


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=ENV)


def commit(repo: Path, message: str, name: str) -> None:
    (repo / name).write_text(message)
    git(repo, "add", name)
    git(repo, "commit", "-q", "-m", message)


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / "mage_project").mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    commit(repo, "chore: initial project", "mage_project/metadata.yaml")
    commit(repo, "fixed stuff", "a.txt")                      # direct, non-conventional, on main
    git(repo, "checkout", "-q", "-b", "development")
    git(repo, "checkout", "-q", "-b", "feature/new-pipeline")
    commit(repo, "feat(loader): add stripe loader", "b.txt")
    git(repo, "checkout", "-q", "development")
    git(repo, "merge", "-q", "--no-ff", "-m", "Merge branch 'feature/new-pipeline' into development",
        "feature/new-pipeline")
    git(repo, "checkout", "-q", "-b", "johns-experiment")
    commit(repo, "fix: null handling in revenue", "c.txt")
    git(repo, "checkout", "-q", "main")
    git(repo, "tag", "-a", "v1.2.0", "-m", "release 1.2.0")
    git(repo, "tag", "nightly")
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "ci.yml").write_text("on: push\n")
    return repo


def snapshot(folder: Path) -> dict:
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*") if p.is_file()}


def test_reads_branches_commits_tags_and_ci_files_from_a_subfolder(repo: Path):
    before = snapshot(repo / ".git")
    info = read_git(repo / "mage_project")
    assert snapshot(repo / ".git") == before, "read_git must not write to the repository"
    assert info is not None
    assert info.subdir == "mage_project" and Path(info.toplevel) == repo.resolve()
    kinds = dict(zip(info.branches["name"], info.branches["kind"]))
    assert kinds == {"main": "main", "development": "development", "feature/new-pipeline": "feature",
                     "johns-experiment": "other"}
    assert info.main_branch == "main" and info.current_branch == "main"
    assert len(info.commits) == 5 and int(info.commits["is_merge"].sum()) == 1
    by_subject = info.commits.set_index("subject")
    assert by_subject.loc["feat(loader): add stripe loader", "commit_type"] == "feat"
    assert not by_subject.loc["fixed stuff", "conventional"]
    assert by_subject.loc["fixed stuff", "on_main"] and not by_subject.loc["fix: null handling in revenue", "on_main"]
    assert set(info.tags["name"]) == {"v1.2.0", "nightly"}
    assert info.tags.set_index("name").loc["v1.2.0", "is_semver"]
    assert info.tags.set_index("name").loc["v1.2.0", "annotated"]
    assert not info.tags.set_index("name").loc["nightly", "is_semver"]
    assert info.ci_files == [".github/workflows/ci.yml"]
    # every commit above adds one single-line file; the merge commit itself shows no diff stat
    plain = info.commits[~info.commits["is_merge"]]
    assert set(plain["files_changed"]) == {1} and set(plain["lines_changed"]) == {1}
    assert int(info.commits.loc[info.commits["is_merge"], "files_changed"].iloc[0]) == 0


def test_authors_are_fingerprints_not_personal_data(repo: Path):
    info = read_git(repo)
    text = info.commits.to_csv() + info.branches.to_csv()
    assert "ann@example.com" not in text and "Ann Analyst" not in text
    assert info.commits["author"].nunique() == 1


def test_helpers_summarise_strategy_conventions_and_direct_commits(repo: Path):
    info = read_git(repo)
    strategy = branch_strategy(info).set_index("kind")["branches"]
    assert strategy["feature"] == 1 and strategy["staging"] == 0 and strategy["other"] == 1
    conventions = commit_conventions(info).set_index("commit_type")
    assert conventions.loc["non-conventional", "commits"] == 1      # "fixed stuff"; the merge is excluded
    assert conventions["commits"].sum() == 4
    direct = direct_commits_to_main(info)
    assert list(direct["subject"]) == ["fixed stuff"]                 # the root commit does not count
    summary = info.summary()
    assert summary["commits"] == 5 and summary["conventional_share"] == 0.75


def test_not_a_repository_gives_none(tmp_path: Path):
    plain = tmp_path / "plain"
    plain.mkdir()
    assert read_git(plain) is None
    assert read_git(tmp_path / "missing") is None


def test_git_missing_gives_none(repo: Path, monkeypatch):
    monkeypatch.setattr(git_reader.shutil, "which", lambda name: None)
    assert read_git(repo) is None


def test_empty_repository_has_empty_frames(tmp_path: Path):
    empty = tmp_path / "empty"
    empty.mkdir()
    git(empty, "init", "-q", "-b", "main")
    info = read_git(empty)
    assert info is not None and info.commits.empty and info.branches.empty
    assert list(info.commits.columns) == git_reader.COMMIT_COLUMNS


def test_commit_cap(repo: Path, monkeypatch):
    monkeypatch.setattr(git_reader, "MAX_COMMITS", 3)
    info = read_git(repo)
    assert len(info.commits) == 3 and info.commits_capped


@pytest.mark.parametrize("name,kind", [("master", "main"), ("develop", "development"), ("staging", "staging"),
                                       ("feat/x", "feature"), ("release/1.0", "release"),
                                       ("hotfix/urgent", "hotfix"), ("wip", "other")])
def test_branch_kind(name, kind):
    assert branch_kind(name) == kind


@pytest.mark.parametrize("subject,conventional,ctype", [
    ("feat: Add customer data transformation block", True, "feat"),
    ("refactor(utils)!: extract validation", True, "refactor"),
    ("Fix: resolve null handling", True, "fix"),
    ("fix resolve null handling", False, None),
    ("update", False, None),
])
def test_parse_subject(subject, conventional, ctype):
    parsed = parse_subject(subject)
    assert parsed["conventional"] is conventional and parsed["commit_type"] == ctype


def test_an_untracked_or_ignored_folder_has_no_git_facts_of_its_own(repo: Path):
    """The enclosing repository's branches, commits and CI are not the audited folder's when
    that folder is ignored there or was never committed."""
    (repo / ".gitignore").write_text("scratch/\n")
    git(repo, "add", ".gitignore")
    git(repo, "commit", "-q", "-m", "chore: ignore scratch")
    (repo / "scratch" / "proj").mkdir(parents=True)
    (repo / "untracked_proj").mkdir()
    (repo / "untracked_proj" / "metadata.yaml").write_text("x: 1\n")
    assert read_git(repo / "scratch" / "proj") is None
    assert read_git(repo / "untracked_proj") is None
    assert read_git(repo / "mage_project") is not None      # committed: its repository's history


def test_ci_files_at_the_audited_folder_count(repo: Path):
    workflows = repo / "mage_project" / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "check.yml").write_text("on: push\n")
    git(repo, "add", "mage_project/.github/workflows/check.yml")
    git(repo, "commit", "-q", "-m", "ci: audit on push")
    info = read_git(repo / "mage_project")
    assert "mage_project/.github/workflows/check.yml" in info.ci_files
