"""The one walk of a module's AST: it runs the fact families' handlers on every node and, on
the same pass, counts radon's cyclomatic complexity per function.

A second walk just for complexity cost a third of the facts' time; ``tests/test_readers_code.py``
compares the scores with radon's ``ComplexityVisitor`` on the demo, the fixtures and the
ecosystem files.
"""
from __future__ import annotations

import ast

from auditkit.readers.code_facts.family import WHERE, Dispatch, FileState, Where
from auditkit.readers.code_facts.nodes import CHILD_FIELDS, child_fields, decorator_names

# Complexity modes: module body, function body (both counted: mode <= _CX_FUNCTION), class
# body, not counted.
_CX_MODULE, _CX_FUNCTION, _CX_CLASS, _CX_IGNORED = 0, 1, 2, 3
RADON_SAFE_DEPTH = 100   # radon recurses ~3 frames per AST level; deeper trees go to radon itself
_SCOPES = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef})
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def _match_decisions(node: ast.Match) -> int:
    catch_all = any(getattr(c.pattern, "pattern", False) is None for c in node.cases)
    return max(0, len(node.cases) - catch_all)


# Decision points radon counts, per node type (in module and function bodies).
_DECISIONS = {
    ast.If: lambda n: 1, ast.IfExp: lambda n: 1,
    ast.BoolOp: lambda n: len(n.values) - 1,
    ast.For: lambda n: 1 + bool(n.orelse), ast.While: lambda n: 1 + bool(n.orelse),
    ast.AsyncFor: lambda n: 1 + bool(n.orelse),
    ast.comprehension: lambda n: 1 + len(n.ifs),
    ast.Try: lambda n: len(n.handlers) + bool(n.orelse),
    ast.Match: _match_decisions,
}


def _enter_scope(node: ast.AST, where: Where, mode: int, scored: list[list[int]]) -> tuple:
    """(where, body mode, body counter) inside a def or class.

    radon scores functions at module level and methods of top-level classes; closures and
    nested classes, decorators and defaults are not counted.
    """
    kind = type(node)
    where = WHERE[(where.in_test or "test" in decorator_names(node), False, where.in_assert)]
    if mode == _CX_IGNORED or mode == _CX_FUNCTION or (mode == _CX_CLASS and kind is ast.ClassDef):
        return where, _CX_IGNORED, None
    if kind in _FUNCTIONS:
        cell = [1]
        scored.append(cell)
        return where, _CX_FUNCTION, cell
    return where, _CX_CLASS, None


def _enter_assert(where: Where, mode: int, cell: list[int] | None) -> Where:
    """Where inside an assert (radon counts the assert, then hides its operands)."""
    if mode <= _CX_FUNCTION:
        cell[0] += 1
    return WHERE[(where.in_test, where.at_module, True)]


def walk_module(tree: ast.AST, state: FileState, dispatch: Dispatch) -> list[int] | None:
    """Run ``dispatch``'s handlers on every node of ``tree``; return the complexity of each
    function and method as ``radon.visitors.ComplexityVisitor`` scores them (the module's when
    there is none), or None when the tree is deeper than radon can surely walk.

    Children are pushed in ``ast.iter_child_nodes`` order (operators and contexts skipped);
    the fact lists are sorted afterwards, so visiting order does not show in the result."""
    # The hot loop of a cold audit (every node of every Python file), kept in one function:
    # helper calls per node would cost more than the walk itself.
    module_cell = [1]
    scored: list[list[int]] = []
    too_deep = False
    # Per node: where it is, complexity mode, the counter its decisions go to, radon's depth.
    stack: list[tuple] = [(tree, WHERE[(False, True, False)], _CX_MODULE, module_cell, 0)]
    pop, push, node_type = stack.pop, stack.append, ast.AST
    decision, fields_of, handlers_of = _DECISIONS.get, CHILD_FIELDS.get, dispatch.nodes.get
    # Names and constants are leaves (no decisions, no children): they are handled where
    # their parent meets them instead of going through the stack, about a third of all nodes.
    leaf_kinds = frozenset({ast.Name, ast.Constant})
    while stack:
        node, where, mode, cell, depth = pop()
        kind = type(node)
        body_mode = body_cell = None
        if mode != _CX_IGNORED and depth > RADON_SAFE_DEPTH:
            too_deep = True
        if kind in _SCOPES:
            where, body_mode, body_cell = _enter_scope(node, where, mode, scored)
            mode, cell = _CX_IGNORED, None
        elif kind is ast.Assert:
            where = _enter_assert(where, mode, cell)
            mode, cell = _CX_IGNORED, None
        elif mode <= _CX_FUNCTION:
            count = decision(kind)
            if count is not None:
                cell[0] += count(node)
        for handler in handlers_of(kind, ()):
            handler(state, node, where)
        depth += 1
        leaf_too_deep = depth > RADON_SAFE_DEPTH   # leaves count towards radon's depth too
        fields = fields_of(kind)
        if fields is None:
            fields = child_fields(kind)
        for name in fields:
            value = getattr(node, name, None)
            if body_mode is not None and name == "body":
                child_mode, child_cell = body_mode, body_cell
            else:
                child_mode, child_cell = mode, cell
            for child in (value if type(value) is list else (value,)):
                child_kind = type(child)
                if child_kind in leaf_kinds:
                    if leaf_too_deep and child_mode != _CX_IGNORED:
                        too_deep = True
                    for handler in handlers_of(child_kind, ()):
                        handler(state, child, where)
                elif isinstance(child, node_type):
                    push((child, where, child_mode, child_cell, depth))
    if too_deep:
        return None
    return [c[0] for c in scored] or [module_cell[0]]
