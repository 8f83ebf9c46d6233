"""Pass/fail cases of the blocks, documentation, testing and pipelines rules, as data.

Each case: rule id, the inventory rows that matter (everything else is a healthy default from
tests/inventory_factory.py), optional thresholds, and the number of findings expected.
Every rule has at least one case that fires and one that does not (checked below).
"""
from __future__ import annotations

import pytest

from auditkit.engine.base import REGISTRY, RuleContext
from inventory_factory import make_inventory
from rule_cases_recall import CASES as RECALL_CASES

LOADER = "proj/data_loaders/load_orders.py"
TRANSFORMER = "proj/transformers/transform_orders.py"
EXPORTER = "proj/data_exporters/export_orders.py"


def bf(path=LOADER, **kw):
    block_type = kw.pop("block_type", None) or {"data_loaders": "data_loader", "transformers": "transformer",
                                                "data_exporters": "data_exporter", "custom": "custom",
                                                "scratchpads": "scratchpad", "sensors": "sensor"}[path.split("/")[1]]
    return {"path": path, "block_type": block_type, **kw}


def pl(pipeline="sales_revenue_daily", **kw):
    return {"pipeline": pipeline, **kw}


def _chain(kinds: list[str]) -> dict:
    """Blocks and edges of a straight chain of blocks of the given kinds (dbt or not)."""
    names = [f"step_{i}" for i in range(len(kinds))]
    blocks = [{"block": n, "block_type": "dbt" if k == "dbt" else "transformer"} for n, k in zip(names, kinds)]
    edges = [{"upstream": a, "downstream": b} for a, b in zip(names, names[1:])]
    return {"blocks": blocks, "edges": edges}


