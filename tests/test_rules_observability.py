"""Observability rules (MAGE-OBS-*): pass/fail cases as data."""
from __future__ import annotations

import pytest

from auditkit.engine.base import REGISTRY
from rules_runtime_support import ids_with_both_outcomes, run_case

LOADER = "proj/data_loaders/load_orders.py"
SLACK = {"slack_config": {"webhook_url": "{{ env_var('SLACK_WEBHOOK_URL') }}"}}


def bf(**kw):
    return {"path": LOADER, "block_type": "data_loader", **kw}


CASES = [
    ("MAGE-OBS-001", {"block_files": [bf(facts={"print_calls": [3, 9]})]}, None, 1),
    ("MAGE-OBS-001", {"block_files": [bf(facts={"print_calls": []})]}, None, 0),
    ("MAGE-OBS-002", {"block_files": [bf(lines_code=120, facts={"uses_logging": False, "print_calls": []})]}, None, 1),
    ("MAGE-OBS-002", {"block_files": [bf(lines_code=120, facts={"uses_logging": True, "print_calls": []})]}, None, 0),
    ("MAGE-OBS-002", {"block_files": [bf(lines_code=20, facts={"uses_logging": False, "print_calls": []})]}, None, 0),
    ("MAGE-OBS-003", {"pipelines": [{}], "triggers": [{}]}, None, 1),
    ("MAGE-OBS-003", {"projects": [{"notification_config": SLACK}], "triggers": [{}]}, None, 0),
    ("MAGE-OBS-003", {"pipelines": [{"notification_config": SLACK}], "triggers": [{}]}, None, 0),
    ("MAGE-OBS-003", {"triggers": [{"status": "inactive"}]}, None, 0),
    ("MAGE-OBS-004", {"projects": [{"notification_config": {**SLACK, "alert_on": ["trigger_success"]}}],
                      "pipelines": [{}], "triggers": [{}]}, None, 1),
    ("MAGE-OBS-004", {"projects": [{"notification_config": SLACK}], "triggers": [{}]}, None, 0),  # default alert_on
    ("MAGE-OBS-005", {"triggers": [{"schedule_interval": "@daily", "sla": None}]}, None, 1),
    ("MAGE-OBS-005", {"triggers": [{"schedule_interval": "@daily", "sla": 3600}]}, None, 0),
    ("MAGE-OBS-005", {"triggers": [{"schedule_type": "api", "schedule_interval": None}]}, None, 0),
    ("MAGE-OBS-006", {"projects": [{"notification_config": {**SLACK, "alert_on": ["trigger_failure"]}}],
                      "pipelines": [{}], "triggers": [{"sla": 3600}]}, None, 1),
    ("MAGE-OBS-006", {"projects": [{"notification_config": SLACK}], "triggers": [{"sla": 3600}]}, None, 0),
]


@pytest.mark.parametrize("rule_id,frames,thresholds,expected", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_cases(rule_id, frames, thresholds, expected):
    assert len(run_case(rule_id, frames, thresholds)) == expected


def test_pipeline_config_overrides_project_alert_on():
    frames = {"projects": [{"notification_config": {**SLACK, "alert_on": ["trigger_success"]}}],
              "pipelines": [{"notification_config": {"alert_on": ["trigger_failure"]}}], "triggers": [{}]}
    assert run_case("MAGE-OBS-004", frames, None) == []
    frames["pipelines"] = [{}]
    assert len(run_case("MAGE-OBS-004", frames, None)) == 1


def test_every_rule_has_both_outcomes():
    fires, quiet = ids_with_both_outcomes(CASES)
    mine = {r for r in REGISTRY if r.startswith("MAGE-OBS-")}
    assert mine <= fires and mine <= quiet
