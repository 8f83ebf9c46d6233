"""Copy-paste detection: a block file's code as a sequence of normalised units, and the clone
clusters found among many files by hashing windows of units (cost linear in the code read).

**Units** (:func:`clone_units`, computed once per file by the worker that parses it, see
:mod:`auditkit.readers.filejob`):

* Python: one unit per statement, in source order. A compound statement (``def``, ``if``,
  ``for``, ``with``, ``try``, ...) gives one unit for its header and its body follows as units of
  their own, one level deeper. The file's own names (variables, parameters, its functions and
  classes: every name that is neither imported nor a builtin) are renamed by order of appearance
  within the unit, so a copy whose variables were renamed still matches; imported and builtin
  names, attributes, keyword names and literal values are kept, so two blocks that only share a shape (``df = df.dropna()`` on different
  columns, different APIs) do not. Imports, ``pass``, docstrings and Mage's decorator-import guard
  (``if 'data_loader' not in globals():``, or ``dir()``) are boilerplate every block has, and give no unit.
* SQL and R: one unit per code line (comments and blank lines dropped, whitespace collapsed,
  SQL lower-cased).
* Lines of Mage's own block templates (:mod:`auditkit.readers.templates`) give no unit either:
  every block the UI created starts from them, so sharing them is not copying.

A unit is kept as a 64-bit hash (16 hex characters) and its first and last line, so the units of
40,000 files fit in memory and in the per-file cache.

**Clusters** (:func:`find_clone_clusters`): every window of ``window`` consecutive units is
hashed; windows whose hash occurs in two files or more are copied code. Files joined by a
copied window form a cluster; each member's copied lines are the union of its copied windows.
Grouping hashes is one sort of a numpy array: no pair of files is ever compared.
"""
from __future__ import annotations

import ast
import builtins
import hashlib
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import numpy as np

from auditkit.readers.templates import line_hash, template_facts

HASH_HEX = 16                     # hex characters per unit hash (64 bits)
_BODY_FIELDS = frozenset({"body", "orelse", "finalbody", "handlers", "cases"})
_SKIPPED_STATEMENTS = (ast.Import, ast.ImportFrom, ast.Pass)
_LINE_COMMENTS = {"sql": ("--",), "r": ("#",)}
_BUILTINS = frozenset(dir(builtins))
_SKIPPED_FIELDS = _BODY_FIELDS | {"ctx", "type_comment"}
_MIX = np.uint64(0x9E3779B97F4A7C15)   # multiplier of the rolling window hash (odd: a bijection)


def clone_units(text: str, tree: ast.AST | None, language: str) -> dict[str, Any] | None:
    """``{"h": <16 hex chars per unit>, "l": [first, last, first, last, ...]}`` of one file, or
    None when the language has no units (markdown, YAML) or a Python file did not parse."""
    try:
        if language == "python":
            units = _python_units(tree) if isinstance(tree, ast.Module) else None
        elif language in _LINE_COMMENTS:
            units = _line_units(text, language)
        else:
            units = None
    except RecursionError:          # a pathologically deep expression: no units, never an error
        return None
    if units is None:
        return None
    units = _without_template_lines(units, text)
    hashes = "".join(_digest(key) for key, _, _ in units)
    lines: list[int] = []
    for _, first, last in units:
        lines += (first, last)
    return {"h": hashes, "l": lines}


def _without_template_lines(units: list[tuple[str, int, int]], text: str) -> list[tuple[str, int, int]]:
    """``units`` less those whose every code line is a line of a Mage template."""
    known = template_facts()["template_lines"]
    lines = text.splitlines()
    kept = []
    for unit in units:
        code = [line.strip() for line in lines[unit[1] - 1:unit[2]] if line.strip()]
        if not code or not all(line_hash(line) in known for line in code):
            kept.append(unit)
    return kept


def _digest(key: str) -> str:
    return hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=HASH_HEX // 2).hexdigest()


# --- SQL and R -------------------------------------------------------------------------

def _line_units(text: str, language: str) -> list[tuple[str, int, int]]:
    comments = _LINE_COMMENTS[language]
    units = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = " ".join(raw.split())
        if not line or line.startswith(comments) or (language == "sql" and line.startswith("{#")):
            continue
        units.append((line.lower() if language == "sql" else line, number, number))
    return units


# --- Python ----------------------------------------------------------------------------

def _python_units(tree: ast.Module) -> list[tuple[str, int, int]]:
    kept = _BUILTINS | _imported_names(tree.body)
    units: list[tuple[str, int, int]] = []
    _statements(tree.body, 0, kept, units)
    return units