CASES = [
    # --- blocks ---
    ("MAGE-BLK-001", {"block_files": [bf(lines_code=501)]}, None, 1),
    ("MAGE-BLK-001", {"block_files": [bf(lines_code=500)]}, None, 0),
    ("MAGE-BLK-001", {"block_files": [bf(lines_code=450)]}, {"max_lines": 400}, 1),
    ("MAGE-BLK-001", {"block_files": [bf(lines_code=900, language="markdown")]}, None, 0),
    ("MAGE-BLK-001", {"block_files": [bf(lines_code=900, skipped="too large to read")]}, None, 0),
    ("MAGE-BLK-002", {"block_files": [bf(lines_code=201)]}, None, 1),
    ("MAGE-BLK-002", {"block_files": [bf(lines_code=200)]}, None, 0),
    ("MAGE-BLK-002", {"block_files": [bf(lines_code=501)]}, None, 0),       # BLK-001's job
    ("MAGE-BLK-003", {"block_files": [bf(lines_code=2)]}, None, 1),
    ("MAGE-BLK-003", {"block_files": [bf(lines_code=5)]}, None, 0),
    ("MAGE-BLK-003", {"block_files": [bf(lines_code=None)]}, None, 0),      # unknown size
    ("MAGE-BLK-004", {"block_files": [bf(TRANSFORMER, facts={"loads_data": True, "exports_data": True,
                                                              "external_io": [[3, "psycopg2.connect"]]})]}, None, 1),
    ("MAGE-BLK-004", {"block_files": [bf(TRANSFORMER, facts={"loads_data": True, "exports_data": False})]}, None, 0),
    # reading the upstream's local parquet and writing a cleaned copy hands data on
    ("MAGE-BLK-004", {"block_files": [bf(TRANSFORMER, facts={"loads_data": True, "exports_data": True,
                                                              "external_io": []})]}, None, 0),
    ("MAGE-BLK-004", {"block_files": [bf("proj/custom/run_all.py", facts={"loads_data": True, "exports_data": True})]}, None, 0),
    ("MAGE-BLK-004", {"block_files": [bf(TRANSFORMER, facts={"loads_data": True})]}, None, 0),   # unknown
    ("MAGE-BLK-005", {"block_files": [bf(facts={"hardcoded_dates": [[12, "'2024-01-01'"]],
                                               "hardcoded_tables": [[3, "customers"], [9, "orders"]]})]}, None, 1),
    ("MAGE-BLK-005", {"block_files": [bf(facts={"hardcoded_dates": [], "hardcoded_tables": []})]}, None, 0),
    # a loader naming the table it loads is what a loader is for
    ("MAGE-BLK-005", {"block_files": [bf(facts={"hardcoded_tables": [[3, "customers"]]})]}, None, 0),
    ("MAGE-BLK-006", {"block_files": [bf(facts={"connection_strings": [[4, "postgresql"]]})]}, None, 1),
    ("MAGE-BLK-006", {"block_files": [bf(facts={"connection_strings": []})]}, None, 0),
    ("MAGE-BLK-007", {"block_files": [bf("proj/data_loaders/customers.py")]}, None, 1),
    ("MAGE-BLK-007", {"block_files": [bf("proj/data_loaders/api/load_stripe.py", subfolder_depth=1)]}, None, 0),
    ("MAGE-BLK-007", {"block_files": [bf("proj/transformers/clean.py"), bf("proj/data_exporters/to_s3.py")]}, None, 2),
    ("MAGE-BLK-007", {"block_files": [bf("proj/custom/anything.py")]}, None, 0),
    ("MAGE-BLK-007", {"block_files": [bf("proj/data_loaders/fetch_x.py")]}, {"loader_prefixes": ["load_", "fetch_"]}, 0),
    ("MAGE-BLK-008", {"block_files": [bf("proj/data_loaders/a/b/c/load_x.py", subfolder_depth=3)]}, None, 1),
    ("MAGE-BLK-008", {"block_files": [bf("proj/data_loaders/a/b/load_x.py", subfolder_depth=2)]}, None, 0),
    # dbt decides its own models/ layout; an unused file is MAGE-BLK-010's
    ("MAGE-BLK-008", {"block_files": [bf("proj/dbt/shop/models/gold/daily/revenue.sql", block_type="dbt",
                                         language="sql", subfolder_depth=4),
                                      bf("proj/data_loaders/a/b/c/load_x.py", subfolder_depth=3, referenced=False)]},
     None, 0),
    ("MAGE-BLK-009", {"blocks": [{"block": "load_x", "file_exists": False}]}, None, 1),
    ("MAGE-BLK-009", {"blocks": [{"block": "load_x", "file_exists": True}]}, None, 0),
    ("MAGE-BLK-009", {"blocks": [{"block": "rep", "file_exists": False, "path_source": "none"}]}, None, 0),
    ("MAGE-BLK-009", {"blocks": [{"block": "notes", "block_type": "markdown", "language": "markdown",
                                  "file_exists": False}]}, None, 0),
    ("MAGE-BLK-010", {"block_files": [bf(referenced=False)]}, None, 1),
    ("MAGE-BLK-010", {"block_files": [bf(referenced=True), bf("proj/scratchpads/try.py", referenced=False)]}, None, 0),
    ("MAGE-BLK-010", {"block_files": [bf("proj/transformers/fill_in_missing_values.py", referenced=False,
                                         template=True)]}, None, 0),   # MAGE-BLK-013's
    # dashboard charts keep their layout in Mage's data folder, not in any pipeline
    ("MAGE-BLK-010", {"block_files": [bf("proj/charts/completed_pipeline_runs_daily_x.py", block_type="chart",
                                         referenced=False)]}, None, 0),
    ("MAGE-BLK-011", {"block_files": [bf(n_pipelines=6)]}, None, 1),
    ("MAGE-BLK-011", {"block_files": [bf(n_pipelines=5)]}, None, 0),
    ("MAGE-BLK-012", {"block_files": [bf(f"proj/data_loaders/load_{i}.py") for i in range(21)]}, None, 1),
    ("MAGE-BLK-012", {"block_files": [bf(f"proj/data_loaders/load_{i}.py") for i in range(20)]}, None, 0),
    ("MAGE-BLK-013", {"block_files": [bf("proj/data_loaders/load_titanic.py", template=True),
                                      bf("proj/transformers/fill_in_missing_values.py", template=True)],
                      "pipelines": [pl("example_pipeline")],
                      "blocks": [{"pipeline": "example_pipeline", "block": "load_titanic",
                                  "path": "proj/data_loaders/load_titanic.py"}]}, None, 1),
    ("MAGE-BLK-013", {"block_files": [bf()], "pipelines": [pl()], "blocks": [{"path": LOADER}]}, None, 0),
    # --- documentation ---
    ("MAGE-DOC-001", {"block_files": [bf(has_docstring=False, complexity_max=4)]}, None, 1),
    # straight-line code (a fetch and a column map) reads top to bottom
    ("MAGE-DOC-001", {"block_files": [bf(has_docstring=False, lines_code=90, complexity_max=2)]}, None, 0),
    ("MAGE-DOC-001", {"block_files": [bf(has_docstring=False, lines_code=90, complexity_max=2)]},
     {"min_complexity": 2}, 1),
    ("MAGE-DOC-001", {"block_files": [bf(has_docstring=True), bf("proj/transformers/t.sql", language="sql",
                                                                   has_docstring=False)]}, None, 0),
    # a short block's code is its documentation
    ("MAGE-DOC-001", {"block_files": [bf(has_docstring=False, lines_code=25)]}, None, 0),
    ("MAGE-DOC-002", {"pipelines": [pl(description=None), pl("b_x_daily", description="  ")]}, None, 2),
    ("MAGE-DOC-002", {"pipelines": [pl(description="Builds the daily revenue table.")]}, None, 0),
    # --- testing ---
    ("MAGE-TST-001", {"block_files": [bf(n_tests=0), bf(TRANSFORMER, n_tests=0)]}, None, 2),
    ("MAGE-TST-001", {"block_files": [bf(n_tests=1), bf("proj/custom/c.py", n_tests=0),
                                      bf("proj/transformers/t.sql", language="sql", n_tests=0)]}, None, 0),
    # an exporter returns nothing to test; unused files and untouched templates are other rules'
    ("MAGE-TST-001", {"block_files": [bf(EXPORTER, n_tests=0), bf(n_tests=0, referenced=False),
                                      bf(TRANSFORMER, n_tests=0, template=True)]}, None, 0),
    # in a pipeline that is tested elsewhere, the untested block stands out
    ("MAGE-TST-001", {"pipelines": [pl()], "blocks": [{"block": "load_orders", "path": LOADER},
                                                      {"block": "transform_orders", "block_type": "transformer",
                                                       "path": TRANSFORMER}],
                      "block_files": [bf(n_tests=1), bf(TRANSFORMER, n_tests=0)]}, None, 1),
    # a pipeline without any test is MAGE-TST-003's finding; Mage runs no tests in streaming pipelines
    ("MAGE-TST-001", {"pipelines": [pl(), pl("clicks_realtime", pipeline_type="streaming")],
                      "blocks": [{"block": "load_orders", "path": LOADER},
                                 {"pipeline": "clicks_realtime", "block": "transform_orders", "block_type": "transformer",
                                  "path": TRANSFORMER},
                                 {"pipeline": "clicks_realtime", "block": "load_x", "path": "proj/data_loaders/x.py"}],
                      "block_files": [bf(n_tests=0), bf(TRANSFORMER, n_tests=0), bf("proj/data_loaders/x.py", n_tests=1)]},
     None, 0),
    ("MAGE-TST-002", {"block_files": [bf(n_tests=2, facts={"assertions": 0})]}, None, 1),
    ("MAGE-TST-002", {"block_files": [bf(n_tests=1, facts={"assertions": 3}), bf(n_tests=0, facts={"assertions": 0})]}, None, 0),
    ("MAGE-TST-002", {"block_files": [bf(n_tests=1, facts={"assertions": 2})]}, {"min_assertions": 3}, 1),
    ("MAGE-TST-003", {"pipelines": [pl()], "blocks": [{"block": "load_orders", "path": LOADER}],
                      "block_files": [bf(facts={"dq_checks": False, "exports_data": True})]}, None, 1),
    # an analysis or scratch query that writes nothing anywhere: its data reaches nobody
    ("MAGE-TST-003", {"pipelines": [pl()], "blocks": [{"block": "load_orders", "path": LOADER}],
                      "block_files": [bf(facts={"dq_checks": False, "exports_data": False})]}, None, 0),
    ("MAGE-TST-003", {"pipelines": [pl()],
                      "blocks": [{"block": "load_orders", "path": LOADER},
                                 {"block": "transform_orders", "block_type": "transformer", "path": TRANSFORMER}],
                      "block_files": [bf(facts={"dq_checks": False}), bf(TRANSFORMER, facts={"dq_checks": True})]}, None, 0),
    ("MAGE-TST-003", {"pipelines": [pl()], "blocks": [{"block": "load_orders", "path": LOADER}],
                      "block_files": [bf(facts={})]}, None, 0),          # not analysed: unknown
    ("MAGE-TST-003", {"pipelines": [pl(pipeline_type="integration")], "blocks": [{"block": "load_orders", "path": LOADER}],
                      "block_files": [bf(facts={"dq_checks": False})]}, None, 0),
    ("MAGE-TST-003", {"pipelines": [pl(pipeline_type="streaming")], "blocks": [{"block": "load_orders", "path": LOADER}],
                      "block_files": [bf(facts={"dq_checks": False})]}, None, 0),
    ("MAGE-TST-003", {"pipelines": [pl()], "blocks": [{"block": "wait_for_file", "block_type": "sensor",
                                                       "path": "proj/sensors/wait_for_file.py"}],
                      "block_files": [bf("proj/sensors/wait_for_file.py", facts={"dq_checks": False})]}, None, 0),
    # a block with a test suite (several assertions, beyond the template's not-None check)
    ("MAGE-TST-003", {"pipelines": [pl()], "blocks": [{"block": "load_orders", "path": LOADER}],
                      "block_files": [bf(n_tests=1, facts={"dq_checks": False, "exports_data": True,
                                                           "assertions": 3})]}, None, 0),
    ("MAGE-TST-003", {"pipelines": [pl()], "blocks": [{"block": "load_orders", "path": LOADER}],
                      "block_files": [bf(n_tests=1, facts={"dq_checks": False, "exports_data": True,
                                                           "assertions": 2})]}, None, 1),
    ("MAGE-TST-003", {"pipelines": [pl()], "blocks": [{"block": "load_orders", "path": LOADER}],
                      "block_files": [bf(n_tests=1, facts={"dq_checks": False, "exports_data": True,
                                                           "assertions": 2})]}, {"tested_at_assertions": 2}, 0),
    # assertions outside any @test function are not a test suite
    ("MAGE-TST-003", {"pipelines": [pl()], "blocks": [{"block": "load_orders", "path": LOADER}],
                      "block_files": [bf(n_tests=0, facts={"dq_checks": False, "exports_data": True,
                                                           "assertions": 5})]}, None, 1),
    # only SQL blocks: Mage runs @test functions in Python blocks only
    ("MAGE-TST-003", {"pipelines": [pl()], "blocks": [{"block": "export_orders", "block_type": "data_exporter",
                                                       "language": "sql", "path": "proj/data_exporters/export_orders.sql"}],
                      "block_files": [bf("proj/data_exporters/export_orders.sql", language="sql",
                                         facts={"dq_checks": False, "exports_data": True})]}, None, 0),
    # Mage's example pipeline, a broken pipeline and a dbt pipeline (dbt tests guard it)
    ("MAGE-TST-003", {"pipelines": [pl("example_pipeline"), pl("broken_daily"), pl("dbt_daily")],
                      "blocks": [{"pipeline": "example_pipeline", "block": "load_titanic", "path": LOADER},
                                 {"pipeline": "broken_daily", "block": "load_orders", "path": TRANSFORMER,
                                  "file_exists": False},
                                 {"pipeline": "dbt_daily", "block": "load_orders", "path": EXPORTER},
                                 {"pipeline": "dbt_daily", "block": "dbt/shop/models/orders", "block_type": "dbt",
                                  "path": "proj/dbt/shop/models/orders.sql"}],
                      "block_files": [bf(facts={"dq_checks": False}, template=True),
                                      bf(EXPORTER, facts={"dq_checks": False})]}, None, 0),
    # a pipeline that hands its data on to a dbt pipeline (trigger_pipeline): dbt's tests check
    # it; handing on to a pipeline without dbt blocks does not count
    *[("MAGE-TST-003", {"pipelines": [pl(), pl(target)],
                        "blocks": [{"block": "load_orders", "path": LOADER},
                                   {"block": "start_models", "block_type": "data_exporter", "path": EXPORTER},
                                   {"pipeline": target, "block": "dbt/shop/models/orders", "block_type": kind,
                                    "path": "proj/dbt/shop/models/orders.sql"}],
                        "block_files": [bf(facts={"dq_checks": False, "exports_data": True}),
                                        bf(EXPORTER, facts={"dq_checks": False,
                                                            "triggered_pipelines": [[8, "orders_models"]]})]},
        None, expected)
      for target, kind, expected in (("orders_models", "dbt", 0), ("orders_models", "transformer", 1),
                                     ("other_models", "dbt", 1))],
    # --- pipelines ---
    ("MAGE-PIP-001", {"pipelines": [pl("test_pipe"), pl("RevenueReport"), pl("sales_revenue_report")]}, None, 3),
    ("MAGE-PIP-001", {"pipelines": [pl("sales_revenue_daily"), pl("marketing_campaign_attribution_hourly"),
                                    pl("product_user_behavior_realtime")]}, None, 0),
    ("MAGE-PIP-001", {"pipelines": [pl("sales_revenue_fortnightly")]}, {"frequency_words": ["fortnightly"]}, 0),
    ("MAGE-PIP-002", {"pipelines": [pl(tags=[]), pl("b_x_daily", tags=None)]}, None, 2),
    ("MAGE-PIP-002", {"pipelines": [pl(tags=["sales"])]}, None, 0),
    ("MAGE-PIP-003", {"pipelines": [pl(tags=["Sales", "data quality", "ok_tag"])]}, None, 2),
    ("MAGE-PIP-003", {"pipelines": [pl(tags=["sales", "data_quality", "p1"])]}, None, 0),
    ("MAGE-PIP-004", {"pipelines": [pl(tags=["Sales"]), pl("b_x_daily", tags=["sales"])]}, None, 1),
    ("MAGE-PIP-004", {"pipelines": [pl(tags=["sales"]), pl("b_x_daily", tags=["sales", "etl"])]}, None, 0),
    ("MAGE-PIP-005", {"pipelines": [pl(n_blocks=31)]}, None, 1),
    ("MAGE-PIP-005", {"pipelines": [pl(n_blocks=30)]}, None, 0),
    ("MAGE-PIP-006", {"pipelines": [pl(n_blocks=3)]}, None, 1),
    ("MAGE-PIP-006", {"pipelines": [pl(n_blocks=10), pl("s_x_realtime", n_blocks=3, pipeline_type="streaming"),
                                    pl("e_x_daily", n_blocks=0)]}, None, 0),
    ("MAGE-PIP-007", {"pipelines": [pl(n_blocks=0)]}, None, 1),
    ("MAGE-PIP-007", {"pipelines": [pl(n_blocks=1)]}, None, 0),
    ("MAGE-PIP-008", {"pipelines": [pl(depth=8)]}, None, 1),
    ("MAGE-PIP-008", {"pipelines": [pl(depth=7)]}, None, 0),
    # a chain of dbt models is dbt's lineage: 3 Mage blocks then 5 dbt levels is 3 levels deep
    ("MAGE-PIP-008", {"pipelines": [pl(depth=8)], **_chain(["python"] * 3 + ["dbt"] * 5)}, None, 0),
    ("MAGE-PIP-008", {"pipelines": [pl(depth=8)], **_chain(["python"] * 8)}, None, 1),
    ("MAGE-PIP-009", {"pipelines": [pl(max_width=11)]}, None, 1),
    ("MAGE-PIP-009", {"pipelines": [pl(max_width=10)]}, None, 0),
    ("MAGE-PIP-010", {"pipelines": [pl(has_cycle=True, cycle=["a", "b"])]}, None, 1),
    ("MAGE-PIP-010", {"pipelines": [pl(has_cycle=False)]}, None, 0),
    ("MAGE-PIP-011", {"pipelines": [pl()], "edges": [{"upstream": "gone", "downstream": "b", "dangling": True},
                                                     {"upstream": "a", "downstream": "b"}]}, None, 1),
    ("MAGE-PIP-011", {"pipelines": [pl()], "edges": [{"upstream": "a", "downstream": "b"}]}, None, 0),
    ("MAGE-PIP-012", {"pipelines": [pl(uuid_in_yaml="sales_revenue_daily_copy")]}, None, 1),
    ("MAGE-PIP-012", {"pipelines": [pl(uuid_in_yaml="sales_revenue_daily")]}, None, 0),
    ("MAGE-PIP-013", {"pipelines": [pl(name="Orders Daily"), pl("orders_daily_copy", name="orders daily")]}, None, 2),
    ("MAGE-PIP-013", {"pipelines": [pl(name="Orders Daily"), pl("orders_weekly", name="Orders Weekly")]}, None, 0),
]

