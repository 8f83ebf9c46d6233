"""A saved audit is data (JSON), read back exactly; a crafted file never runs code."""
from __future__ import annotations

import json
import pickle
from pathlib import Path

import pandas as pd
import pytest

from auditkit.audit import CACHE_FILE, Audit, open_audit, run_audit
from auditkit.readers.repo import FRAME_COLUMNS

RICH = Path(__file__).resolve().parent / "fixtures" / "repos" / "rich_repo"


class _RunsCode:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


@pytest.fixture(scope="module")
def audit() -> Audit:
    return run_audit(RICH, cache=False)


def test_saved_audit_is_json_and_loads_back_exactly(tmp_path, audit):
    folder = audit.save(tmp_path / "saved")
    assert not list(folder.glob("*.pkl"))
    json.loads((folder / CACHE_FILE).read_text(encoding="utf-8"))     # plain JSON
    back = Audit.load(folder)
    pd.testing.assert_frame_equal(back.findings, audit.findings)
    pd.testing.assert_frame_equal(back.input_problems, audit.input_problems)
    for name in FRAME_COLUMNS:
        pd.testing.assert_frame_equal(getattr(back.inventory, name), getattr(audit.inventory, name), obj=name)
    assert back.summary == audit.summary
    pd.testing.assert_frame_equal(back.security.deployments, audit.security.deployments)
    assert list(back.rule_run) == list(audit.rule_run)
    assert back.rule_run.status() == audit.rule_run.status()
    if audit.git is not None:
        pd.testing.assert_frame_equal(back.git.commits, audit.git.commits)


def test_a_pickle_left_in_the_cache_folder_is_never_read(tmp_path):
    folder = tmp_path / "cache"
    folder.mkdir()
    marker = tmp_path / "ran"
    (folder / "audit.pkl").write_bytes(pickle.dumps(_RunsCode(marker)))
    result = open_audit(str(RICH), audit_cache=str(folder))
    assert not marker.exists()
    assert len(result.inventory.pipelines) > 0


@pytest.mark.parametrize("content", [
    lambda marker: json.dumps({"inventory": {"$obj": ["_RunsCode", {"marker": str(marker)}]}}),
    lambda marker: pickle.dumps(_RunsCode(marker)).decode("latin-1"),
    lambda marker: json.dumps({"inventory": None, "__class__": "x"}),
])
def test_a_crafted_saved_audit_is_refused_and_runs_nothing(tmp_path, content):
    folder = tmp_path / "cache"
    folder.mkdir()
    marker = tmp_path / "ran"
    (folder / CACHE_FILE).write_text(content(marker), encoding="utf-8")
    with pytest.raises(ValueError):
        Audit.load(folder)
    with pytest.raises(ValueError):
        open_audit(audit_cache=str(folder))
    assert open_audit(str(RICH), audit_cache=str(folder)).inventory is not None   # a miss: audits afresh
    assert not marker.exists()


def test_history_analytics_computed_in_the_audit_are_reused_after_a_reload(tmp_path, monkeypatch):
    """An analytic computed once on the history (History.analytics_memo) travels with the saved
    audit: a notebook reading the reloaded audit gets the same frame without querying again."""
    from auditkit.analytics import concurrency
    from auditkit.demo.workspace import demo_for_notebooks
    from auditkit.readers.history.core import History

    repo, history, mage_data = demo_for_notebooks()
    audit = run_audit(repo, history=history, mage_data=mage_data)
    peaks = concurrency.observed_peaks(audit.history, level="block")
    assert len(peaks) and audit.history.analytics_memo
    back = Audit.load(audit.save(tmp_path / "saved"))
    assert set(back.history.analytics_memo) == set(audit.history.analytics_memo)

    def no_query(*_args, **_kwargs):
        raise AssertionError("the block pass ran again")

    monkeypatch.setattr(History, "block_pass", no_query)
    again = concurrency.observed_peaks(back.history, level="block")
    pd.testing.assert_frame_equal(again, peaks)
    again.loc[0, "peak"] = -1           # callers get a copy: the memo is not changed
    assert concurrency.observed_peaks(back.history, level="block").loc[0, "peak"] == peaks.loc[0, "peak"]
