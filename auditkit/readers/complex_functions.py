"""The most complex functions of a Python block file, named, as radon scores them.

The code-facts walk (:mod:`auditkit.readers.code_facts`) already gives each file's highest and
mean cyclomatic complexity, without names. A finding should say which functions to split, so
for the few files whose highest score reaches :data:`NAMED_FROM`, radon's own
``ComplexityVisitor`` scores the tree once more and the worst functions are kept with their
names and lines. Files below that score (nearly all of them) cost nothing here.
"""
from __future__ import annotations

import ast
from typing import Any

from radon.visitors import ComplexityVisitor

NAMED_FROM = 6        # radon's rank B starts here; simpler functions are never named
MAX_NAMED = 5


def complex_functions(tree: ast.AST | None, complexity_max: Any) -> list[list] | None:
    """``[[qualified name, first line, score], ...]``: up to :data:`MAX_NAMED` functions and
    methods scoring at least :data:`NAMED_FROM`, worst first; None when there is no tree, and
    ``[]`` when the file's highest score is lower (then radon is not run)."""
    if tree is None:
        return None
    if not isinstance(complexity_max, (int, float)) or complexity_max < NAMED_FROM:
        return []
    try:
        visitor = ComplexityVisitor.from_ast(tree)
    except (RecursionError, ValueError, TypeError):
        return None
    scored = [(f.fullname, f.lineno, f.complexity) for f in visitor.functions]
    scored += [(m.fullname, m.lineno, m.complexity) for c in visitor.classes for m in c.methods]
    scored = [s for s in scored if s[2] >= NAMED_FROM]
    scored.sort(key=lambda s: (-s[2], s[1]))
    return [list(s) for s in scored[:MAX_NAMED]]