CASES += RECALL_CASES     # rules of the recall issue, kept in their own file


def _run(rule_id, inventory_rows, thresholds):
    ctx = RuleContext(inventory=make_inventory(**inventory_rows),
                      thresholds={rule_id: thresholds} if thresholds else {})
    return list(REGISTRY[rule_id](ctx).check())


@pytest.mark.parametrize("rule_id,rows,thresholds,expected", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_rule_case(rule_id, rows, thresholds, expected):
    findings = _run(rule_id, rows, thresholds)
    assert len(findings) == expected, [f.message for f in findings]
    for f in findings:
        assert f.rule_id == rule_id
        assert f.category == REGISTRY[rule_id].category
        assert f.message and len(f.fingerprint) == 16


def test_every_own_rule_has_a_firing_and_a_quiet_case():
    own = [r for r in REGISTRY if r.split("-")[1] in ("BLK", "DOC", "TST", "PIP")]
    fires = {c[0] for c in CASES if c[3] > 0}
    quiet = {c[0] for c in CASES if c[3] == 0}
    assert sorted(set(own) - fires) == []
    assert sorted(set(own) - quiet) == []


def test_hardcoded_findings_point_at_first_line_and_never_hold_snippets():
    findings = _run("MAGE-BLK-005", {"block_files": [bf(facts={"hardcoded_dates": [[9, "day='2024-01-02'"],
                                                                                  [3, "month='2024-01'"]]})]}, None)
    assert findings[0].line == 3
    assert "2024" not in (findings[0].evidence or "") and "3, 9" in findings[0].evidence


def test_fingerprint_ignores_line_and_message_but_not_location():
    a = _run("MAGE-BLK-001", {"block_files": [bf(lines_code=600)]}, None)[0]
    b = _run("MAGE-BLK-001", {"block_files": [bf(lines_code=700)]}, None)[0]
    c = _run("MAGE-BLK-001", {"block_files": [bf(TRANSFORMER, lines_code=600)]}, None)[0]
    assert a.fingerprint == b.fingerprint and a.message != b.message
    assert a.fingerprint != c.fingerprint


def test_cycle_message_names_the_loop():
    finding = _run("MAGE-PIP-010", {"pipelines": [pl(has_cycle=True, cycle=["a", "b"])]}, None)[0]
    assert "a -> b -> a" in finding.message


def test_rules_treat_missing_facts_column_as_unknown():
    inv = make_inventory(block_files=[bf(lines_code=600)])
    inv.block_files = inv.block_files.drop(columns=["facts"])
    for rule_id in ("MAGE-BLK-004", "MAGE-BLK-005", "MAGE-BLK-006", "MAGE-TST-002", "MAGE-TST-003"):
        assert list(REGISTRY[rule_id](RuleContext(inventory=inv)).check()) == []
    assert len(list(REGISTRY["MAGE-BLK-001"](RuleContext(inventory=inv)).check())) == 1


@pytest.mark.parametrize("rule_id", ["MAGE-BLK-001", "MAGE-BLK-004", "MAGE-BLK-005", "MAGE-DOC-001", "MAGE-TST-001",
                                     "MAGE-TST-002", "MAGE-REL-001", "MAGE-PRF-002", "MAGE-REL-004"])
def test_no_finding_piles_on_an_unused_or_template_file(rule_id):
    """A file no pipeline uses is reported once (MAGE-BLK-010), an untouched template once
    (MAGE-BLK-013): no rule about a file's content adds to them."""
    bad = dict(lines_code=600, has_docstring=False, n_tests=2, complexity_max=6,
               facts={"loads_data": True, "exports_data": True, "hardcoded_dates": [[3, "d='2024-01-01'"]],
                      "external_io": [[4, "psycopg2.connect"]],
                      "assertions": 0, "swallowed_exceptions": [5], "connections_opened": [4],
                      "closes_connections": False, "export_modes": [[7, "append"]]})
    if rule_id == "MAGE-TST-001":
        bad["n_tests"] = 0
    assert _run(rule_id, {"block_files": [bf(TRANSFORMER, **bad)]}, None), "the planted file must fire"
    assert _run(rule_id, {"block_files": [bf(TRANSFORMER, referenced=False, **bad)]}, None) == []
    assert _run(rule_id, {"block_files": [bf(TRANSFORMER, template=True, **bad)]}, None) == []


def test_missing_data_checks_are_only_info_on_a_pipeline_run_by_hand():
    frames = {"pipelines": [pl()], "blocks": [{"block": "load_orders", "path": LOADER}],
              "block_files": [bf(facts={"dq_checks": False, "exports_data": True})]}
    [manual] = _run("MAGE-TST-003", frames, None)
    [scheduled] = _run("MAGE-TST-003", {**frames, "triggers": [{"name": "nightly"}]}, None)
    assert (manual.severity, scheduled.severity) == ("info", "medium")
