"""Promotion state between consecutive git environments (development -> staging -> main).

For each step ``from_env -> to_env`` of the chain, from the commit graph alone (read-only
``rev-list`` / ``log``, limited to the audited folder):

* *waiting*: non-merge commits in ``from_env`` not yet in ``to_env`` (how far it is behind);
* *bypassed*: non-merge commits in ``to_env`` that are not in ``from_env`` and whose change is
  not there under another id either (``--cherry-pick``): hotfixes made on main that never went
  through staging, or commits made straight on staging. ``bypassed_files`` lists the files they
  touched, which tells the drift rules that production's version of a file was never in staging.

The timeline lists the newest commits of each environment's first-parent line, each marked as a
promotion (a merge bringing in the previous environment's commits), a commit that arrived with
the previous environment's history, a direct commit, or another merge. Folder environments have
no commit graph: their steps say so.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from auditkit.drift.frames import empty
from auditkit.drift.trees import EnvTree

PAIR_COLUMNS = ["from_env", "to_env", "status", "waiting", "oldest_waiting_at", "bypassed",
                "from_commit", "to_commit", "from_date", "to_date"]
COMMIT_COLUMNS = ["from_env", "to_env", "category", "sha", "date", "subject"]
BYPASSED_FILE_COLUMNS = ["from_env", "to_env", "path", "sha"]
TIMELINE_COLUMNS = ["env", "order", "sha", "date", "kind", "subject"]
MAX_LISTED = 500            # commits listed per step and category (counts are exact)
MAX_BYPASSED = 2000
TIMELINE_COMMITS = 300      # newest first-parent commits per environment
REACH_LIMIT = 50_000        # commits of the previous environment kept to classify the timeline
_F, _R = "\x1f", "\x1e"


@dataclass
class Promotion:
    pairs: pd.DataFrame
    commits: pd.DataFrame
    bypassed_files: pd.DataFrame
    timeline: pd.DataFrame


def _pathspec(tree: EnvTree) -> list[str]:
    prefix = tree.git.prefix if tree.git is not None else ""
    return ["--", f":(top){prefix}"] if prefix else []


def _records(out: list[str]) -> list[list[str]]:
    return [line.split(_F) for line in out if line.count(_F) >= 2]


def _date(tree: EnvTree, commit: str) -> pd.Timestamp | None:
    out = tree.git.lines("log", "-1", "--format=%cI", commit)
    return pd.to_datetime(out[0], utc=True) if out else None


def _step(a: EnvTree, b: EnvTree) -> tuple[dict, list[tuple], list[tuple]]:
    """One step of the chain: the pair row, listed commits and files of bypassed commits."""
    git, spec = b.git, _pathspec(b)
    count = git.lines("rev-list", "--count", "--no-merges", f"{b.commit}..{a.commit}", *spec)
    waiting = _records(git.lines("log", "--no-merges", f"--max-count={MAX_LISTED}",
                                 f"--format=%H{_F}%cI{_F}%s", f"{b.commit}..{a.commit}", *spec))
    raw = git.try_run("log", "--no-merges", "--cherry-pick", "--right-only", "--no-ext-diff", "--no-textconv",
                      f"--max-count={MAX_BYPASSED}", f"--format={_R}%H{_F}%cI{_F}%s", "--name-only",
                      f"{a.commit}...{b.commit}", *spec)
    bypassed, files = [], []
    prefix = git.prefix
    for record in (raw or b"").decode("utf-8", "replace").split(_R):
        head, _, names = record.strip("\n").partition("\n")
        parts = head.split(_F)
        if len(parts) < 3:
            continue
        bypassed.append(parts)
        for name in names.splitlines():
            if name and name.startswith(prefix):
                files.append((a.env.name, b.env.name, name[len(prefix):], parts[0]))
    oldest = min((w[1] for w in waiting), default=None)
    row = {"from_env": a.env.name, "to_env": b.env.name, "status": "compared",
           "waiting": int(count[0]) if count else len(waiting),
           "oldest_waiting_at": pd.to_datetime(oldest, utc=True) if oldest else None,
           "bypassed": len(bypassed), "from_commit": a.commit, "to_commit": b.commit,
           "from_date": _date(a, a.commit), "to_date": _date(b, b.commit)}
    listed = [(a.env.name, b.env.name, "waiting", *w[:3]) for w in waiting]
    listed += [(a.env.name, b.env.name, "bypassed", *p[:3]) for p in bypassed[:MAX_LISTED]]
    return row, listed, files


def _timeline(trees: list[EnvTree]) -> list[tuple]:
    rows = []
    for order, tree in enumerate(trees):
        if tree.git is None:
            continue
        previous = trees[order - 1] if order > 0 and trees[order - 1].git is not None else None
        reach = set(tree.git.lines("rev-list", f"--max-count={REACH_LIMIT}", previous.commit)) if previous else set()
        out = tree.git.lines("log", "--first-parent", f"--max-count={TIMELINE_COMMITS}",
                             f"--format=%H{_F}%P{_F}%cI{_F}%s", tree.commit)
        for sha, parents, date, subject in (r[:4] for r in _records(out) if len(r) >= 4):
            parents = parents.split()
            if previous is None:
                kind = "merge" if len(parents) > 1 else "commit"
            elif len(parents) > 1:
                kind = f"promotion from {previous.env.name}" if parents[1] in reach else "other merge"
            else:
                kind = f"arrived with {previous.env.name}" if sha in reach else "direct commit"
            rows.append((tree.env.name, order, sha, pd.to_datetime(date, utc=True), kind, subject))
    return rows


def promotion_state(trees: list[EnvTree]) -> Promotion:
    """The promotion frames of the chain ``trees`` (see the module doc)."""
    pairs, commits, files = [], [], []
    for a, b in zip(trees, trees[1:]):
        if a.git is None or b.git is None:
            pairs.append({"from_env": a.env.name, "to_env": b.env.name,
                          "status": "not compared: a folder has no commit history"})
            continue
        row, listed, touched = _step(a, b)
        pairs.append(row)
        commits.extend(listed)
        files.extend(touched)
    frame = pd.DataFrame(pairs, columns=PAIR_COLUMNS) if pairs else empty(PAIR_COLUMNS)
    listed = pd.DataFrame(commits, columns=COMMIT_COLUMNS) if commits else empty(COMMIT_COLUMNS)
    listed["date"] = pd.to_datetime(listed["date"], utc=True)
    timeline = _timeline(trees)
    return Promotion(
        pairs=frame,
        commits=listed,
        bypassed_files=(pd.DataFrame(files, columns=BYPASSED_FILE_COLUMNS).drop_duplicates(ignore_index=True)
                        if files else empty(BYPASSED_FILE_COLUMNS)),
        timeline=pd.DataFrame(timeline, columns=TIMELINE_COLUMNS) if timeline else empty(TIMELINE_COLUMNS),
    )
