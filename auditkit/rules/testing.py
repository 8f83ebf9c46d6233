"""Rules of category ``testing``: ``@test`` functions, their assertions, data-quality checks."""
from __future__ import annotations

from collections import defaultdict

from auditkit.rules.base import Rule, Threshold, register
from auditkit.rules.util import fact, frame_of, logic_files, number, pipeline_condition, rows

# Blocks whose output a @test can check; exporters usually return nothing to test.
TESTED_TYPES = ("data_loader", "transformer")


@register
class BlockWithoutTests(Rule):
    """A loader or transformer has no ``@test`` function.

    What it checks:
        Python data loader and transformer files that pipelines run, with no function decorated
        ``@test``. Exporters are not checked: Mage passes a block's output to its tests and
        most exporters return nothing.

    Why it matters:
        Mage runs a block's ``@test`` functions after every triggered run and fails the block
        when one fails: it is the cheapest guard against bad data flowing downstream.

    Example:
        ``transformers/transform_orders.py`` with a ``@transformer`` function and nothing else.

    Fix:
        Add ``@test def test_output(output, *args): assert ...`` with checks on the output's
        columns, row count and values.
    """

    id = "MAGE-TST-001"
    name = "block-without-tests"
    title = "Block without @test functions"
    category = "testing"
    severity = "medium"
    practices = ("BP-TEST-IN-BLOCKS",)

    def check(self):
        for row in logic_files(self.ctx.inventory):
            if row.get("block_type") not in TESTED_TYPES or row.get("language") != "python":
                continue   # SQL/R blocks cannot hold @test functions
            tests = number(row.get("n_tests"))
            if tests is not None and tests == 0:
                yield self.finding(
                    f"{row['block_type']} '{row.get('uuid')}' has no @test function",
                    project=row["project"], block=row.get("uuid"), path=row["path"])


@register
class TestsWithoutAssertions(Rule):
    """A block's ``@test`` functions assert (almost) nothing.

    What it checks:
        Python block files that have ``@test`` functions but fewer than ``min_assertions``
        ``assert`` statements inside them in total.

    Why it matters:
        A test without assertions always passes: the block looks tested but bad output flows
        on unchecked.

    Example:
        ``@test def test_output(output, *args): print(output.head())``

    Fix:
        Assert concrete properties: required columns present, no nulls in keys, values in
        range, row count above zero.

    Options:
        ``min_assertions``: fewest assert statements accepted across a block's tests.
    """

    __test__ = False   # not a pytest class, despite the name
    id = "MAGE-TST-002"
    name = "tests-without-assertions"
    title = "Test functions without assertions"
    category = "testing"
    severity = "medium"
    thresholds = (Threshold("min_assertions", 1, "fewest assert statements across a block's @test functions", "integer >= 1"),)
    practices = ("BP-TEST-ASSERTIONS",)

    def check(self):
        minimum = self.option("min_assertions")
        for row in logic_files(self.ctx.inventory):
            tests = number(row.get("n_tests"))
            asserts = number(fact(row, "assertions"))
            if tests and asserts is not None and asserts < minimum:
                yield self.finding(
                    f"{int(tests)} @test function(s) with {int(asserts)} assertion(s) (at least {minimum} expected)",
                    project=row["project"], block=row.get("uuid"), path=row["path"],
                    evidence=f"n_tests={int(tests)}, assertions={int(asserts)}")


@register
class NoDataQualityChecks(Rule):
    """No block of a pipeline checks data quality.

    What it checks:
        For each pipeline, whether any of its block files performs data-quality checks (null,
        range, uniqueness, allowed-value or schema assertions). Pipelines whose blocks were not
        analysed, integration pipelines (Mage does not run their tests), pipelines with dbt
        blocks (dbt runs the model's own tests) and pipelines that are empty, broken or only
        Mage's scaffolding are not reported.

    Why it matters:
        Tests that only check ``output is not None`` let duplicates, nulls in keys and
        out-of-range values reach reports and downstream systems unnoticed.

    Example:
        A pipeline whose only test is ``assert output is not None``.

    Fix:
        Add assertions such as ``df['id'].notna().all()``, ``df['id'].is_unique``,
        ``df['status'].isin([...]).all()`` and a column/type check to the tests of the
        transformer or exporter blocks.
    """

    id = "MAGE-TST-003"
    name = "no-data-quality-checks"
    title = "Pipeline without data-quality checks"
    category = "testing"
    severity = "medium"
    practices = ("BP-TEST-DATA-QUALITY", "BP-TEST-SCHEMA-VALIDATION")

    def check(self):
        inv = self.ctx.inventory
        dq_by_path = {}
        for row in rows(frame_of(inv, "block_files")):
            value = fact(row, "dq_checks")
            if isinstance(value, bool):
                dq_by_path[row["path"]] = value
        known: dict[tuple, list[bool]] = defaultdict(list)
        for row in rows(frame_of(inv, "blocks")):
            if row.get("path") in dq_by_path:
                known[(row["project"], row["pipeline"])].append(dq_by_path[row["path"]])
        with_dbt = {(r["project"], r["pipeline"]) for r in rows(frame_of(inv, "blocks")) if r.get("type") == "dbt"}
        not_live = pipeline_condition(inv)
        pipelines = {(r["project"], r["pipeline"]): r for r in rows(frame_of(inv, "pipelines"))}
        for (project, pipeline), flags in sorted(known.items()):
            if (project, pipeline) in not_live or (project, pipeline) in with_dbt:
                continue   # not live team work, or dbt tests guard it
            if pipelines.get((project, pipeline), {}).get("type") == "integration":
                continue   # Mage skips tests of integration source/destination blocks
            if flags and not any(flags):
                yield self.finding(
                    f"none of the {len(flags)} analysed blocks of pipeline '{pipeline}' checks data quality",
                    project=project, pipeline=pipeline, path=pipelines.get((project, pipeline), {}).get("path"))
