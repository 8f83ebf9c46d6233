"""Test facts: ``assertions`` (assert statements inside Mage ``@test`` functions) and
``dq_checks`` (asserts that check the data's values or schema, not just that it exists)."""
from __future__ import annotations

import ast

from auditkit.readers.code_facts.family import Family, FileState, Where

ASSERTIONS = Family("tests")

DQ_ATTRS = frozenset({"notna", "notnull", "isna", "isnull", "is_unique", "isin", "between",
                      "duplicated", "nunique", "is_monotonic_increasing", "is_monotonic_decreasing",
                      "hasnans", "drop_duplicates",
                      # schema: asserting on the columns or their types ('id' in df.columns)
                      "columns", "dtypes", "dtype"})
REDUCTIONS = frozenset({"all", "any", "sum"})   # over a comparison inside an assert: a value check


@ASSERTIONS.on_node(ast.Assert)
def _assert(state: FileState, node: ast.Assert, where: Where) -> None:
    if where.in_test:
        state.facts["assertions"] += 1


@ASSERTIONS.on_node(ast.Attribute)
def _dq_attribute(state: FileState, node: ast.Attribute, where: Where) -> None:
    if where.in_assert and node.attr in DQ_ATTRS:
        state.facts["dq_checks"] = True


@ASSERTIONS.on_call_in_assert
def _dq_call(state: FileState, call: ast.Call, name: str, root: str, where: Where) -> None:
    if name.startswith("expect_"):      # Great Expectations
        state.facts["dq_checks"] = True
    elif name in REDUCTIONS and isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Compare):
        state.facts["dq_checks"] = True   # range or value check: (df['x'] >= 0).all(), (df['x'] == 0).sum() == 0
