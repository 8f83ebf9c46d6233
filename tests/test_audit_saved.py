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
    scan, scan_back = audit.extras["security"], back.extras["security"]
    pd.testing.assert_frame_equal(scan_back.deployments, scan.deployments)
    assert list(back.extras["rule_run"]) == list(audit.extras["rule_run"])
    assert back.extras["rule_run"].status() == audit.extras["rule_run"].status()
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
