"""Rules of category ``testing``: ``@test`` functions, their assertions, data-quality checks."""
from __future__ import annotations

from collections import defaultdict

from auditkit.engine.base import Rule, Threshold, register
from auditkit.engine.lookups import unattended_pipelines
from auditkit.engine.frames import (
    fact, file_place, frame_of, logic_files, number, pipeline_condition, plural, rows,
)

# Blocks whose output a @test can check; exporters usually return nothing to test.
TESTED_TYPES = ("data_loader", "transformer")
# Pipelines whose block tests Mage does not run.
UNTESTED_PIPELINE_TYPES = ("streaming", "integration")
# Blocks that hold the data a pipeline's checks are about.
DATA_BLOCK_TYPES = ("data_loader", "transformer", "data_exporter", "custom")


@register
class BlockWithoutTests(Rule):
    """A loader or transformer has no ``@test`` function.

    What it checks:
        Python data loader and transformer files that pipelines run, with no function decorated
        ``@test``, in pipelines where other blocks are tested. Exporters are not checked: Mage
        passes a block's output to its tests and most exporters return nothing. Pipelines with
        no test at all are MAGE-TST-003's finding (one problem, one finding), and blocks of
        streaming and integration pipelines are left out: Mage does not run their tests.

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
        inv = self.ctx.inventory
        users = _pipelines_using(inv)
        tested = _pipelines_with_tests(inv)
        untestable = _untestable_pipelines(inv)
        for row in logic_files(inv):
            if row.get("block_type") not in TESTED_TYPES or row.get("language") != "python":
                continue   # SQL/R blocks cannot hold @test functions
            mine = users.get((row["project"], row["path"]), set())
            if mine and (mine <= untestable or not mine & tested):
                continue   # Mage runs no tests there, or the whole pipeline is untested (MAGE-TST-003)
            tests = number(row.get("n_tests"))
            if tests is not None and tests == 0:
                yield self.finding(
                    f"{row['block_type']} '{row.get('block')}' has no @test function",
                    **file_place(row))


def _pipelines_using(inv) -> dict[tuple[str, str], set[tuple[str, str]]]:
    out: dict[tuple[str, str], set] = defaultdict(set)
    for b in rows(frame_of(inv, "blocks")):
        if b.get("path"):
            out[(b["project"], b["path"])].add((b["project"], b["pipeline"]))
    return out


def _pipelines_with_tests(inv) -> set[tuple[str, str]]:
    with_tests = {(r["project"], r["path"]) for r in rows(frame_of(inv, "block_files")) if number(r.get("n_tests"))}
    return {(b["project"], b["pipeline"]) for b in rows(frame_of(inv, "blocks"))
            if (b["project"], b.get("path")) in with_tests}


def _untestable_pipelines(inv) -> set[tuple[str, str]]:
    """Pipelines whose blocks' tests Mage never runs: streaming (transformers only) and
    integration (source/destination blocks)."""
    return {(p["project"], p["pipeline"]) for p in rows(frame_of(inv, "pipelines"))
            if p.get("pipeline_type") in UNTESTED_PIPELINE_TYPES}


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
                    f"{plural(int(tests), '@test function')} with {plural(int(asserts), 'assertion')} "
                    f"(at least {minimum} expected)",
                    **file_place(row),
                    evidence=f"n_tests={int(tests)}, assertions={int(asserts)}")


@register
class NoDataQualityChecks(Rule):
    """No block of a pipeline checks data quality.

    What it checks:
        For each pipeline, whether any of its block files performs data-quality checks (null,
        range, uniqueness, allowed-value or schema assertions). Pipelines whose blocks were not
        analysed, pipelines that write nothing anywhere (an analysis, a scratch query: their
        data reaches nobody), streaming and integration pipelines (Mage does not run their
        tests), sensors, pipelines with dbt blocks (dbt runs the model's own tests) or whose
        blocks start a pipeline with dbt blocks (``trigger_pipeline``: the data is handed on to
        dbt, whose tests check it), pipelines
        without a Python data block (Mage runs ``@test`` functions in Python blocks only), and
        pipelines that are empty, broken or only Mage's scaffolding are not reported. Nor are
        pipelines with a block whose tests make at least ``tested_at_assertions`` assertions:
        that is a deliberate test suite, beyond the template's ``assert output is not None``,
        whose checks the rule cannot always name (row counts, custom schema checks). Reported
        at the rule's severity for pipelines that run unattended (an active trigger in
        ``triggers.yaml`` or in the run history) and as ``info`` for pipelines run by hand.

    Why it matters:
        Tests that only check ``output is not None`` let duplicates, nulls in keys and
        out-of-range values reach reports and downstream systems unnoticed.

    Example:
        A pipeline whose only test is ``assert output is not None``.

    Fix:
        Add assertions such as ``df['id'].notna().all()``, ``df['id'].is_unique``,
        ``df['status'].isin([...]).all()`` and a column/type check to the tests of the
        transformer or exporter blocks.

    Options:
        ``tested_at_assertions``: assertions in one block's tests from which its pipeline
        counts as tested.
    """

    id = "MAGE-TST-003"
    name = "no-data-quality-checks"
    title = "Pipeline without data-quality checks"
    category = "testing"
    severity = "medium"
    practices = ("BP-TEST-DATA-QUALITY", "BP-TEST-SCHEMA-VALIDATION")
    thresholds = (Threshold("tested_at_assertions", 3, "assertions in one block's @test functions from which "
                            "its pipeline counts as tested", "integer >= 1"),)

    def check(self):
        inv = self.ctx.inventory
        suite = self.option("tested_at_assertions")
        dq_by_path, writers, python_files = {}, set(), set()
        for row in rows(frame_of(inv, "block_files")):
            value = fact(row, "dq_checks")
            if isinstance(value, bool) and not row.get("template"):
                asserts = number(fact(row, "assertions")) if number(row.get("n_tests")) else 0
                # A test suite (several assertions) counts as checking; a Python file is needed
                # for Mage to run tests at all.
                dq_by_path[row["path"]] = value or (asserts or 0) >= suite
                if row.get("language") == "python":
                    python_files.add(row["path"])
            if fact(row, "exports_data") is True and not row.get("template"):
                writers.add(row["path"])
        writes = {(b["project"], b["pipeline"]) for b in rows(frame_of(inv, "blocks"))
                  if b.get("path") in writers or (b.get("block_type") == "data_exporter" and b.get("language") == "sql")}
        known: dict[tuple, list[bool]] = defaultdict(list)
        with_python: set[tuple] = set()
        for row in rows(frame_of(inv, "blocks")):
            if row.get("path") in dq_by_path and row.get("block_type") in DATA_BLOCK_TYPES:
                known[(row["project"], row["pipeline"])].append(dq_by_path[row["path"]])
                if row["path"] in python_files:
                    with_python.add((row["project"], row["pipeline"]))
        with_dbt = {(r["project"], r["pipeline"]) for r in rows(frame_of(inv, "blocks")) if r.get("block_type") == "dbt"}
        with_dbt |= _handing_off_to(inv, with_dbt)
        not_live = pipeline_condition(inv)
        unattended = unattended_pipelines(inv, self.ctx.history)
        pipelines = {(r["project"], r["pipeline"]): r for r in rows(frame_of(inv, "pipelines"))}
        for (project, pipeline), flags in sorted(known.items()):
            if (project, pipeline) in not_live or (project, pipeline) in with_dbt \
                    or (project, pipeline) not in writes or (project, pipeline) not in with_python:
                continue   # not live team work, dbt tests guard it, its data reaches nobody, or no block can hold tests
            if pipelines.get((project, pipeline), {}).get("pipeline_type") in UNTESTED_PIPELINE_TYPES:
                continue   # Mage does not run these pipelines' tests
            if flags and not any(flags):
                # The pipeline's block count is stated by other rules; this one says what it read.
                yield self.finding(
                    f"no block of pipeline '{pipeline}' checks data quality (nulls, ranges, uniqueness, schema)",
                    severity=None if pipeline in unattended else "info",
                    project=project, pipeline=pipeline, path=pipelines.get((project, pipeline), {}).get("path"),
                    evidence=f"block files read: {len(flags)}")


def _handing_off_to(inv, targets: set[tuple]) -> set[tuple]:
    """Pipelines with a block that starts one of ``targets`` (same project) by ``trigger_pipeline``."""
    started: dict[str, set[str]] = defaultdict(set)
    for row in rows(frame_of(inv, "block_files")):
        for _line, uuid in fact(row, "triggered_pipelines") or []:
            started[row["path"]].add(str(uuid))
    return {(b["project"], b["pipeline"]) for b in rows(frame_of(inv, "blocks"))
            if any((b["project"], uuid) in targets for uuid in started.get(b.get("path"), ()))}