def _imported_names(body: Sequence[ast.AST]) -> frozenset[str]:
    """Names bound by the imports anywhere in the file (statements only: no expression walk).
    Every other name the file uses is its own to rename; imported and builtin names are kept."""
    names: set[str] = set()
    pending = list(body)
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
            continue
        for field_name in _BODY_FIELDS:
            pending.extend(getattr(node, field_name, None) or ())
    return frozenset(names)


def _is_boilerplate(node: ast.stmt) -> bool:
    if isinstance(node, _SKIPPED_STATEMENTS):
        return True
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
        return True          # docstrings and bare strings
    return isinstance(node, ast.If) and _is_globals_guard(node.test)


def _is_globals_guard(test: ast.expr) -> bool:
    """``'data_loader' not in globals()`` (or ``dir()``): the import guard Mage writes at the top
    of a block."""
    return (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.NotIn)
            and isinstance(test.comparators[0], ast.Call) and isinstance(test.comparators[0].func, ast.Name)
            and test.comparators[0].func.id in ("globals", "dir"))


def _statements(body: Sequence[ast.AST], depth: int, kept: frozenset[str],
                units: list[tuple[str, int, int]]) -> None:
    for node in body:
        if isinstance(node, ast.stmt) and _is_boilerplate(node):
            continue
        key = _Header(kept).text(node)
        line = _line(node)
        first = min([line] + [d.lineno for d in getattr(node, "decorator_list", ())])
        children = _children(node)
        last = getattr(node, "end_lineno", None) or line
        if children:
            last = max(line, _line(children[0][1][0]) - 1)
        units.append((f"{depth}|{key}", first, last))
        for name, value in children:
            if name in ("orelse", "finalbody"):      # "else:" / "finally:" is a unit of its own
                units.append((f"{depth}|{name}", _line(value[0]), _line(value[0])))
            _statements(value, depth + 1, kept, units)


def _children(node: ast.AST) -> list[tuple[str, list]]:
    """(field, statements) of a compound statement's non-empty bodies, in field order."""
    kind = type(node)
    names = _BODIES.get(kind)
    if names is None:
        names = _BODIES[kind] = tuple(f for f in kind._fields if f in _BODY_FIELDS)
    return [(name, value) for name in names if (value := getattr(node, name, None))]


_BODIES: dict[type, tuple[str, ...]] = {}


def _line(node: ast.AST) -> int:
    """A node's first line (a ``match`` case has none of its own: its pattern's)."""
    line = getattr(node, "lineno", None)
    return line if isinstance(line, int) else _line(node.pattern)


@dataclass
class _Header:
    """The normalised text of one statement without its nested bodies."""

    kept: frozenset[str]                       # imported and builtin names: never renamed
    renamed: dict[str, str] = field(default_factory=dict)

    def name(self, identifier: str) -> str:
        if identifier in self.kept:
            return identifier
        if identifier not in self.renamed:
            self.renamed[identifier] = f"${len(self.renamed)}"
        return self.renamed[identifier]

    def text(self, node: Any) -> str:
        kind = type(node)
        if kind is ast.Name:
            return self.name(node.id)
        if kind is ast.Constant:
            return repr(node.value)
        if kind is ast.Attribute:
            return f"{self.text(node.value)}.{node.attr}"
        if kind is ast.arg:
            return self.name(node.arg)
        if kind is list:
            return "[" + ",".join([self.text(item) for item in node]) + "]"
        if isinstance(node, ast.AST):
            fields = _FIELDS.get(kind)
            if fields is None:
                fields = _FIELDS[kind] = tuple(f for f in kind._fields if f not in _SKIPPED_FIELDS)
            parts = [kind.__name__]
            for name in fields:
                value = getattr(node, name, None)
                if name == "name" and isinstance(value, str):
                    parts.append(self.name(value))
                else:
                    parts.append(self.text(value))
            return "(" + " ".join(parts) + ")"
        return repr(node)


_FIELDS: dict[type, tuple[str, ...]] = {}


# --- clusters --------------------------------------------------------------------------

@dataclass(frozen=True)
class CloneMember:
    """One file of a cluster and the line ranges of it that repeat code of another member."""

    key: Any                           # the caller's identifier of the file
    ranges: tuple[tuple[int, int], ...]
    lines: int                         # lines inside those ranges

    @property
    def first_line(self) -> int:
        return self.ranges[0][0]


