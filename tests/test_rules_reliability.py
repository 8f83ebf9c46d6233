"""Reliability rules (MAGE-REL-*): pass/fail cases as data, history rules on the demo history."""
from __future__ import annotations

import copy

import pytest

from auditkit.engine.base import REGISTRY
from rule_cases_recall import RELIABILITY_CASES
from rules_runtime_support import demo_inputs, findings, ids_with_both_outcomes, run_case

LOADER = "proj/data_loaders/load_orders.py"
EXPORTER = "proj/data_exporters/export_orders.py"


def bf(path=LOADER, **kw):
    block_type = "data_exporter" if "data_exporters" in path else "data_loader"
    return {"path": path, "block_type": block_type, **kw}


# Default block files of load_orders / export_orders that call a database.
REMOTE_FILES = [bf(facts={"external_io": [[9, "Postgres.with_config"]]}),
                bf(EXPORTER, facts={"external_io": [[7, "Postgres.with_config"]]})]
SCHEDULED = [{"name": "nightly"}]        # the default pipeline runs on an active daily trigger

CASES = [
    ("MAGE-REL-001", {"block_files": [bf(facts={"swallowed_exceptions": [12, 30]})]}, None, 1),
    ("MAGE-REL-001", {"block_files": [bf(facts={"swallowed_exceptions": []})]}, None, 0),
    ("MAGE-REL-002", {"blocks": [{"block": "load_orders", "block_type": "data_loader"},
                                 {"block": "export_orders", "block_type": "data_exporter"}],
                      "block_files": REMOTE_FILES, "triggers": SCHEDULED}, None, 1),
    ("MAGE-REL-002", {"projects": [{"retry_config": {"retries": 2}}],
                      "blocks": [{"block": "load_orders", "block_type": "data_loader"}], "block_files": REMOTE_FILES}, None, 0),
    ("MAGE-REL-002", {"blocks": [{"block": "clean", "block_type": "transformer"}]}, None, 0),
    # a loader reading a local file, or a block that only starts another pipeline, meets no network
    ("MAGE-REL-002", {"blocks": [{"block": "load_orders", "block_type": "data_loader"}],
                      "block_files": [bf(facts={"loads_data": True, "external_io": []})]}, None, 0),
    # a custom block calling an API is what retries protect; a SQL block runs against its database
    ("MAGE-REL-002", {"blocks": [{"block": "call_api", "block_type": "custom"},
                                 {"block": "daily_sql", "block_type": "transformer", "language": "sql"}],
                      "block_files": [bf("proj/custom/call_api.py", facts={"external_io": [[3, "requests.get"]]})],
                      "triggers": SCHEDULED}, None, 1),

    # a pipeline whose block file is gone (MAGE-BLK-009) or that is Mage's untouched example
    ("MAGE-REL-002", {"pipelines": [{"pipeline": "broken_daily"}, {"pipeline": "example_pipeline"}],
                      "blocks": [{"pipeline": "broken_daily", "block": "load_orders", "file_exists": False},
                                 {"pipeline": "example_pipeline", "block": "load_titanic"}],
                      "block_files": [{"path": "proj/data_loaders/load_titanic.py", "template": True}]}, None, 0),
    # a poller (every trigger fires every 5 minutes) is retried by its next run; daily plus 5-minute is not one
    ("MAGE-REL-002", {"blocks": [{"block": "load_orders", "block_type": "data_loader"}], "block_files": REMOTE_FILES,
                      "triggers": [{"name": "poll", "schedule_interval": "*/5 * * * *"}]}, None, 0),
    ("MAGE-REL-002", {"blocks": [{"block": "load_orders", "block_type": "data_loader"}], "block_files": REMOTE_FILES,
                      "triggers": [{"name": "poll", "schedule_interval": "*/5 * * * *"}, {"name": "nightly"}]},
     None, 1),
    ("MAGE-REL-002", {"blocks": [{"block": "load_orders", "block_type": "data_loader"}], "block_files": REMOTE_FILES,
                      "triggers": [{"name": "poll", "schedule_interval": "*/5 * * * *"}]}, {"poll_minutes": 0}, 1),
    ("MAGE-REL-002", {"pipelines": [{"pipeline_type": "streaming"}], "blocks": [{"block": "load_orders"}],
                      "block_files": REMOTE_FILES}, None, 0),
    ("MAGE-REL-002", {"projects": [{"retry_config": {"retries": 1}}],
                      "blocks": [{"block": "load_orders", "retry_config": None}], "block_files": REMOTE_FILES,
                      "triggers": SCHEDULED}, {"min_retries": 3}, 1),
    ("MAGE-REL-003", {"projects": [{"retry_config": {"delay": 30}}]}, None, 1),
    ("MAGE-REL-003", {"blocks": [{"block": "load_orders", "retry_config": {"retries": 0}}]}, None, 1),
    ("MAGE-REL-003", {"projects": [{"retry_config": {"retries": 3}}],
                      "blocks": [{"block": "load_orders", "retry_config": {"retries": 1}}]}, None, 0),
    ("MAGE-REL-004", {"block_files": [bf(EXPORTER, facts={"export_modes": [[5, "append"]]})]}, None, 1),
    ("MAGE-REL-004", {"block_files": [bf(EXPORTER, facts={"export_modes": [[5, "insert"], [3, "delete"]]})]}, None, 0),
    ("MAGE-REL-004", {"block_files": [bf(EXPORTER, facts={"export_modes": [[5, "upsert"]]})]}, None, 0),
    ("MAGE-REL-004", {"blocks": [{"block": "export_sql", "language": "sql",
                                  "configuration": {"export_write_policy": "append"}}]}, None, 1),
    ("MAGE-REL-004", {"blocks": [{"block": "export_sql", "language": "sql",
                                  "configuration": {"export_write_policy": "replace"}}]}, None, 0),
    # Mage reads export_write_policy of SQL blocks only
    ("MAGE-REL-004", {"blocks": [{"block": "export_py", "configuration": {"export_write_policy": "append"}}]}, None, 0),
    # dbt models are built by dbt; a SQL block that selects nothing (a DROP) exports nothing
    ("MAGE-REL-004", {"blocks": [{"block": "dbt/shop/models/orders", "block_type": "dbt",
                                  "configuration": {"export_write_policy": "append"}},
                                 {"block": "drop_staging", "block_type": "data_exporter", "language": "sql",
                                  "path": "proj/data_exporters/drop_staging.sql",
                                  "configuration": {"export_write_policy": "append"}}],
                      "block_files": [bf("proj/data_exporters/drop_staging.sql", language="sql",
                                         facts={"loads_data": False, "exports_data": False})]}, None, 0),
    # a table dropped and recreated before the inserts is rebuilt on every run
    ("MAGE-REL-004", {"block_files": [bf(EXPORTER, facts={"export_modes": [[9, "insert"], [4, "replace"]]})]}, None, 0),
    ("MAGE-REL-005", {"block_files": [bf(lines_code=250, facts={"loops": 4, "has_checkpointing": False})]}, None, 1),
    ("MAGE-REL-005", {"block_files": [bf(lines_code=250, facts={"loops": 4, "has_checkpointing": True})]}, None, 0),
    ("MAGE-REL-005", {"block_files": [bf(lines_code=120, facts={"loops": 9, "has_checkpointing": False})]}, None, 0),
    ("MAGE-REL-009", {"pipelines": [{"retry_config": {"retries": 3}}]}, None, 1),
    ("MAGE-REL-009", {"pipelines": [{"pipeline_type": "streaming", "retry_config": {"retries": 3}}]}, None, 0),
]
CASES += RELIABILITY_CASES     # rules of the recall issue (tests/rule_cases_recall.py)


