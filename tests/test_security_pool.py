"""The parallel secret scan gives exactly the in-process result."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from auditkit.readers.repo import read_repo
from auditkit.readers.security import generic_pool, scan_security

DEMO = Path(__file__).resolve().parents[1] / "auditkit" / "demo" / "project"


def _frames(scan) -> dict[str, pd.DataFrame]:
    return {name: getattr(scan, name).sort_values(list(getattr(scan, name).columns)[:3]).reset_index(drop=True)
            for name in ("secrets", "code_risks", "exposed_files")}


def test_worker_pool_matches_in_process_scan(monkeypatch):
    inventory = read_repo(DEMO)
    alone = _frames(scan_security(inventory))
    assert len(alone["secrets"]) > 0
    monkeypatch.setattr(generic_pool, "PARALLEL_MIN_FILES", 0)    # force the workers on the demo
    monkeypatch.setattr(generic_pool, "_CHUNK", 3)
    started = []
    original_init = generic_pool.GenericScanPool.__init__

    def spy_init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        started.append(self.pool is not None)

    monkeypatch.setattr(generic_pool.GenericScanPool, "__init__", spy_init)
    pooled = _frames(scan_security(inventory))
    assert started == [True], "the worker pool did not start"
    for name, frame in alone.items():
        pd.testing.assert_frame_equal(pooled[name], frame, check_dtype=False)
