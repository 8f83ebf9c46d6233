"""Helpers for the reliability/performance/observability/operations/deployment rule tests:
run one rule on a context, build GitInfo objects from rows, and a small demo audit input
(demo repo + generated run history) built once per test session."""
from __future__ import annotations

import functools
import tempfile
from pathlib import Path

import pandas as pd

from auditkit.readers.git import BRANCH_COLUMNS, COMMIT_COLUMNS, TAG_COLUMNS, GitInfo, branch_kind, parse_subject
from auditkit.engine.base import REGISTRY, RuleContext
from inventory_factory import make_inventory


def findings(rule_id: str, *, inventory=None, history=None, git=None, thresholds=None, security=None) -> list:
    """Findings of one rule (inventory defaults to an empty healthy one)."""
    import auditkit.rules  # noqa: F401  (registers the catalogue)
    ctx = RuleContext(inventory=inventory if inventory is not None else make_inventory(), history=history,
                      git=git, thresholds={rule_id: thresholds} if thresholds else {}, security=security)
    return list(REGISTRY[rule_id](ctx).check())


def run_case(rule_id: str, frames: dict, thresholds: dict | None) -> list:
    return findings(rule_id, inventory=make_inventory(**frames), thresholds=thresholds)


def make_git(branches=("main",), commits=(), tags=(), ci_files=(".github/workflows/ci.yml",)) -> GitInfo:
    """A GitInfo from branch names, commit dicts (subject plus optional overrides) and tag names."""
    branch_rows = [{"name": b, "kind": branch_kind(b), "last_commit_at": pd.Timestamp("2024-01-01", tz="UTC"),
                    "is_remote": False, "is_local": True, "remotes": [], "sha": "0" * 40} for b in branches]
    commit_rows = []
    for i, c in enumerate(commits):
        c = {"subject": c} if isinstance(c, str) else dict(c)
        row = {"sha": f"{i:040x}", "date": pd.Timestamp("2024-01-01", tz="UTC") + pd.Timedelta(days=i),
               "author": "a1", "is_merge": False, "on_main": False, "n_parents": 1,
               "files_changed": 1, "lines_changed": 10, **parse_subject(c["subject"])}
        row.update(c)
        commit_rows.append(row)
    tag_rows = [{"name": t, "created_at": pd.Timestamp("2024-01-01", tz="UTC"), "annotated": True,
                 "is_semver": t.lstrip("v")[:1].isdigit(), "sha": "0" * 40} for t in tags]
    return GitInfo(toplevel="/repo", subdir=".", branches=pd.DataFrame(branch_rows, columns=BRANCH_COLUMNS),
                   commits=pd.DataFrame(commit_rows, columns=COMMIT_COLUMNS),
                   tags=pd.DataFrame(tag_rows, columns=TAG_COLUMNS), ci_files=list(ci_files),
                   main_branch="main" if "main" in branches else None)


@functools.lru_cache(maxsize=1)
def demo_inputs():
    """(inventory, history) of the embedded demo with 30 days of generated history; built once."""
    from auditkit.demo.build import materialize_demo
    from auditkit.demo.history import generate_history
    from auditkit.readers.history import open_history
    from auditkit.readers.repo import read_repo

    work = Path(tempfile.mkdtemp(prefix="auditkit_runtime_rules_"))
    repo = materialize_demo(work / "repo", with_git=False)
    generate_history(work / "mage_data", repo / "analytics_hub", days=30)
    return read_repo(repo), open_history(mage_data=str(work / "mage_data"))


def ids_with_both_outcomes(cases: list[tuple]) -> tuple[set, set]:
    fires = {c[0] for c in cases if c[-1] > 0}
    quiet = {c[0] for c in cases if c[-1] == 0}
    return fires, quiet
