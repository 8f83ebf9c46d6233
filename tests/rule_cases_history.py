"""Firing and quiet cases, on the generated demo history, of the history rules whose existing
tests state them inline rather than as data: MAGE-REL-006/007/008 and MAGE-PRF-007 (see
tests/test_rules_reliability.py and tests/test_rules_performance.py for why they fire there),
plus the operations rules of ``HISTORY_CASES`` in tests/test_rules_operations.py. MAGE-PRF-007
also has a pair on a hand-built history (see ``history_case`` in tests/rule_cases_operations.py).

``CASES``: (rule_id, label, run(tmp_path) -> findings, expected) where ``expected`` is a number
of findings or ``AT_LEAST_ONE`` (the demo's exact counts depend on its generated history).
"""
from __future__ import annotations

import copy

from rule_cases_operations import history_case
from rules_runtime_support import demo_inputs, findings
from test_rules_operations import HISTORY_CASES as OPS_HISTORY_CASES

AT_LEAST_ONE = ">=1"


def on_demo(rule_id: str, thresholds: dict | None = None, patch=None):
    """``run(tmp_path)``: the rule on the demo inventory (optionally ``patch``-ed) and history."""
    def run(_tmp_path=None):
        inventory, history = demo_inputs()
        if patch is not None:
            inventory = patch(copy.copy(inventory))
        return findings(rule_id, inventory=inventory, history=history,
                        thresholds=thresholds)
    return run


def _without_project_retries(inventory):
    # The demo retries twice everywhere; failures-without-retry needs the retries removed.
    inventory.projects = inventory.projects.assign(retry_config=None)
    return inventory


def overlapping_runs(n: int) -> list[tuple[str, dict]]:
    """``n`` COMPLETED runs of the default pipeline, all in flight 01:00-01:30 (starts 1 min apart)."""
    return [("pipeline_run", {"id": i, "pipeline_uuid": "sales_revenue_daily", "status": "COMPLETED",
                              "execution_date": f"2026-03-01 01:0{i}:00.000000", "created_at": f"2026-03-01 01:0{i}:00",
                              "started_at": f"2026-03-01 01:0{i}:00.000000",
                              "completed_at": "2026-03-01 01:30:00.000000"}) for i in range(n)]


RUN_LIMIT_2 = ({"concurrency_config": {"pipeline_run_limit": 2}},)


CASES = [
    ("MAGE-REL-006", "demo defaults", on_demo("MAGE-REL-006"), AT_LEAST_ONE),
    ("MAGE-REL-006", "looser threshold", on_demo("MAGE-REL-006", {"min_duration_s": 10**9}), 0),
    ("MAGE-REL-007", "retries removed", on_demo("MAGE-REL-007", patch=_without_project_retries), AT_LEAST_ONE),
    ("MAGE-REL-007", "demo retries everywhere", on_demo("MAGE-REL-007"), 0),
    ("MAGE-REL-008", "demo defaults", on_demo("MAGE-REL-008"), AT_LEAST_ONE),
    ("MAGE-REL-008", "looser threshold", on_demo("MAGE-REL-008", {"min_retries": 10**6}), 0),
    ("MAGE-PRF-007", "demo run limits", on_demo("MAGE-PRF-007"), AT_LEAST_ONE),
    # The demo DB's triggers carry run limits too, so the quiet case uses a hand-built history.
    ("MAGE-PRF-007", "3 runs at once, limit 2", history_case("MAGE-PRF-007", overlapping_runs(3), pipelines=RUN_LIMIT_2), 1),
    ("MAGE-PRF-007", "2 runs at once, limit 2", history_case("MAGE-PRF-007", overlapping_runs(2), pipelines=RUN_LIMIT_2), 0),
]
for _rule_id, (_loud, _quiet) in sorted(OPS_HISTORY_CASES.items()):
    CASES.append((_rule_id, f"demo, thresholds {_loud}", on_demo(_rule_id, _loud), AT_LEAST_ONE))
    if _quiet is not None:
        CASES.append((_rule_id, f"demo, thresholds {_quiet}", on_demo(_rule_id, _quiet), 0))

# MAGE-PRF-009 on a hand-built history: a run limit far above the runs ever seen at once.
RUN_LIMIT_10 = ({"concurrency_config": {"pipeline_run_limit": 10}},)
CASES += [
    ("MAGE-PRF-009", "limit 10, peak 2", history_case("MAGE-PRF-009", overlapping_runs(2), pipelines=RUN_LIMIT_10), 1),
    ("MAGE-PRF-009", "limit 2, peak 2", history_case("MAGE-PRF-009", overlapping_runs(2), pipelines=RUN_LIMIT_2), 0),
]
