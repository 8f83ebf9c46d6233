"""Logging facts: ``print_calls`` (lines) and ``uses_logging`` (a logger, Mage's block logger or
the logging module)."""
from __future__ import annotations

import ast

from auditkit.readers.code_facts.family import Family, FileState, Where
from auditkit.readers.code_facts.nodes import call_name

LOGS = Family("logging")

LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "log"})
LOGGER_NAMES = frozenset({"logger", "log", "logging", "LOGGER", "LOG", "_logger", "_log"})


def is_logging_name(name: str, root: str) -> bool:
    """``logger.info``, ``self.log.error``, ``warnings.warn``: a call that logs."""
    if name in LOG_METHODS and (root in LOGGER_NAMES or "log" in root.lower()):
        return True
    return name in ("warn",) and root == "warnings"


def is_logging_call(call: ast.Call) -> bool:
    return is_logging_name(*call_name(call))


@LOGS.on_call("print")
def _print(state: FileState, call: ast.Call, name: str, root: str, where: Where) -> None:
    if not root:
        state.facts["print_calls"].append(call.lineno)


@LOGS.on_call(LOG_METHODS)
def _log_call(state: FileState, call: ast.Call, name: str, root: str, where: Where) -> None:
    if is_logging_name(name, root):
        state.facts["uses_logging"] = True


@LOGS.on_call("get")
def _mage_logger(state: FileState, call: ast.Call, name: str, root: str, where: Where) -> None:
    # kwargs.get('logger') is Mage's block logger
    if call.args and isinstance(call.args[0], ast.Constant) and call.args[0].value == "logger":
        state.facts["uses_logging"] = True


@LOGS.on_node(ast.Subscript)
def _mage_logger_item(state: FileState, node: ast.Subscript, where: Where) -> None:
    # kwargs['logger'] is Mage's block logger
    key = node.slice
    if isinstance(key, ast.Constant) and key.value == "logger":
        state.facts["uses_logging"] = True


@LOGS.on_node(ast.Import, ast.ImportFrom)
def _logging_import(state: FileState, node: ast.Import, where: Where) -> None:
    names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
    if any(n == "logging" or n.startswith("logging.") for n in names):
        state.facts["uses_logging"] = True
