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
* ``env_literals``: ``[line, kind]`` of string literals that pin an environment: an IP address
  or ``localhost``, a ``host:port`` endpoint (``minio:9000``), a bucket URL (``s3://...``) or
  bucket keyword, an absolute local path (``/home/me/...``, ``C:\\...``). Defaults of
  ``os.getenv``/``os.environ.get`` are configuration, not pins, and are skipped; the value itself
  is never kept (it may be sensitive), only its kind;
* ``uses_execution_date``: the block reads Mage's ``execution_date`` (or ``interval_start_datetime``
  / ``interval_end_datetime``) from its keyword arguments.

Only Python files have cues; the walk is one ``ast.walk`` over the tree the worker already parsed.
"""
from __future__ import annotations

import ast
import re
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
    cues["env_literals"] = _env_literals(tree) if not _docstring_only(tree) else []
    return cues


def _docstring_only(tree: ast.Module) -> bool:
    return all(isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant) for n in tree.body)


_IP = re.compile(r"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?![\w.])")
_DB_URL = re.compile(r"^(?:postgres|postgresql|mysql|mssql|oracle|snowflake|redshift|mongodb|jdbc|sqlite)\S*://",
                     re.IGNORECASE)   # connection strings are MAGE-BLK-006's
_HOST_PORT = re.compile(r"^(?:[a-z][a-z0-9+.-]*://)?(?:[^@/\s]+@)?([a-z0-9-]+(?:\.[a-z0-9-]+)*):(\d{2,5})(?:[/?].*)?$",
                        re.IGNORECASE)
_LOCALHOST = re.compile(r"(?<![\w.-])localhost(?![\w-])", re.IGNORECASE)
_BUCKET_URL = re.compile(r"^(?:s3a?|gs|abfss?|wasbs?|oss)://[^/\s{}]+", re.IGNORECASE)
_LOCAL_PATH = re.compile(r"^(?:/(?:home|Users|mnt|opt|data|srv|media)/|[A-Za-z]:\\)")
_MAGE_PATHS = ("/home/src",)          # Mage's own container layout, the same in every environment
_BUCKET_KEYWORDS = frozenset({"Bucket", "bucket", "bucket_name", "bucket_id"})
_ENV_READERS = frozenset({"getenv", "get"})


def env_literal_kind(text: str) -> str | None:
    """The kind of environment a literal pins, or None."""
    value = text.strip()
    if len(value) > 300 or not value or " " in value or _DB_URL.match(value):
        return None
    if _BUCKET_URL.match(value):
        return "bucket URL"
    if _LOCAL_PATH.match(value) and not value.startswith(_MAGE_PATHS):
        return "absolute local path"
    if _LOCALHOST.search(value):
        return "localhost"
    match = _HOST_PORT.match(value)
    if match and not match.group(1).isdigit():
        return "host:port endpoint" if not _IP.search(value) else "IP address"
    if _IP.search(value) and not value.startswith(("0.0.0.0", "255.")):
        return "IP address"
    return None


def _env_literals(tree: ast.AST) -> list[list]:
    defaults: set[int] = set()
    found: set[tuple[int, str]] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _ENV_READERS:
            defaults.update(id(arg) for arg in node.args[1:])
        elif isinstance(node, ast.keyword) and node.arg in _BUCKET_KEYWORDS and isinstance(node.value, ast.Constant) \
                and isinstance(node.value.value, str) and node.value.value and "{" not in node.value.value:
            found.add((node.value.lineno, "bucket name"))
            defaults.add(id(node.value))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in defaults:
            kind = env_literal_kind(node.value)
            if kind:
                found.add((node.lineno, kind))
    return [list(item) for item in sorted(found)]


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
