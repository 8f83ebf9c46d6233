"""Every registered rule has a recorded case that fires and one that stays quiet, and both hold.

The cases live with their categories and are imported here, never copied:
tests/test_rules_cases.py (BLK/DOC/TST/PIP), test_rules_deployment.py, test_rules_observability.py,
test_rules_performance.py, test_rules_reliability.py and test_rules_operations.py (rows),
tests/rule_cases_history.py (history rules on the demo history), tests/rule_cases_drift.py (drift
rules from drift frames), tests/rule_cases_operations.py
(trigger drift and backfills on hand-built history DBs), tests/rule_cases_oprules.py (issue 18's
schedule and history-upkeep rules on hand-built DBs), tests/rule_cases_security.py (security
scans built from rows), tests/test_queue_capacity.py (deployment limits read from a written repo)
and the expired-waiver case below. The meta-test runs each case and counts
a rule as covered only by cases whose outcome it observed.
"""
from __future__ import annotations

import datetime as dt

import auditkit.rules  # noqa: F401  (registers the catalogue)
from auditkit.config import parse_config
from auditkit.engine.base import REGISTRY, RuleContext
from auditkit.engine.run import EXPIRED_WAIVER_RULE, run_rules
from inventory_factory import make_inventory
from rules_runtime_support import findings, run_case

import rule_cases_drift
import rule_cases_history
import rule_cases_operations
import rule_cases_oprules
import rule_cases_security
import test_queue_capacity
import test_rules_cases
import test_rules_deployment
import test_rules_observability
import test_rules_operations
import test_rules_performance
import test_rules_reliability

AT_LEAST_ONE = rule_cases_history.AT_LEAST_ONE
TODAY = dt.date(2026, 6, 1)


def _rows_cases(module, cases) -> list[tuple]:
    """(rule_id, frames, thresholds, expected) row cases -> (rule_id, label, run, expected)."""
    return [(c[0], f"{module}#{i}", (lambda _tmp, c=c: run_case(c[0], c[1], c[2])), c[3])
            for i, c in enumerate(cases)]


def _git_cases(cases) -> list[tuple]:
    return [(c[0], f"test_rules_deployment.GIT_CASES#{i}",
             (lambda _tmp, c=c: findings(c[0], git=c[1], thresholds=c[2],
                                         security=test_rules_deployment.DEPLOYED)), c[3])
            for i, c in enumerate(cases)]


def _expired_waiver(expires: str):
    """``run(tmp_path)``: MAGE-CFG-001 findings of an engine run with one waiver expiring then.

    The rule's ``check()`` yields nothing by design: the engine builds its findings from the
    configuration, so the case runs the engine (with no other rule)."""
    def run(_tmp_path=None):
        cfg = parse_config({"waivers": [{"rule": "MAGE-BLK-001", "reason": "rewrite", "expires": expires}]})
        result = run_rules(RuleContext(inventory=make_inventory()), cfg, today=TODAY, rules=[])
        assert list(REGISTRY[EXPIRED_WAIVER_RULE](RuleContext()).check()) == []
        return [f for f in result if f.rule_id == EXPIRED_WAIVER_RULE]
    return run


CONFIGURATION_CASES = [
    (EXPIRED_WAIVER_RULE, "waiver expired yesterday", _expired_waiver("2026-05-31"), 1),
    (EXPIRED_WAIVER_RULE, "waiver expires today", _expired_waiver(TODAY.isoformat()), 0),
]


def all_cases() -> list[tuple]:
    """Every recorded case as (rule_id, label, run(tmp_path) -> findings, expected)."""
    return (
        [(c[0], f"test_rules_cases#{i}", (lambda _tmp, c=c: test_rules_cases._run(c[0], c[1], c[2])), c[3])
         for i, c in enumerate(test_rules_cases.CASES)]
        + _rows_cases("test_rules_deployment.INVENTORY_CASES", test_rules_deployment.INVENTORY_CASES)
        + _git_cases(test_rules_deployment.GIT_CASES)
        + _rows_cases("test_rules_observability", test_rules_observability.CASES)
        + _rows_cases("test_rules_performance", test_rules_performance.CASES)
        + _rows_cases("test_rules_reliability", test_rules_reliability.CASES)
        + _rows_cases("test_rules_operations", test_rules_operations.CASES)
        + rule_cases_history.CASES
        + rule_cases_operations.CASES
        + rule_cases_oprules.CASES
        + rule_cases_security.CASES
        + rule_cases_drift.CASES
        + test_queue_capacity.CASES
        + CONFIGURATION_CASES
    )


def _outcome_holds(found: list, expected) -> bool:
    return len(found) >= 1 if expected == AT_LEAST_ONE else len(found) == expected


def test_every_registered_rule_has_a_firing_and_a_quiet_case_that_hold(tmp_path):
    fires, quiet, wrong = set(), set(), []
    for n, (rule_id, label, run, expected) in enumerate(all_cases()):
        case_dir = tmp_path / f"case{n}"
        case_dir.mkdir()
        try:
            found = run(case_dir)
        except Exception as exc:  # noqa: BLE001 - report every broken case, not only the first
            wrong.append(f"{rule_id} [{label}]: raised {type(exc).__name__}: {exc}")
            continue
        if not _outcome_holds(found, expected):
            wrong.append(f"{rule_id} [{label}]: expected {expected} findings, got {len(found)}")
            continue
        if any(f.rule_id != rule_id or f.category != REGISTRY[rule_id].category or not f.message for f in found):
            wrong.append(f"{rule_id} [{label}]: a finding has another rule id, category or no message")
            continue
        (fires if found else quiet).add(rule_id)
    assert wrong == []
    registered = set(REGISTRY)
    assert len(registered) >= 110           # the catalogue of the rule-catalogue issue
    assert sorted((fires | quiet) - registered) == []     # no case for a rule that does not exist
    assert sorted(registered - fires) == [], "rules without a firing case"
    assert sorted(registered - quiet) == [], "rules without a quiet case"
