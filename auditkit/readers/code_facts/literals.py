"""Literal facts: every string constant outside docstrings goes to
:func:`auditkit.readers.literal_facts.scan_string` (``hardcoded_dates``, ``hardcoded_tables``,
``connection_strings``, SQL ``export_modes``, ``loads_data``/``exports_data`` of SQL text);
``datetime(2024, 1, 31)``-style calls are hard-coded dates too."""
from __future__ import annotations

import ast

from auditkit.readers.code_facts.family import Family, FileState, Where
from auditkit.readers.literal_facts import scan_string

LITERALS = Family("literals")

DATE_CALLS = frozenset({"datetime", "date", "Timestamp"})


@LITERALS.on_start
def _start(state: FileState) -> None:
    state.docstrings = set()   # ids of docstring constants: documentation, not code


@LITERALS.on_node(ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
def _docstring(state: FileState, node: ast.AST, where: Where) -> None:
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        state.docstrings.add(id(body[0].value))


@LITERALS.on_node(ast.Constant)
def _string(state: FileState, node: ast.Constant, where: Where) -> None:
    if type(node.value) is str and id(node) not in state.docstrings:
        scan_string(node.value, node.lineno, state.facts)


@LITERALS.on_call(DATE_CALLS)
def _date_call(state: FileState, call: ast.Call, name: str, root: str, where: Where) -> None:
    first = call.args[0] if call.args else None
    if isinstance(first, ast.Constant) and isinstance(first.value, int) and 1980 <= first.value <= 2100:
        values = [str(a.value) for a in call.args if isinstance(a, ast.Constant)]
        state.facts["hardcoded_dates"].append([call.lineno, f"{name}({', '.join(values)})"])
