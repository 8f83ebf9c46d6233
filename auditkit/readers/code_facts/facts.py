"""The code facts of one file: every agreed key, filled by the fact families on one AST walk
(Python) or by the text scanners of :mod:`auditkit.readers.literal_facts` (SQL, R, Python that
did not parse), then put in a stable order."""
from __future__ import annotations

import ast
from typing import Any

from auditkit.readers.code_facts.assertions import ASSERTIONS
from auditkit.readers.code_facts.connections import CONNECTIONS
from auditkit.readers.code_facts.data_movement import DATA_MOVEMENT
from auditkit.readers.code_facts.environment import ENVIRONMENT
from auditkit.readers.code_facts.errors import ERRORS
from auditkit.readers.code_facts.family import Dispatcher, FileState
from auditkit.readers.code_facts.literals import LITERALS
from auditkit.readers.code_facts.logs import LOGS
from auditkit.readers.code_facts.walk import walk_module
from auditkit.readers.literal_facts import sql_file_facts, text_facts

FAMILIES = (DATA_MOVEMENT, CONNECTIONS, ERRORS, LOGS, ASSERTIONS, ENVIRONMENT, LITERALS)
DISPATCHER = Dispatcher(FAMILIES)

# [line, detail] lists and line lists; both come out sorted and without repeats.
_PAIR_KEYS = ("hardcoded_dates", "hardcoded_tables", "connection_strings", "export_modes",
              "unchunked_reads", "http_calls", "raw_connections", "io_profiles", "external_io",
              "triggered_pipelines")
_LINE_KEYS = ("print_calls", "swallowed_exceptions", "connections_opened")


def empty_facts() -> dict[str, Any]:
    """Every agreed key with its 'nothing found' value."""
    return {
        "loads_data": False, "exports_data": False, "hardcoded_dates": [], "hardcoded_tables": [],
        "connection_strings": [], "print_calls": [], "uses_logging": False,
        "swallowed_exceptions": [], "export_modes": [], "has_checkpointing": False,
        "unchunked_reads": [], "connections_opened": [], "closes_connections": False,
        "uses_pool": False, "assertions": 0, "dq_checks": False, "env_access": False,
        "env_branching": False, "loops": 0, "http_calls": [], "raw_connections": [], "io_profiles": [],
        "external_io": [], "triggered_pipelines": [],
    }


def code_facts(text: str, tree: ast.AST | None, language: str) -> dict[str, Any]:
    """Facts about one block file (see the package docstring and docs/architecture.md).

    ``tree`` is the parsed module for Python (None when it did not parse: then only the
    text scanners run). Lists hold ``[line, detail]`` pairs or line numbers, sorted by line.
    """
    return facts_and_complexity(text, tree, language)[0]


def facts_and_complexity(text: str, tree: ast.AST | None, language: str) -> tuple[dict[str, Any], list[int] | None]:
    """:func:`code_facts` plus radon's complexity per function from the same AST walk (None
    without a tree, or when the tree is too deep; see :func:`walk.walk_module`)."""
    facts = empty_facts()
    scores = None
    if language == "python" and tree is not None:
        scores = python_facts(tree, text, facts)
    elif language == "sql":
        sql_file_facts(text, facts)
    elif language in ("python", "r"):
        text_facts(text, facts)
    for key in _PAIR_KEYS:
        # By line, then detail: the same facts come out in the same order whatever order the
        # walk met them in.
        facts[key] = sorted(_unique(facts[key]), key=_line_and_detail)
    for key in _LINE_KEYS:
        facts[key] = sorted(set(facts[key]))
    return facts, scores


def python_facts(tree: ast.AST, text: str, facts: dict[str, Any]) -> list[int] | None:
    """Fill ``facts`` from one walk of ``tree``; return the complexity scores of that walk.
    ``text`` only opens the families' text cues (handlers skipped where they cannot fire)."""
    state = FileState(facts, text)
    dispatch = DISPATCHER.for_text(state.lower)
    for start in dispatch.starts:
        start(state)
    scores = walk_module(tree, state, dispatch)
    for finish in dispatch.finishes:
        finish(state)
    return scores


def _line_and_detail(item: list) -> tuple[int, str]:
    return item[0], str(item[1])


def _unique(items: list[list]) -> list[list]:
    seen, out = set(), []
    for item in items:
        marker = tuple(item)
        if marker not in seen:
            seen.add(marker)
            out.append(item)
    return out