@pytest.mark.parametrize("rule_id,frames,thresholds,expected", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_inventory_cases(rule_id, frames, thresholds, expected):
    assert len(run_case(rule_id, frames, thresholds)) == expected


def test_messages_point_at_the_place():
    [finding] = run_case("MAGE-REL-001", {"block_files": [bf(facts={"swallowed_exceptions": [30, 12]})]}, None)
    assert finding.line == 12 and finding.path == LOADER and finding.severity == "high"
    [finding] = run_case("MAGE-REL-002", {"blocks": [{"block": "load_orders", "block_type": "data_loader"}],
                                          "block_files": REMOTE_FILES, "triggers": SCHEDULED}, None)
    assert finding.pipeline == "sales_revenue_daily" and "load_orders" in finding.evidence


# --- history rules on the generated demo history --------------------------------------------

HISTORY_RULES = ["MAGE-REL-006", "MAGE-REL-007", "MAGE-REL-008"]


@pytest.mark.slow
def test_history_rules_fire_on_the_demo_and_respect_thresholds():
    inv, history = demo_inputs()
    # The demo project retries twice everywhere, so failures-without-retry needs it removed.
    no_retry = copy.copy(inv)
    no_retry.projects = inv.projects.assign(retry_config=None)
    assert findings("MAGE-REL-007", inventory=inv, history=history) == []
    assert len(findings("MAGE-REL-007", inventory=no_retry, history=history)) >= 1
    assert len(findings("MAGE-REL-006", inventory=inv, history=history)) >= 1
    assert findings("MAGE-REL-006", inventory=inv, history=history, thresholds={"min_duration_s": 10**9}) == []
    flaky = findings("MAGE-REL-008", inventory=inv, history=history)
    assert flaky and all(f.block for f in flaky)
    assert findings("MAGE-REL-008", inventory=inv, history=history, thresholds={"min_retries": 10**6}) == []


@pytest.mark.parametrize("rule_id", HISTORY_RULES)
def test_history_rules_are_silent_without_history(rule_id):
    assert REGISTRY[rule_id].needs >= {"history"}
    assert findings(rule_id, history=None) == []


def test_every_inventory_rule_has_both_outcomes():
    fires, quiet = ids_with_both_outcomes(CASES)
    mine = {r for r in REGISTRY if r.startswith("MAGE-REL-")} - set(HISTORY_RULES)
    assert mine <= fires and mine <= quiet


def test_missing_retries_are_reported_for_pipelines_that_run_unattended_only():
    """Someone who starts a pipeline by hand sees it fail and reruns it; a scheduled one has
    nobody watching."""
    frames = {"blocks": [{"block": "load_orders", "block_type": "data_loader"}], "block_files": REMOTE_FILES}
    assert run_case("MAGE-REL-002", frames, None) == []
    [scheduled] = run_case("MAGE-REL-002", {**frames, "triggers": SCHEDULED}, None)
    assert scheduled.severity == "medium"
