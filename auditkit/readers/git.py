"""Branches, commits, tags and CI files of the git repository holding the audited folder.

Read-only git plumbing through ``subprocess``: ``for-each-ref``, ``log`` (capped) and
``ls-files``. Nothing is written: optional locks are off (``GIT_OPTIONAL_LOCKS=0``), and the
repository's own config cannot run code here (no fsmonitor, no hooks, no pager). No git
repository, or no git binary, gives ``None`` and never an exception.

Authors are kept only as a short fingerprint: reports show practice, not people.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field

import pandas as pd

from auditkit.model import InputProblem, short_hash
from auditkit.readers.ci_steps import ci_test_steps

MAX_COMMITS = 2000
GIT_TIMEOUT_S = 60
_FIELD = "\x1f"
_RECORD = "\x1e"

BRANCH_COLUMNS = ["name", "kind", "last_commit_at", "is_remote", "is_local", "remotes", "sha"]
COMMIT_COLUMNS = ["sha", "date", "author", "subject", "conventional", "commit_type", "scope", "breaking",
                  "is_merge", "on_main", "n_parents", "files_changed", "lines_changed"]
SHORTSTAT_RE = re.compile(r"(\d+) files? changed(?:, (\d+) insertions?\(\+\))?(?:, (\d+) deletions?\(-\))?")
TAG_COLUMNS = ["name", "created_at", "annotated", "is_semver", "sha"]

# Conventional Commits: type(scope)!: description
CONVENTIONAL_RE = re.compile(
    r"^(?P<type>feat|fix|docs|style|refactor|perf|test|tests|build|ci|chore|revert)"
    r"(?:\((?P<scope>[^()\n]+)\))?(?P<breaking>!)?: \S", re.I)
SEMVER_RE = re.compile(r"^v?\d+\.\d+(?:\.\d+)?(?:[-+][\w.\-]+)?$")
PR_SUBJECT_RE = re.compile(r"\(#\d+\)\s*$|^Merge pull request #\d+|^Merged in |^Merge branch ")

MAIN_NAMES = frozenset({"main", "master", "trunk", "production", "prod"})
DEVELOPMENT_NAMES = frozenset({"develop", "development", "dev"})
STAGING_NAMES = frozenset({"staging", "stage", "preprod", "pre-production", "uat", "qa"})
KIND_PREFIXES = (
    (("feature/", "features/", "feat/"), "feature"),
    (("release/", "releases/"), "release"),
    (("hotfix/", "hotfixes/", "bugfix/", "fix/"), "hotfix"),
)
CI_PATHSPECS = (
    ".github/workflows/*.yml", ".github/workflows/*.yaml", ".gitlab-ci.yml", "azure-pipelines.yml",
    "azure-pipelines.yaml", "Jenkinsfile", ".circleci/config.yml", "bitbucket-pipelines.yml",
    ".buildkite/*", "cloudbuild.yaml", "cloudbuild.yml", ".drone.yml", ".travis.yml", "buildspec.yml",
    ".woodpecker.yml", "*/.gitlab-ci.yml", "*/Jenkinsfile", "*/cloudbuild.yaml",
)


@dataclass
class GitInfo:
    """Git metadata of the repository holding the audited folder (frames always have their columns)."""

    toplevel: str                       # absolute path of the git work tree
    subdir: str                         # audited folder relative to toplevel ('.' when equal)
    branches: pd.DataFrame
    commits: pd.DataFrame
    tags: pd.DataFrame
    ci_files: list[str] = field(default_factory=list)   # repo-relative (to toplevel) CI configs
    ci_tests: list[dict] = field(default_factory=list)  # test commands per CI file (readers/ci_steps.py)
    current_branch: str | None = None
    main_branch: str | None = None
    is_shallow: bool = False
    commits_capped: bool = False        # True when the history has more than MAX_COMMITS commits
    problems: list[InputProblem] = field(default_factory=list)

    def summary(self) -> dict:
        """Counts for summary.json and notebooks."""
        non_merge = self.commits[~self.commits["is_merge"]] if len(self.commits) else self.commits
        return {
            "branches": int(len(self.branches)),
            "branch_kinds": {k: int(v) for k, v in self.branches["kind"].value_counts().sort_index().items()},
            "commits": int(len(self.commits)),
            "conventional_share": (round(float(non_merge["conventional"].mean()), 3) if len(non_merge) else None),
            "tags": int(len(self.tags)),
            "ci_files": list(self.ci_files),
            "main_branch": self.main_branch,
            "is_shallow": self.is_shallow,
        }


def branch_kind(name: str) -> str:
    """main / development / staging / feature / release / hotfix / other, from a branch name."""
    lower = name.lower()
    if lower in MAIN_NAMES:
        return "main"
    if lower in DEVELOPMENT_NAMES:
        return "development"
    if lower in STAGING_NAMES:
        return "staging"
    for prefixes, kind in KIND_PREFIXES:
        if lower.startswith(prefixes):
            return kind
    return "other"


def parse_subject(subject: str) -> dict:
    """Conventional-commit parts of a subject line: conventional, commit_type, scope, breaking."""
    match = CONVENTIONAL_RE.match(subject or "")
    if not match:
        return {"conventional": False, "commit_type": None, "scope": None, "breaking": False}
    return {"conventional": True, "commit_type": match.group("type").lower(), "scope": match.group("scope"),
            "breaking": bool(match.group("breaking"))}


def _git_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_OPTIONAL_LOCKS="0", GIT_TERMINAL_PROMPT="0", LC_ALL="C", GIT_PAGER="cat",
               GIT_CONFIG_NOSYSTEM="1")
    return env


def _git(cwd: str, *args: str) -> str | None:
    """Output of one read-only git command, or None when it fails."""
    exe = shutil.which("git")
    if exe is None:
        return None
    # The audited repo's config must not run code: no fsmonitor daemon, no hooks. Ownership
    # checks are relaxed because audits often read mounted checkouts owned by another user.
    command = [exe, "-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null",
               "-c", "safe.directory=*", "--no-pager", "-C", cwd, *args]
    try:
        done = subprocess.run(command, capture_output=True, timeout=GIT_TIMEOUT_S, env=_git_env(),
                              stdin=subprocess.DEVNULL, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.decode("utf-8", errors="replace")


def _inside(root: str, top: str) -> bool:
    try:
        return os.path.commonpath([root, top]) == top
    except ValueError:
        return False


def read_git(root: str | os.PathLike) -> GitInfo | None:
    """Git metadata for the audited folder ``root``; None without git or a repository.

    The repository top is found with ``git rev-parse --show-toplevel`` and used only when
    ``root`` lies inside it and is tracked there: a folder the enclosing repository ignores or
    never committed has no git history of its own, and another repository's branches, commits
    and CI must not be reported as its own. At most ``MAX_COMMITS`` commits (newest first, all
    refs) are read. CI and deployment files count at the repository's top and at the audited
    folder's root.
    """
    root = os.path.realpath(os.fspath(root))
    if not os.path.isdir(root):
        return None
    top_out = _git(root, "rev-parse", "--show-toplevel")
    if not top_out or not top_out.strip():
        return None
    top = os.path.realpath(top_out.strip())
    if not _inside(root, top):
        return None
    problems: list[InputProblem] = []
    subdir = os.path.relpath(root, top).replace(os.sep, "/")
    if subdir != "." and not (_git(top, "ls-tree", "--name-only", "HEAD", "--", subdir) or "").strip():
        return None     # not in the enclosing repository's history (ignored, untracked, no commit)
    branches = read_branches(top)
    main_branch = _main_branch(branches)
    commits, capped = read_commits(top, main_branch)
    if commits is None:
        problems.append(InputProblem(".git", "git", "git log could not be read; commit checks skipped"))
        commits = pd.DataFrame(columns=COMMIT_COLUMNS)
    current = _git(top, "symbolic-ref", "--quiet", "--short", "HEAD")
    shallow = (_git(top, "rev-parse", "--is-shallow-repository") or "").strip() == "true"
    ci_files = read_ci_files(top, subdir)
    return GitInfo(toplevel=top, subdir=subdir, branches=branches, commits=commits,
                   tags=read_tags(top), ci_files=ci_files, ci_tests=ci_test_steps(top, ci_files),
                   current_branch=(current or "").strip() or None,
                   main_branch=main_branch, is_shallow=shallow, commits_capped=capped, problems=problems)


def read_branches(top: str) -> pd.DataFrame:
    """One row per branch name (local and remote-tracking refs merged)."""
    out = _git(top, "for-each-ref", f"--format=%(refname){_FIELD}%(committerdate:iso-strict){_FIELD}%(objectname)",
               "refs/heads", "refs/remotes")
    rows: dict[str, dict] = {}
    for line in (out or "").splitlines():
        parts = line.split(_FIELD)
        if len(parts) != 3:
            continue
        ref, date, sha = parts
        if ref.startswith("refs/heads/"):
            name, remote = ref[len("refs/heads/"):], None
        else:
            rest = ref[len("refs/remotes/"):]
            if "/" not in rest:
                continue
            remote, name = rest.split("/", 1)
            if name == "HEAD":
                continue
        row = rows.setdefault(name, {"name": name, "kind": branch_kind(name), "last_commit_at": None,
                                     "is_remote": False, "is_local": False, "remotes": [], "sha": sha})
        if remote is None:
            row["is_local"], row["sha"] = True, sha
        else:
            row["remotes"].append(remote)
        stamp = pd.to_datetime(date, utc=True, errors="coerce")
        if row["last_commit_at"] is None or (stamp is not pd.NaT and stamp > row["last_commit_at"]):
            row["last_commit_at"] = stamp
    for row in rows.values():
        row["is_remote"] = not row["is_local"]
    frame = pd.DataFrame(list(rows.values()), columns=BRANCH_COLUMNS)
    frame["last_commit_at"] = pd.to_datetime(frame["last_commit_at"], utc=True)
    return frame.sort_values("name").reset_index(drop=True)


def _main_branch(branches: pd.DataFrame) -> str | None:
    names = set(branches["name"])
    for candidate in ("main", "master", "trunk"):
        if candidate in names:
            return candidate
    return None


def read_commits(top: str, main_branch: str | None) -> tuple[pd.DataFrame | None, bool]:
    """The newest ``MAX_COMMITS`` commits of all refs; ``on_main`` marks the main branch's
    first-parent line (what landed on main directly or as a merge). Returns (frame, capped)."""
    # Each record starts with the separator so the --shortstat line that follows a commit
    # stays inside that commit's record.
    fmt = _RECORD + _FIELD.join(["%H", "%P", "%aI", "%ae", "%s"])
    out = _git(top, "log", "--all", "--date-order", "--shortstat", "--no-renames",
               f"--max-count={MAX_COMMITS + 1}", f"--format={fmt}")
    if out is None:
        # An empty repository (no commit yet) makes git log fail: that is no history, not an error.
        has_head = _git(top, "rev-parse", "--verify", "--quiet", "HEAD")
        return (pd.DataFrame(columns=COMMIT_COLUMNS) if has_head is None else None), False
    records = [r.strip("\n") for r in out.split(_RECORD) if r.strip("\n")]
    capped = len(records) > MAX_COMMITS
    main_shas: set[str] = set()
    if main_branch:
        ref = main_branch if _git(top, "rev-parse", "--verify", "--quiet", f"refs/heads/{main_branch}") \
            else f"origin/{main_branch}"
        main_out = _git(top, "log", "--first-parent", f"--max-count={MAX_COMMITS}", "--format=%H", ref)
        main_shas = set((main_out or "").split())
    rows = []
    for record in records[:MAX_COMMITS]:
        header, _, stat = record.partition("\n")
        parts = header.split(_FIELD)
        if len(parts) != 5:
            continue
        sha, parents, date, email, subject = parts
        n_parents = len(parents.split())
        files, lines = _shortstat(stat)
        rows.append({"sha": sha, "date": date, "author": short_hash("author", email.lower(), length=10),
                     "subject": subject, **parse_subject(subject), "is_merge": n_parents > 1,
                     "on_main": sha in main_shas, "n_parents": n_parents,
                     "files_changed": files, "lines_changed": lines})
    frame = pd.DataFrame(rows, columns=COMMIT_COLUMNS)
    frame["date"] = pd.to_datetime(frame["date"], utc=True, errors="coerce")
    return frame, capped


def _shortstat(text: str) -> tuple[int, int]:
    """(files changed, lines inserted + deleted) from git's --shortstat line; merges have none."""
    match = SHORTSTAT_RE.search(text or "")
    if not match:
        return 0, 0
    return int(match.group(1)), int(match.group(2) or 0) + int(match.group(3) or 0)


