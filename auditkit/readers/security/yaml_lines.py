"""The lines detect-secrets' YAML transformer would make, without its line numbers, fast.

detect-secrets scans a YAML file as one ``key: "value"<comment>`` line per string (or binary)
value of a mapping, numbered by its pure-Python parser (~3 ms a KB). Which plugins could find
anything there does not depend on the numbers: :func:`pseudo_lines` composes the file with
libyaml (``CSafeLoader``, same resolver, same values) and gives each such ``key: "value"`` line;
comments are on the file's own lines. Numbers, booleans and nulls become lines too (a superset
costs nothing but a rare slow path). A plugin's pattern cannot run from a value into the comment
behind it (the closing quote and the blank before ``#`` stop every pattern; no probe literal
holds a quote), so when no plugin's probe finds any of these lines nor any raw line, the
transformer's lines hold nothing either and the file is skipped. Anything unusual (several
documents, a non-scalar key, a parse error, libyaml missing) answers None: the caller then
runs detect-secrets' transformer itself. ``tests/test_secret_parity.py`` checks the shortcut.
"""
from __future__ import annotations

import base64
import binascii

import yaml

_STR = "tag:yaml.org,2002:str"
_BINARY = "tag:yaml.org,2002:binary"


def is_yaml(path: str) -> bool:
    from detect_secrets.util.filetype import FileType, determine_file_type

    return determine_file_type(path) == FileType.YAML


_SEQ, _MAP = "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"


def _loader():
    """libyaml's safe loader that calls every implicit scalar a string: a superset of the
    values detect-secrets keeps (its strings), without the regex resolver's cost."""
    base = getattr(yaml, "CSafeLoader", None)
    if base is None:
        return None

    class EveryScalarAString(base):
        def resolve(self, kind, value, implicit):
            return _STR if kind is yaml.ScalarNode else _SEQ if kind is yaml.SequenceNode else _MAP
    return EveryScalarAString


_LOADER = _loader()


def pseudo_lines(text: str) -> list[str] | None:
    """``key: "value"`` for every string or binary value of every mapping (and, as a superset,
    every other implicit scalar), or None (see module doc)."""
    loader = _LOADER
    if loader is None:
        return None
    try:
        root = yaml.compose(text, Loader=loader)
    except (yaml.YAMLError, ValueError, TypeError, RecursionError):
        return None
    lines: list[str] = []
    stack = [root] if root is not None else []
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:   # aliases share nodes
            continue
        seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if not isinstance(key, yaml.ScalarNode):
                    return None
                stack.append(value)
                if isinstance(value, yaml.ScalarNode) and value.tag in (_STR, _BINARY):
                    shown = _binary(value.value) if value.tag == _BINARY else value.value
                    if shown is None:
                        return None
                    lines.append(f'{key.value}: "{shown.replace(chr(34), chr(92) + chr(34))}"')
    return lines


def _binary(value: str) -> str | None:
    try:
        return base64.b64encode(base64.decodebytes(value.encode("ascii"))).decode()
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return None
