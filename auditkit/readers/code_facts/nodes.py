"""Small helpers over AST nodes shared by the walk and every fact family."""
from __future__ import annotations

import ast
from typing import Any

# Fields that never hold a child node worth visiting: names and flags, and the ctx/op
# singletons (Load, Add, Eq...) no fact or metric looks at. Constant.value and
# MatchSingleton.value are Python values, not nodes.
_LEAF_FIELDS = frozenset({"id", "attr", "name", "names", "arg", "module", "level", "kind", "type_comment",
                          "conversion", "is_async", "simple", "tag", "rest", "kwd_attrs", "ctx", "op", "ops"})
CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def child_fields(kind: type) -> tuple[str, ...]:
    """Fields of AST class ``kind`` that may hold child nodes, in ``ast.iter_child_nodes`` order.

    Walking these directly is about twice as fast as ``ast.iter_child_nodes`` (a generator
    over every field, names and operators included) and visits the same nodes in the same order
    minus the operator and context singletons.
    """
    fields = CHILD_FIELDS.get(kind)
    if fields is None:
        leaf_value = kind is ast.Constant or kind is ast.MatchSingleton
        fields = tuple(name for name in getattr(kind, "_fields", ())
                       if name not in _LEAF_FIELDS and not (leaf_value and name == "value"))
        CHILD_FIELDS[kind] = fields
    return fields


def dotted(node: ast.AST) -> str:
    """``pd.read_csv`` for an attribute chain, ``print`` for a name, '' otherwise."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    elif isinstance(node, ast.Call):
        parts.append(dotted(node.func) + "()")
    return ".".join(reversed(parts))


def call_name(call: ast.Call) -> tuple[str, str]:
    """(last name, receiver root name) of a call: ``pd.read_csv`` -> (read_csv, pd)."""
    func = call.func
    if isinstance(func, ast.Name):
        return func.id, ""
    if isinstance(func, ast.Attribute):
        root = func.value
        while isinstance(root, (ast.Attribute, ast.Call, ast.Subscript)):
            root = root.func if isinstance(root, ast.Call) else root.value
        return func.attr, root.id if isinstance(root, ast.Name) else ""
    return "", ""


def callee(func: ast.expr) -> str:
    """The last name of a call's function (``open`` for ``open`` and ``gzip.open``); as
    :func:`call_name` without the receiver."""
    kind = type(func)
    if kind is ast.Name:
        return func.id
    return func.attr if kind is ast.Attribute else ""


def kw(call: ast.Call, name: str) -> ast.expr | None:
    """The value of keyword argument ``name`` of ``call``, None when not given."""
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    return None


def const(node: ast.expr | None) -> Any:
    """The value of a constant node, None for anything else."""
    return node.value if isinstance(node, ast.Constant) else None


def mentions(node: ast.AST, name: str) -> bool:
    """True when the variable ``name`` appears anywhere under ``node``."""
    return any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(node))


def decorator_names(node: ast.AST) -> set[str]:
    """Last names of a definition's decorators (``test`` for ``@test`` and ``@mage.test()``)."""
    names = set()
    for dec in getattr(node, "decorator_list", []):
        target = dec.func if isinstance(dec, ast.Call) else dec
        names.add(target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", ""))
    return names
