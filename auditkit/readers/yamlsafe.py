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

# Implicit tag resolution is a pure function of (kind, value, implicit) and runs in Python
# for every node libyaml composes; Mage files repeat the same short values thousands of times.
_RESOLVED_TAGS: dict[tuple, str] = {}
_RESOLVED_TAGS_MAX = 50_000
_RESOLVED_VALUE_MAX_CHARS = 200


def _resolve_memo(self, kind, value, implicit):
    key = (kind, value, implicit)
    try:
        return _RESOLVED_TAGS[key]
    except KeyError:
        tag = _BaseLoader.resolve(self, kind, value, implicit)
        if len(_RESOLVED_TAGS) < _RESOLVED_TAGS_MAX and (value is None or len(value) <= _RESOLVED_VALUE_MAX_CHARS):
            _RESOLVED_TAGS[key] = tag
        return tag


_AuditLoader.resolve = _resolve_memo

_STR_TAG = "tag:yaml.org,2002:str"
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
# Scalar tags whose SafeConstructor function is a plain, non-recursive conversion.
_PLAIN_SCALAR_TAGS = frozenset(f"tag:yaml.org,2002:{name}"
                               for name in ("null", "bool", "int", "float", "timestamp", "binary"))


class _NotPlainTree(Exception):
    """The node graph needs the full constructor (merge keys, python/unknown tags, odd keys)."""


def _build_plain_tree(loader, node):
    """Build the data of an alias-free node tree exactly as ``construct_document`` would.

    Only str/map/seq and plain scalar tags are handled, with scalar keys; anything else raises
    :class:`_NotPlainTree` and the caller uses PyYAML's constructor. Depth is bounded by
    MAX_DEPTH before this runs, so the recursion is shallow.
    """
    tag, kind = node.tag, type(node)
    if tag == _STR_TAG and kind is yaml.ScalarNode:
        return node.value
    if tag == _MAP_TAG and kind is yaml.MappingNode:
        mapping = {}
        for key_node, value_node in node.value:
            key_tag = key_node.tag
            if type(key_node) is not yaml.ScalarNode:
                raise _NotPlainTree   # collection keys: PyYAML decides (usually unhashable)
            if key_tag == _STR_TAG:
                key = key_node.value
            elif key_tag in _PLAIN_SCALAR_TAGS:
                key = loader.yaml_constructors[key_tag](loader, key_node)
            else:
                raise _NotPlainTree   # merge ("<<"), value ("="), collection or tagged keys
            mapping[key] = _build_plain_tree(loader, value_node)
        return mapping
    if tag == _SEQ_TAG and kind is yaml.SequenceNode:
        return [_build_plain_tree(loader, child) for child in node.value]
    if tag in _PLAIN_SCALAR_TAGS and kind is yaml.ScalarNode:
        return loader.yaml_constructors[tag](loader, node)
    raise _NotPlainTree


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


_LINE_PREFIX_RE = re.compile(r"^[ \t?:-]*", re.M)


def _provably_bounded(text: str) -> bool:
    """True when an alias-free ``text`` cannot exceed MAX_DEPTH or MAX_EXPANDED_NODES.

    Without ``&`` there are no anchors, hence no aliases (an alias to nothing is a parse
    error), so the expanded size is the node count, and no node needs more than ~2
    characters. A block collection starts at or before the end of a line's leading run of
    spaces, tabs, ``-``, ``?`` and ``:`` (its "prefix"), and nesting one inside another moves
    right by at least one column every two levels, so block depth <= 2 * prefix + 1. Flow
    depth is at most the number of non-empty ``[``/``{`` (``[]``/``{}`` hold nothing). Brackets
    inside strings only over-count, so the bound is safe; when it is not small enough the
    node walk decides.
    """
    if len(text) * 3 + 8 > MAX_EXPANDED_NODES:
        return False
    flow = (text.count("[") - text.count("[]")) + (text.count("{") - text.count("{}"))
    if flow + 3 > MAX_DEPTH:
        return False
    prefix = max(map(len, _LINE_PREFIX_RE.findall(text)), default=0)
    return 2 * prefix + 1 + flow + 2 <= MAX_DEPTH


def _construct(loader, node: yaml.Node | None, tree: bool) -> Any:
    """Python data for ``node``: the fast builder for bounded alias-free trees, else PyYAML's."""
    if node is None:
        return None
    if tree:
        try:
            return _build_plain_tree(loader, node)
        except _NotPlainTree:
            pass
        except (ValueError, TypeError, KeyError, yaml.YAMLError):
            pass    # let PyYAML's constructor raise (or not) with its own message
    return loader.construct_document(node)


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


_FALLBACK = object()


def _data_from_events(source: str) -> Any:
    """Data of a bounded alias-free document built straight from parser events.

    Skips composing nodes (most of libyaml's cost in Python) and gives exactly what
    compose + construct give for str/map/seq/plain-scalar documents. Anything else (anchors,
    other tags, collection or merge keys, parse errors, several documents) returns
    ``_FALLBACK`` and the caller takes the full path, which reports errors as usual.
    """
    loader = _AuditLoader(source)
    try:
        return _build_from_events(loader)
    except Exception:  # noqa: BLE001 - the full path re-parses and reports the same input
        return _FALLBACK
    finally:
        loader.dispose()


