"""Cues read from a Python block's AST for the rules of the recall issue, kept apart from the
code-facts walk (:mod:`auditkit.readers.code_facts`):

* ``stub_functions``: decorated block functions (``@data_loader``, ``@transformer``,
  ``@data_exporter``, ``@custom``, ``@sensor``) whose body does nothing: only ``pass``, ``...``,
  a docstring, ``return`` of nothing / None / an empty literal / an empty ``DataFrame()``, or
  ``raise NotImplementedError``;
* ``wall_clock_windows``: wall-clock reads (``datetime.now()``, ``utcnow()``, ``date.today()``,
  ``time.time()``, ``pd.Timestamp.now()``, ``pendulum.now()``, ...) used as a time window: a
  duration added or subtracted (``now() - timedelta(days=1)``) or a comparison; text made from
  them (``now().isoformat() + 'Z'``, a load timestamp) is not a window;
* ``uses_execution_date``: the block reads Mage's ``execution_date`` (or ``interval_start_datetime``
  / ``interval_end_datetime``) from its keyword arguments.

Only Python files have cues; the walk is one ``ast.walk`` over the tree the worker already parsed.
"""
from __future__ import annotations

import ast
from typing import Any

BLOCK_DECORATORS = frozenset({"data_loader", "transformer", "data_exporter", "custom", "sensor"})
WALL_CLOCK_CALLS = frozenset({"now", "utcnow", "today", "time"})
WALL_CLOCK_OWNERS = frozenset({"datetime", "date", "time", "Timestamp", "pendulum", "arrow", "dt"})
DURATION_CALLS = frozenset({"timedelta", "relativedelta", "Timedelta", "DateOffset", "Day", "Hour"})
RUN_WINDOW_KEYS = frozenset({"execution_date", "interval_start_datetime", "interval_end_datetime",
                             "execution_partition"})


def block_cues(tree: ast.AST | None) -> dict[str, Any] | None:
    if not isinstance(tree, ast.Module):
        return None
    cues: dict[str, Any] = {"stub_functions": [], "wall_clock_windows": [], "uses_execution_date": False}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _is_block_function(node) and _is_stub(node):
            cues["stub_functions"].append([node.lineno, node.name])
    windows = set()
    for node in ast.walk(tree):
        kind = type(node)
        if kind is ast.BinOp and isinstance(node.op, (ast.Sub, ast.Add)):
            for clock, other in ((node.left, node.right), (node.right, node.left)):
                if _is_duration(other):
                    windows.update(_wall_clock_read(clock))
        elif kind is ast.Compare:
            for side in [node.left, *node.comparators]:
                windows.update(_wall_clock_read(side))
        elif kind is ast.Constant and node.value in RUN_WINDOW_KEYS:
            cues["uses_execution_date"] = True
        elif kind is ast.Name and node.id in RUN_WINDOW_KEYS:
            cues["uses_execution_date"] = True
        elif kind is ast.arg and node.arg in RUN_WINDOW_KEYS:
            cues["uses_execution_date"] = True
    cues["wall_clock_windows"] = [list(w) for w in sorted(windows)]
    return cues


def _is_block_function(node: ast.AST) -> bool:
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", None)
        if name in BLOCK_DECORATORS:
            return True
    return False


def _is_stub(node: ast.AST) -> bool:
    body = list(node.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]                              # the docstring
    return all(_does_nothing(statement) for statement in body)


def _does_nothing(statement: ast.stmt) -> bool:
    if isinstance(statement, ast.Pass):
        return True
    if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
        return True                                  # ``...`` or a bare string
    if isinstance(statement, ast.Return):
        return _is_empty(statement.value)
    if isinstance(statement, ast.Raise) and statement.exc is not None:
        target = statement.exc.func if isinstance(statement.exc, ast.Call) else statement.exc
        return getattr(target, "id", None) == "NotImplementedError"
    return False


def _is_empty(value: ast.expr | None) -> bool:
    if value is None or (isinstance(value, ast.Constant) and value.value in (None, "", 0)):
        return True
    if isinstance(value, (ast.List, ast.Tuple, ast.Set)) and not value.elts:
        return True
    if isinstance(value, ast.Dict) and not value.keys:
        return True
    if isinstance(value, ast.Call) and not value.args and not value.keywords:
        target = value.func
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", None)
        return name in ("DataFrame", "dict", "list")
    return False


def _is_duration(node: ast.AST) -> bool:
    """``timedelta(days=1)``, ``relativedelta(...)``, ``pd.Timedelta(...)``, ``DateOffset(...)``."""
    if not isinstance(node, ast.Call):
        return False
    target = node.func
    name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", None)
    return name in DURATION_CALLS


def _wall_clock_read(node: ast.AST) -> list[tuple[int, str]]:
    """``node`` itself as a wall-clock read: ``x.now()`` and friends, or ``now().date()`` /
    ``now().replace(...)`` (a value still standing for the moment; ``now().isoformat()`` is text)."""
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("date", "replace") \
            and isinstance(node.func.value, ast.Call):
        node = node.func.value
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in WALL_CLOCK_CALLS:
        owner = node.func.value
        owner_name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", None)
        if owner_name in WALL_CLOCK_OWNERS:
            return [(node.lineno, f"{owner_name}.{node.func.attr}()")]
    return []