def read_tags(top: str) -> pd.DataFrame:
    """Tags with their date and whether they look like release versions (semver)."""
    out = _git(top, "for-each-ref", f"--format=%(refname:short){_FIELD}%(creatordate:iso-strict){_FIELD}"
               f"%(objecttype){_FIELD}%(objectname)", "refs/tags")
    rows = []
    for line in (out or "").splitlines():
        parts = line.split(_FIELD)
        if len(parts) != 4:
            continue
        name, date, objtype, sha = parts
        rows.append({"name": name, "created_at": date, "annotated": objtype == "tag",
                     "is_semver": bool(SEMVER_RE.match(name)), "sha": sha})
    frame = pd.DataFrame(rows, columns=TAG_COLUMNS)
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True, errors="coerce")
    return frame


def read_ci_files(top: str, subdir: str = ".") -> list[str]:
    """CI configuration files known to git (tracked, or new and not ignored), relative to top:
    those of the repository and those at the audited folder's root (``subdir``).

    Only names are listed; no file content is read."""
    specs = list(CI_PATHSPECS)
    if subdir not in (".", ""):
        specs += [f"{subdir}/{spec}" for spec in CI_PATHSPECS if not spec.startswith("*/")]
    out = _git(top, "ls-files", "--cached", "--others", "--exclude-standard", "--", *specs)
    return sorted(set((out or "").splitlines()))