def _build_from_events(loader) -> Any:
    get_event = loader.get_event
    get_event()                                    # StreamStartEvent
    event = get_event()
    if type(event) is yaml.StreamEndEvent:
        return None                                # empty stream: no document, data None
    if type(event) is not yaml.DocumentStartEvent:
        return _FALLBACK
    # Stack of open containers: [container, is_mapping, key, key_pending]
    stack: list[list] = []
    root = _FALLBACK
    while True:
        event = get_event()
        kind = type(event)
        if kind is yaml.ScalarEvent:
            value, opened = _scalar_value(loader, event), False
        elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
            value, opened = _empty_collection(loader, event, kind is yaml.MappingStartEvent), True
        elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
            frame = stack.pop()
            if frame[3]:
                return _FALLBACK
            if not stack:
                break
            continue
        else:                                      # aliases and anything unexpected
            return _FALLBACK
        if value is _FALLBACK:
            return _FALLBACK
        if stack:
            parent = stack[-1]
            if not parent[1]:
                parent[0].append(value)
            elif parent[3]:
                parent[0][parent[2]] = value
                parent[3] = False
            else:
                # A key: only a str or plain scalar (all _scalar_value lets through), never a
                # collection; merge ("<<") and value ("=") keys have other tags.
                if opened:
                    return _FALLBACK
                parent[2], parent[3] = value, True
        else:
            root = value
        if opened:
            stack.append([value, kind is yaml.MappingStartEvent, None, False])
        elif not stack:
            break
    if type(get_event()) is not yaml.DocumentEndEvent or type(get_event()) is not yaml.StreamEndEvent:
        return _FALLBACK
    return root


def _scalar_value(loader, event: yaml.ScalarEvent) -> Any:
    """What construct gives for a str or plain scalar (null, bool, int, float...);
    ``_FALLBACK`` for an anchored scalar or any other tag."""
    if event.anchor is not None:
        return _FALLBACK
    tag = event.tag
    if tag is None or tag == "!":
        tag = loader.resolve(yaml.ScalarNode, event.value, event.implicit)
    if tag == _STR_TAG:
        return event.value
    if tag in _PLAIN_SCALAR_TAGS:
        return loader.yaml_constructors[tag](loader, yaml.ScalarNode(tag, event.value, event.start_mark,
                                                                     event.end_mark, style=event.style))
    return _FALLBACK


def _empty_collection(loader, event: yaml.CollectionStartEvent, is_mapping: bool) -> Any:
    """A new dict or list for a plain mapping or sequence; ``_FALLBACK`` when anchored or tagged."""
    if event.anchor is not None:
        return _FALLBACK
    tag = event.tag
    if tag is None or tag == "!":
        tag = loader.resolve(yaml.MappingNode if is_mapping else yaml.SequenceNode, None, event.implicit)
    if tag != (_MAP_TAG if is_mapping else _SEQ_TAG):
        return _FALLBACK
    return {} if is_mapping else []


def load_yaml(text: str, path: str, problems: ProblemLog | None = None, *,
              jinja: bool = False, project: str | None = None, keep_node: bool = True) -> YamlResult:
    """Safely parse one YAML document; bad input becomes an input problem, never an exception.

    ``jinja=True`` keeps Jinja expressions as text (see :func:`quote_jinja`). The result
    carries the composed ``node`` (for line numbers) and a ``python_tags`` flag;
    ``keep_node=False`` allows a faster load whose ``node`` may be None.
    """
    python_tags = yaml_has_python_tags(text)
    source = quote_jinja(text) if jinja else text
    loader = None
    try:
        _precheck_text(source)
        tree = "&" not in source and _provably_bounded(source)
        if tree and not keep_node:
            data = _data_from_events(source)
            if data is not _FALLBACK:
                return YamlResult(data=data, node=None, ok=True, python_tags=python_tags)
        loader = _AuditLoader(source)
        node = loader.get_single_node()
        if not tree:
            python_tags = check_node_bounds(node) or python_tags
        data = _construct(loader, node, tree)
        return YamlResult(data=data, node=node, ok=True, python_tags=python_tags)
    except YamlRejected as exc:
        _report(problems, path, "yaml_rejected", f"YAML refused: {exc}", project)
    except yaml.YAMLError as exc:
        line = error_line(exc)
        problem = getattr(exc, "problem", None) or type(exc).__name__
        where = f"line {line}: " if line else ""
        _report(problems, path, "yaml", f"malformed YAML, {where}{problem}", project)
    except (RecursionError, MemoryError, ValueError, TypeError, KeyError) as exc:  # KeyError: `!!bool maybe`
        _report(problems, path, "yaml", f"malformed YAML: {type(exc).__name__}", project)
    finally:
        if loader is not None:
            loader.dispose()
    return YamlResult(data=None, node=None, ok=False, python_tags=python_tags)


def _report(problems: ProblemLog | None, path: str, kind: str, reason: str, project: str | None) -> None:
    if problems is not None:
        problems.add(path, kind, reason, project)
