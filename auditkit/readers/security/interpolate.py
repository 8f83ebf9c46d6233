"""``${VAR}`` interpolation as docker compose (and Dockerfile ``ARG``/``ENV``) performs it.

Compose replaces ``$VAR`` and ``${VAR}`` from the shell environment or the ``.env`` file next to
the compose file; ``${VAR:-default}`` (unset or empty) and ``${VAR-default}`` (unset) fall back
to a default, which may itself hold variables; ``${VAR:?msg}`` / ``${VAR?msg}`` require the
variable; ``${VAR:+alt}`` / ``${VAR+alt}`` give ``alt`` when it is set; ``$$`` is a literal ``$``.
The audit knows only the committed files, so a variable that no committed file sets is
*unresolved*: its default is what the file says will run unless someone sets it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
MAX_DEPTH = 8


@dataclass
class Interpolated:
    """The text after interpolation and how it was obtained."""

    text: str
    variables: list[str] = field(default_factory=list)      # every variable the text names
    unresolved: list[str] = field(default_factory=list)     # set by no committed file, no default
    defaulted: list[str] = field(default_factory=list)      # unset; their default was used
    from_file: list[str] = field(default_factory=list)      # taken from the .env file / ARG values

    @property
    def is_plain(self) -> bool:
        """No variable at all: the text is a literal written in the file."""
        return not self.variables

    @property
    def complete(self) -> bool:
        """Every variable got a value (from a committed file or a default)."""
        return not self.unresolved


def interpolate(text: str, values: dict[str, str] | None = None) -> Interpolated:
    """``text`` with ``$VAR``/``${VAR...}`` replaced from ``values`` (see the module docstring).

    Unresolved variables become the empty string, as compose does (with a warning)."""
    result = Interpolated("")
    result.text = _expand(str(text), values or {}, result, 0)
    return result


def _expand(text: str, values: dict[str, str], result: Interpolated, depth: int) -> str:
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char != "$" or i + 1 >= n:
            out.append(char)
            i += 1
            continue
        nxt = text[i + 1]
        if nxt == "$":
            out.append("$")
            i += 2
        elif nxt == "{":
            end = _closing_brace(text, i + 2)
            if end < 0 or depth >= MAX_DEPTH:
                out.append(text[i:])
                break
            out.append(_braced(text[i + 2:end], values, result, depth))
            i = end + 1
        else:
            match = _NAME_RE.match(text, i + 1)
            if not match:
                out.append(char)
                i += 1
                continue
            out.append(_lookup(match.group(0), values, result))
            i = match.end()
    return "".join(out)


def _closing_brace(text: str, start: int) -> int:
    level = 1
    for index in range(start, len(text)):
        if text[index] == "{":
            level += 1
        elif text[index] == "}":
            level -= 1
            if level == 0:
                return index
    return -1


def _lookup(name: str, values: dict[str, str], result: Interpolated) -> str:
    result.variables.append(name)
    if name in values and values[name] is not None:
        result.from_file.append(name)
        return str(values[name])
    result.unresolved.append(name)
    return ""


def _braced(inner: str, values: dict[str, str], result: Interpolated, depth: int) -> str:
    match = _NAME_RE.match(inner)
    if not match:
        return ""
    name, rest = match.group(0), inner[match.end():]
    if not rest:
        return _lookup(name, values, result)
    result.variables.append(name)
    value = values.get(name)
    is_set = value is not None
    for operator in (":-", "-", ":?", "?", ":+", "+"):
        if rest.startswith(operator):
            argument = rest[len(operator):]
            break
    else:
        return _lookup(name, values, result)
    empty_counts = operator.startswith(":")
    usable = is_set and not (empty_counts and value == "")
    if operator in (":-", "-"):
        if usable or (is_set and not empty_counts):
            result.from_file.append(name)
            return str(value)
        result.defaulted.append(name)
        return _expand(argument, values, result, depth + 1)
    if operator in (":?", "?"):
        if usable:
            result.from_file.append(name)
            return str(value)
        result.unresolved.append(name)
        return ""
    # :+ / + : the alternative when set, else empty
    if usable or (is_set and not empty_counts):
        result.from_file.append(name)
        return _expand(argument, values, result, depth + 1)
    result.defaulted.append(name)
    return ""
