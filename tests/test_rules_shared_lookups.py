"""The per-run shared rows and lookups of the rules never serve stale data."""
from __future__ import annotations

from inventory_factory import make_inventory

from auditkit.engine import frames as util
from auditkit.engine.base import REGISTRY, RuleContext, all_rules
from auditkit.engine.run import run_rules

list(all_rules())
RULE = REGISTRY["MAGE-BLK-001"]


def test_rows_are_built_once_per_scope_and_frame():
    frame = make_inventory(block_files=[{"path": "proj/data_loaders/load_x.py", "lines_code": 600}]).block_files
    assert util.records(frame) is not util.records(frame)          # outside a scope: rebuilt
    with util.shared_lookups():
        rows = util.records(frame)
        assert util.records(frame) is rows                          # inside: built once
        assert util.records(frame.copy()) is not rows               # another frame: its own rows
        with util.shared_lookups():
            assert util.records(frame) is not rows                  # a nested scope starts empty
        assert util.records(frame) is rows
    assert util.records(frame) is not rows                          # scope closed: dropped


def test_a_later_run_sees_edits_and_new_inventories():
    inv = make_inventory(block_files=[{"path": "proj/data_loaders/load_x.py", "lines_code": 600}])
    assert [f.rule_id for f in run_rules(RuleContext(inventory=inv), rules=[RULE])] == ["MAGE-BLK-001"]
    inv.block_files.loc[0, "lines_code"] = 100                      # same frame, edited in place
    assert list(run_rules(RuleContext(inventory=inv), rules=[RULE])) == []
    other = make_inventory(block_files=[{"path": "proj/data_loaders/load_y.py", "lines_code": 900}])
    assert [f.path for f in run_rules(RuleContext(inventory=other), rules=[RULE])] == ["proj/data_loaders/load_y.py"]
