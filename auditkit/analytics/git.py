"""Derived views of a repository's git history (:class:`auditkit.readers.git.GitInfo`): branch
kinds, commit conventions, commits that reached main without review."""
from __future__ import annotations

import pandas as pd

from auditkit.readers.git import COMMIT_COLUMNS, PR_SUBJECT_RE, GitInfo


def branch_strategy(git: GitInfo | None) -> pd.DataFrame:
    """Branch counts per kind, for the deployment notebook (kinds with no branch show 0)."""
    kinds = ["main", "development", "staging", "feature", "release", "hotfix", "other"]
    counts = git.branches["kind"].value_counts() if git is not None else pd.Series(dtype=int)
    return pd.DataFrame({"kind": kinds, "branches": [int(counts.get(k, 0)) for k in kinds]})


def commit_conventions(git: GitInfo | None) -> pd.DataFrame:
    """Non-merge commits per conventional type ('non-conventional' for the rest)."""
    if git is None or git.commits.empty:
        return pd.DataFrame(columns=["commit_type", "commits", "share"])
    commits = git.commits[~git.commits["is_merge"]]
    types = commits["commit_type"].where(commits["conventional"], "non-conventional").fillna("non-conventional")
    counts = types.value_counts().rename_axis("commit_type").reset_index(name="commits")
    counts["share"] = (counts["commits"] / max(len(commits), 1)).round(3)
    return counts


def direct_commits_to_main(git: GitInfo | None) -> pd.DataFrame:
    """Commits that landed on main's first-parent line without a merge or a pull request."""
    if git is None or git.commits.empty:
        return pd.DataFrame(columns=COMMIT_COLUMNS)
    commits = git.commits
    # The root commit is how every repository starts; it is not a bypassed review.
    mask = (commits["on_main"] & ~commits["is_merge"] & (commits["n_parents"] > 0)
            & ~commits["subject"].str.contains(PR_SUBJECT_RE))
    return commits[mask].reset_index(drop=True)