def find_clone_clusters(files: Iterable[tuple[Any, str, dict | None]], window: int) -> list[list[CloneMember]]:
    """Clusters of files that share at least one window of ``window`` consecutive units.

    ``files``: (key, family, units) per file, ``units`` as :func:`clone_units` gives them and
    ``family`` the language family ("python", "sql", "r": units of different families never
    match). Returns the clusters (members sorted by key, clusters by their first member); a
    file in no cluster is not returned. Cost: one pass over the units and one sort of the
    window hashes.
    """
    keys, spans, starts, unit_hashes = [], [], [0], []
    for key, family, units in files:
        parsed = _parse_units(units, family)
        if parsed is None or len(parsed[0]) < window:
            continue
        keys.append(key)
        unit_hashes.append(parsed[0])
        spans.append(parsed[1])
        starts.append(starts[-1] + len(parsed[0]))
    if len(keys) < 2 or window < 1:
        return []
    windows, owner, position = _window_hashes(np.concatenate(unit_hashes), np.asarray(starts), window)
    shared = _shared_windows(windows, owner)
    if not len(shared):
        return []
    return _clusters(keys, spans, owner[shared], position[shared], windows[shared], window)


def _parse_units(units: dict | None, family: str) -> tuple[np.ndarray, np.ndarray] | None:
    if not isinstance(units, dict) or not isinstance(units.get("h"), str) or not isinstance(units.get("l"), list):
        return None
    text, lines = units["h"], units["l"]
    if len(text) % HASH_HEX or len(lines) != 2 * (len(text) // HASH_HEX):
        return None
    try:
        hashes = np.frombuffer(bytes.fromhex(text), dtype=">u8").astype(np.uint64)
        spans = np.asarray(lines, dtype=np.int64).reshape(-1, 2)
    except (ValueError, TypeError):
        return None
    # Units of different language families never match: the family is mixed into each hash.
    salt = np.uint64(int(_digest(family), 16))
    return hashes ^ salt, spans


def _window_hashes(units: np.ndarray, starts: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(hash, file index, start position in the file) of every window inside one file."""
    total = len(units) - window + 1
    hashes = np.zeros(total, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for offset in range(window):
            hashes = hashes * _MIX + units[offset:offset + total]
    owner_of_unit = np.repeat(np.arange(len(starts) - 1), np.diff(starts))
    first = owner_of_unit[:total]
    inside = owner_of_unit[window - 1:] == first          # the window ends in the file it starts in
    position = np.arange(total) - starts[first]
    return hashes[inside], first[inside], position[inside]


def _shared_windows(hashes: np.ndarray, owner: np.ndarray) -> np.ndarray:
    """Indices of windows whose hash occurs in at least two different files."""
    order = np.lexsort((owner, hashes))
    h, o = hashes[order], owner[order]
    new_hash = np.r_[True, h[1:] != h[:-1]]
    group = np.cumsum(new_hash) - 1
    new_file = np.r_[True, (h[1:] != h[:-1]) | (o[1:] != o[:-1])]
    files_per_group = np.bincount(group, weights=new_file)
    return order[files_per_group[group] >= 2]


def _clusters(keys: list, spans: list[np.ndarray], owner: np.ndarray, position: np.ndarray,
              hashes: np.ndarray, window: int) -> list[list[CloneMember]]:
    parent = list(range(len(keys)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_owner: dict[int, int] = {}
    for h, o in zip(hashes.tolist(), owner.tolist()):
        other = first_owner.setdefault(h, o)
        if other != o:
            a, b = root(other), root(o)
            if a != b:
                parent[max(a, b)] = min(a, b)
    starts_of: dict[int, list[int]] = {}
    for o, p in zip(owner.tolist(), position.tolist()):
        starts_of.setdefault(o, []).append(p)
    groups: dict[int, list[CloneMember]] = {}
    for o, window_starts in starts_of.items():
        ranges = _line_ranges(spans[o], window_starts, window)
        member = CloneMember(keys[o], ranges, sum(b - a + 1 for a, b in ranges))
        groups.setdefault(root(o), []).append(member)
    clusters = [sorted(m, key=lambda c: str(c.key)) for m in groups.values() if len(m) >= 2]
    return sorted(clusters, key=lambda c: str(c[0].key))


def _line_ranges(spans: np.ndarray, window_starts: list[int], window: int) -> tuple[tuple[int, int], ...]:
    """Merged line ranges covered by the windows starting at the unit indices ``window_starts``."""
    runs: list[list[int]] = []              # [first unit, last unit], merged
    for first in sorted(set(window_starts)):
        if runs and first <= runs[-1][1] + 1:
            runs[-1][1] = max(runs[-1][1], first + window - 1)
        else:
            runs.append([first, first + window - 1])
    out: list[list[int]] = []
    for first, last in runs:
        start, end = int(spans[first][0]), int(spans[first:last + 1, 1].max())
        if out and start <= out[-1][1] + 1:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return tuple((a, b) for a, b in out)
