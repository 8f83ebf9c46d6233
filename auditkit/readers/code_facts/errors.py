"""Error-handling facts: ``swallowed_exceptions``, the lines of broad handlers that hide an error
from everyone."""
from __future__ import annotations

import ast

from auditkit.readers.code_facts.family import Family, FileState, Where
from auditkit.readers.code_facts.logs import is_logging_call
from auditkit.readers.code_facts.nodes import call_name, mentions

ERRORS = Family("error handling")

BROAD_EXCEPTIONS = frozenset({"Exception", "BaseException"})
CLEANUP_CALLS = frozenset({"close", "remove", "unlink", "rmtree", "rmdir", "dispose", "rollback", "disconnect",
                           "kill", "terminate", "shutdown", "cleanup", "delete", "release", "stop", "quit"})
PARSE_CALLS = frozenset({"strptime", "to_datetime", "to_numeric", "int", "float", "Decimal", "loads", "parse",
                         "fromisoformat", "literal_eval", "date", "datetime", "Timestamp", "strip", "lower", "split"})
EXIT_CALLS = frozenset({"exit", "_exit", "abort"})


@ERRORS.on_start
def _start(state: FileState) -> None:
    state.cleanup_handlers = set()   # ids of the handlers of best-effort cleanup


@ERRORS.on_node(ast.Try)
def _try(state: FileState, node: ast.Try, where: Where) -> None:
    # Ignoring errors is deliberate in a try that only releases resources (close, remove,
    # dispose...), in a try inside a ``finally`` (best effort while another error is on
    # its way), and in a parse fallback (only parsing calls, a constant in the handler).
    # The walk meets the try before its handlers.
    if node.body and (all(_is_cleanup(stmt) for stmt in node.body) or _is_parse_fallback(node)):
        state.cleanup_handlers.update(id(h) for h in node.handlers)
    for stmt in node.finalbody:
        for inner in ast.walk(stmt):
            if isinstance(inner, ast.Try):
                state.cleanup_handlers.update(id(h) for h in inner.handlers)


@ERRORS.on_node(ast.ExceptHandler)
def _handler(state: FileState, handler: ast.ExceptHandler, where: Where) -> None:
    """Record a handler that hides an error from everyone.

    Only broad handlers (bare, ``Exception``, ``BaseException``) count: a typed handler
    (``except ValueError: return None``) is a deliberate fallback. A broad handler is fine
    when it re-raises (anywhere inside it, also under a ``with``), exits, logs through a
    logger, or passes the error on (returns, stores or appends the caught exception). A
    print does not count: it reaches the block log, but the run goes on as if nothing
    failed. Best-effort cleanup (see :func:`_try`) is left alone.
    """
    if _is_broad(handler.type) and id(handler) not in state.cleanup_handlers \
            and not any(_tells_someone(node, handler.name) for node in ast.walk(handler)):
        state.facts["swallowed_exceptions"].append(handler.lineno)


def _tells_someone(node: ast.AST, bound: str | None) -> bool:
    """True when ``node`` (inside a handler that binds the error to ``bound``) re-raises, exits,
    logs or hands the error on."""
    if isinstance(node, ast.Raise):
        return True
    if isinstance(node, ast.Call):
        name, root = call_name(node)
        if is_logging_call(node) or (name in EXIT_CALLS and root in ("sys", "os")):
            return True
        # the error is handed to some call (errors.append(e), notify(e))
        return bool(bound) and name != "print" and mentions(node, bound)
    # the error goes back to the caller or into state it reads
    return bool(bound) and isinstance(node, (ast.Return, ast.Assign, ast.AugAssign, ast.Yield)) \
        and node.value is not None and mentions(node.value, bound)


def _is_broad(caught: ast.expr | None) -> bool:
    if caught is None:
        return True
    names = caught.elts if isinstance(caught, ast.Tuple) else [caught]
    return any(isinstance(n, ast.Name) and n.id in BROAD_EXCEPTIONS for n in names)


def _is_cleanup(stmt: ast.stmt) -> bool:
    return (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)
            and call_name(stmt.value)[0] in CLEANUP_CALLS)


def _is_parse_fallback(node: ast.Try) -> bool:
    """A try whose body only parses a value and whose handlers call nothing (return or assign a
    constant): a conversion with a default, not a hidden failure."""
    calls = [n for stmt in node.body for n in ast.walk(stmt) if isinstance(n, ast.Call)]
    if not calls or any(call_name(c)[0] not in PARSE_CALLS for c in calls):
        return False
    return not any(isinstance(n, ast.Call) for h in node.handlers for n in ast.walk(h))
