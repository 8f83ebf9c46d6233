"""Performance rules (MAGE-PRF-*): pass/fail cases as data, the observed-concurrency rule on
the demo history."""
from __future__ import annotations

import pytest

from auditkit.engine.base import REGISTRY
from rule_cases_recall import PERFORMANCE_CASES
from rules_runtime_support import demo_inputs, findings, ids_with_both_outcomes, run_case

LOADER = "proj/data_loaders/load_orders.py"


def bf(path=LOADER, **kw):
    return {"path": path, "block_type": "data_loader", **kw}


def small_blocks(n, lines):
    """n blocks of one pipeline, each with a file of ``lines`` code lines."""
    return {"blocks": [{"block": f"load_{i}"} for i in range(n)],
            "block_files": [bf(f"proj/data_loaders/load_{i}.py", lines_code=lines) for i in range(n)]}


CASES = [
    ("MAGE-PRF-001", {"block_files": [bf(facts={"unchunked_reads": [[10, "pd.read_csv"]]})]}, None, 1),
    ("MAGE-PRF-001", {"block_files": [bf(facts={"unchunked_reads": []})]}, None, 0),
    ("MAGE-PRF-002", {"block_files": [bf(facts={"connections_opened": [4], "closes_connections": False})]}, None, 1),
    ("MAGE-PRF-002", {"block_files": [bf(facts={"connections_opened": [4], "closes_connections": True})]}, None, 0),
    ("MAGE-PRF-003", {"block_files": [bf(facts={"raw_connections": [[4, "psycopg2.connect"]], "uses_pool": False})]}, None, 1),
    ("MAGE-PRF-003", {"block_files": [bf(facts={"raw_connections": [[4, "create_engine"]], "uses_pool": True})]}, None, 0),
    ("MAGE-PRF-004", {"pipelines": [{"executor_type": "k8s", "n_blocks": 3}]}, None, 1),
    ("MAGE-PRF-004", {"pipelines": [{"executor_type": None, "n_blocks": 45}]}, None, 1),
    ("MAGE-PRF-004", {"pipelines": [{"executor_type": "k8s", "n_blocks": 20},
                                    {"pipeline": "b_x_daily", "executor_type": "local_python", "n_blocks": 3}]}, None, 0),
    ("MAGE-PRF-005", {"pipelines": [{"n_blocks": 12}], **small_blocks(12, 30)}, None, 1),
    ("MAGE-PRF-005", {"pipelines": [{"n_blocks": 12, "run_pipeline_in_one_process": True}], **small_blocks(12, 30)}, None, 0),
    ("MAGE-PRF-005", {"pipelines": [{"n_blocks": 12}], **small_blocks(12, 150)}, None, 0),
    ("MAGE-PRF-005", {"pipelines": [{"n_blocks": 6}], **small_blocks(6, 30)}, None, 0),
    ("MAGE-PRF-006", {"triggers": [{"schedule_interval": "*/15 * * * *"}]}, None, 1),
    ("MAGE-PRF-006", {"triggers": [{"schedule_interval": "@hourly", "settings": {"skip_if_previous_running": True}}]}, None, 0),
    ("MAGE-PRF-006", {"pipelines": [{"concurrency_config": {"pipeline_run_limit": 1}}],
                      "triggers": [{"schedule_interval": "@hourly"}]}, None, 0),
    ("MAGE-PRF-006", {"triggers": [{"schedule_interval": "@daily"}]}, None, 0),
    ("MAGE-PRF-008", {"triggers": [{"status": "active"}]}, None, 1),
    ("MAGE-PRF-008", {"projects": [{"queue_config": {"concurrency": 5}}], "triggers": [{"status": "active"}]}, None, 0),
    ("MAGE-PRF-008", {"triggers": [{"status": "inactive"}]}, None, 0),
]
CASES += PERFORMANCE_CASES     # rules of the recall issue (tests/rule_cases_recall.py)


@pytest.mark.parametrize("rule_id,frames,thresholds,expected", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_inventory_cases(rule_id, frames, thresholds, expected):
    assert len(run_case(rule_id, frames, thresholds)) == expected


def test_every_inventory_rule_has_both_outcomes():
    fires, quiet = ids_with_both_outcomes(CASES)
    # PRF-007 needs history, PRF-010 the deployment scan: their cases run on real repos
    # (above and tests/test_queue_capacity.py).
    mine = {r for r in REGISTRY if r.startswith("MAGE-PRF-")} - {"MAGE-PRF-007", "MAGE-PRF-010"}
    assert mine <= fires and mine <= quiet


@pytest.mark.slow
def test_observed_concurrency_over_limit_on_the_demo():
    inv, history = demo_inputs()
    over = findings("MAGE-PRF-007", inventory=inv, history=history)
    assert over, "the demo history runs pipelines with pipeline_run_limit 1 concurrently"
    # Without any configured limit there is nothing to exceed.
    unlimited = type(inv)(**{**inv.__dict__})
    unlimited.pipelines = inv.pipelines.assign(concurrency_config=None)
    unlimited.triggers = inv.triggers.assign(settings=None)
    assert findings("MAGE-PRF-007", inventory=unlimited, history=None) == []
    assert all(f.pipeline for f in over)
