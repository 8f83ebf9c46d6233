"""Bounded, safe YAML loading for files written by (or for) Mage.

Mage loads pipeline YAML with PyYAML's unsafe loader, so a committed ``!!python/...`` tag
runs code inside Mage. Here such tags never run: they become a marker string and the file is
flagged (:func:`yaml_has_python_tags`). Hostile files cannot exhaust time or memory: nesting
depth is checked before libyaml sees the text (libyaml's composer recurses and crashes the
interpreter on very deep flow nesting), and alias expansion ("billion laughs") is measured on
the composed node graph before any Python object is built.

Project ``metadata.yaml`` and ``io_config.yaml`` are Jinja templates in Mage. Jinja is never
rendered: :func:`quote_jinja` turns ``{{ ... }}`` values into quoted strings and ``{% ... %}``
statement lines into comments, keeping line numbers.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from auditkit.model import ProblemLog

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_DEPTH = 100                 # nesting levels; Mage files stay under ~15
MAX_EXPANDED_NODES = 2_000_000  # nodes after alias expansion; a 2,000-block pipeline is ~100k
_MAX_FLOW_DEPTH_TEXT = MAX_DEPTH   # brackets open at once, checked on the raw text
_MAX_PREFIX_TEXT = 800          # leading spaces/dashes on one line, checked on the raw text

PYTHON_TAG_PREFIX = "tag:yaml.org,2002:python/"
_PYTHON_TAG_RE = re.compile(r"!!python/|tag:yaml\.org,2002:python/")
_BRACKET_RE = re.compile(r"[\[\]{}]")
_DEEP_PREFIX_RE = re.compile(r"^[ \t-]{%d,}" % _MAX_PREFIX_TEXT, re.M)
# A value (after "key: " or "- ") that starts with a Jinja expression or statement.
_JINJA_VALUE_RE = re.compile(r"^(?P<head>[ \t]*(?:-[ \t]+)*(?:[^\s#'\"{][^#]*?:[ \t]+)?)(?P<val>\{[{%#].*?)[ \t]*$", re.M)
_JINJA_STATEMENT_LINE_RE = re.compile(r"^([ \t]*)(\{%.*%\}|\{#.*#\})[ \t]*$", re.M)


class YamlRejected(ValueError):
    """The text is refused before or while loading (too deep, too many alias expansions)."""


@dataclass
class YamlResult:
    """Outcome of :func:`load_yaml`: ``data`` is None when ``ok`` is False."""

    data: Any = None
    node: yaml.Node | None = None
    ok: bool = True
    python_tags: bool = False


def yaml_has_python_tags(text: str) -> bool:
    """True when ``text`` contains a PyYAML ``!!python/...`` tag (in any spelling)."""
    return bool(_PYTHON_TAG_RE.search(text))


def quote_jinja(text: str) -> str:
    """Make a Jinja-templated YAML text parseable without rendering it.

    ``key: {{ env_var('X') }}`` becomes ``key: '{{ env_var(''X'') }}'``; a line holding only a
    ``{% ... %}`` or ``{# ... #}`` tag becomes a comment. Line count is unchanged, so parser
    line numbers still point at the original file.
    """
    if "{{" not in text and "{%" not in text and "{#" not in text:
        return text
    text = _JINJA_STATEMENT_LINE_RE.sub(lambda m: f"{m.group(1)}# {m.group(2)}", text)

    def _quote(match: re.Match) -> str:
        value = match.group("val").replace("'", "''")
        return f"{match.group('head')}'{value}'"

    return _JINJA_VALUE_RE.sub(_quote, text)


class _AuditLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """Safe loader that turns python tags and unknown tags into plain data instead of failing."""


def _python_tag_marker(loader, tag_suffix, node):
    # The tag is recorded, never constructed: constructing is exactly what runs code.
    return f"<python tag: python/{tag_suffix}>"


def _unknown_tag(loader, node):
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_mapping(node, deep=True)


_AuditLoader.add_multi_constructor(PYTHON_TAG_PREFIX, _python_tag_marker)
_AuditLoader.add_constructor(None, _unknown_tag)


def _precheck_text(text: str) -> None:
    """Refuse texts whose nesting could crash libyaml's recursive composer."""
    if _DEEP_PREFIX_RE.search(text):
        raise YamlRejected(f"nesting too deep (a line is indented by {_MAX_PREFIX_TEXT}+ characters)")
    if text.count("[") + text.count("{") <= _MAX_FLOW_DEPTH_TEXT:
        return
    depth = 0
    for match in _BRACKET_RE.finditer(text):
        depth += 1 if match.group() in "[{" else -1
        if depth > _MAX_FLOW_DEPTH_TEXT:
            raise YamlRejected(f"nesting too deep (more than {_MAX_FLOW_DEPTH_TEXT} open brackets)")


def check_node_bounds(root: yaml.Node | None) -> bool:
    """Measure depth and alias-expanded size of a composed node graph without recursion.

    Returns whether any ``!!python/`` tag occurs. Raises :class:`YamlRejected` when the
    expanded size exceeds ``MAX_EXPANDED_NODES`` or the depth exceeds ``MAX_DEPTH``.
    """
    if root is None:
        return False
    sizes: dict[int, int] = {}     # id(node) -> expanded size; anchors share node objects
    python_tags = False
    # Iterative post-order walk: (node, depth, children_done)
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    on_path: set[int] = set()
    while stack:
        node, depth, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            children = _children(node)
            total = 1 + sum(sizes[id(c)] for c in children)
            if total > MAX_EXPANDED_NODES:
                raise YamlRejected(f"alias expansion too large (over {MAX_EXPANDED_NODES:,} nodes)")
            sizes[key] = total
            continue
        if key in sizes:
            continue
        if key in on_path:  # recursive alias: expansion would be infinite
            raise YamlRejected("recursive alias")
        if depth > MAX_DEPTH:
            raise YamlRejected(f"nesting deeper than {MAX_DEPTH} levels")
        if node.tag and node.tag.startswith(PYTHON_TAG_PREFIX):
            python_tags = True
        on_path.add(key)
        stack.append((node, depth, True))
        for child in _children(node):
            if id(child) not in sizes:
                stack.append((child, depth + 1, False))
    return python_tags


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return node.value
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def error_line(exc: Exception) -> int | None:
    """1-based line of a PyYAML error, when the parser reported one."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    return mark.line + 1 if mark is not None else None


def load_yaml(text: str, path: str, problems: ProblemLog | None = None, *,
              jinja: bool = False, project: str | None = None) -> YamlResult:
    """Safely parse one YAML document; bad input becomes an input problem, never an exception.

    ``jinja=True`` keeps Jinja expressions as text (see :func:`quote_jinja`). The result
    carries the composed ``node`` (for line numbers) and a ``python_tags`` flag.
    """
    python_tags = yaml_has_python_tags(text)
    source = quote_jinja(text) if jinja else text
    loader = None
    try:
        _precheck_text(source)
        loader = _AuditLoader(source)
        node = loader.get_single_node()
        if "&" in source:
            # Without anchors there is nothing to expand, and nesting was bounded by
            # _precheck_text; the node walk costs as much as parsing, so skip it then.
            python_tags = check_node_bounds(node) or python_tags
        data = loader.construct_document(node) if node is not None else None
        return YamlResult(data=data, node=node, ok=True, python_tags=python_tags)
    except YamlRejected as exc:
        _report(problems, path, "yaml_rejected", f"YAML refused: {exc}", project)
    except yaml.YAMLError as exc:
        line = error_line(exc)
        problem = getattr(exc, "problem", None) or type(exc).__name__
        where = f"line {line}: " if line else ""
        _report(problems, path, "yaml", f"malformed YAML, {where}{problem}", project)
    except (RecursionError, MemoryError, ValueError, TypeError) as exc:
        _report(problems, path, "yaml", f"malformed YAML: {type(exc).__name__}", project)
    finally:
        if loader is not None:
            loader.dispose()
    return YamlResult(data=None, node=None, ok=False, python_tags=python_tags)


def _report(problems: ProblemLog | None, path: str, kind: str, reason: str, project: str | None) -> None:
    if problems is not None:
        problems.add(path, kind, reason, project)
