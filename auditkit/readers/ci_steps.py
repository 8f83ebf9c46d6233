"""What a repository's CI configuration runs: test commands that are active, and test commands
that are commented out or sit in a disabled job.

Line-based on purpose: CI formats differ (GitHub Actions, GitLab, Jenkinsfile, ...), but a test
command is a test command in all of them. A GitHub Actions job with ``if: false`` (or
``${{ false }}``) counts as disabled: YAML is parsed for that only.
"""
from __future__ import annotations

import os
import re
from typing import Any

from auditkit.readers.paths import decode_text, read_limited
from auditkit.readers.yamlsafe import load_yaml

MAX_CI_BYTES = 512 * 1024
# Commands that run a test suite, data tests, or the audit itself.
TEST_COMMAND = re.compile(
    r"(?<![\w.-])(pytest|py\.test|unittest|tox|nox|make\s+(?:test|check)\w*|auditkit\s+check|dbt\s+(?:test|build)"
    r"|great_expectations|npm\s+(?:run\s+)?test|mage\s+test)(?![\w-])", re.IGNORECASE)
_COMMENT = re.compile(r"^\s*(#|//|--)")
_FALSE = re.compile(r"^\s*(false|\$\{\{\s*false\s*\}\})\s*$", re.IGNORECASE)


def ci_test_steps(top: str, ci_files: list[str]) -> list[dict[str, Any]]:
    """Per CI file: ``{"path", "active": [line, ...], "disabled": [[line, why], ...]}`` of the
    lines that run tests (``why``: "commented out" or "in a disabled job")."""
    out = []
    for rel in ci_files:
        path = os.path.join(top, rel)
        try:
            size = os.path.getsize(path)
        except OSError:
            continue
        data, _skipped = read_limited(path, size, MAX_CI_BYTES)
        if data is None:
            continue
        text, _ = decode_text(data)
        out.append({"path": rel, **_test_lines(text, _disabled_spans(text, rel))})
    return out


def _test_lines(text: str, disabled: list[tuple[int, int]]) -> dict[str, list]:
    active: list[int] = []
    off: list[list] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not TEST_COMMAND.search(line):
            continue
        if _COMMENT.match(line):
            off.append([number, "commented out"])
        elif any(first <= number <= last for first, last in disabled):
            off.append([number, "in a disabled job"])
        else:
            active.append(number)
    return {"active": active, "disabled": off}


def _disabled_spans(text: str, rel: str) -> list[tuple[int, int]]:
    """Line spans of GitHub Actions jobs whose ``if`` is false."""
    if not rel.startswith(".github/workflows/"):
        return []
    loaded = load_yaml(text, rel, None)
    jobs_node = _mapping_value(loaded.node, "jobs")
    spans = []
    for _key, job in _items(jobs_node):
        condition = _mapping_value(job, "if")
        if condition is not None and _FALSE.match(str(getattr(condition, "value", ""))):
            spans.append((job.start_mark.line + 1, max(job.start_mark.line + 1, job.end_mark.line)))
    return spans


def _items(node: Any) -> list:
    value = getattr(node, "value", None)
    return [(k, v) for k, v in value] if isinstance(value, list) and value and isinstance(value[0], tuple) else []


def _mapping_value(node: Any, key: str) -> Any:
    return next((v for k, v in _items(node) if getattr(k, "value", None) == key), None)
