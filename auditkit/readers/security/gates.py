"""Which lines each detect-secrets plugin can report on, found without running it on every line.

A plugin reports only where its own patterns match (regex plugins: their denylist; the keyword
plugin: its word list; an entropy plugin: a quoted run of its charset longer than ``2 ** limit``
characters, since n symbols have at most log2 n bits of entropy). Each pattern is a *probe*:

* most patterns hold literal text every match contains (``ghp_``, ``key``, ``-us``), found by
  :func:`required_literals` from the pattern's own parse tree; lines without one of them are
  skipped with ``str.find`` and the pattern runs on the rest, line by line;
* a pattern without a useful literal is searched once over the whole text, MULTILINE, with
  trailing blanks removed as the scan removes them; each search starts at the line after the
  last hit, so every line holding a match is found (``search`` returns the leftmost match).

Both are necessary conditions, so skipping a line changes no result. ``tests/test_secret_parity.py``
checks the literals against strings generated from each pattern, and the whole scan against
detect-secrets' own ``scan_file``.
"""
from __future__ import annotations

import math
import re
from bisect import bisect_right
from typing import NamedTuple

try:   # Python 3.11+
    from re import _constants as sre_constants
    from re import _parser as sre_parse
except ImportError:   # pragma: no cover - Python 3.10
    import sre_constants  # type: ignore[no-redef]
    import sre_parse  # type: ignore[no-redef]

_REPEATS = tuple(getattr(sre_constants, name) for name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")
                 if hasattr(sre_constants, name))
MIN_LITERAL = 2   # a one-character literal picks most lines; the whole-text search is cheaper then
_TRAILING_BLANKS_RE = re.compile(r"[^\S\n]+$", re.M)


class Probe(NamedTuple):
    """One pattern of a plugin: ``literals`` (lower case, any-of) or None, and the pattern."""

    literals: frozenset[str] | None
    pattern: re.Pattern          # the plugin's own flags, for one line at a time
    multiline: re.Pattern        # the same with MULTILINE, for a whole text
    ignorecase: bool


def _best(current: frozenset[str] | None, candidate: frozenset[str] | None) -> frozenset[str] | None:
    if not candidate or any(not text for text in candidate):
        return current
    if current is None:
        return candidate
    score = (min(map(len, candidate)), -len(candidate))
    return candidate if score > (min(map(len, current)), -len(current)) else current


def _required(items) -> frozenset[str] | None:
    """A set of strings one of which every match of the parsed sequence ``items`` contains."""
    best: frozenset[str] | None = None
    run: list[str] = []
    for op, av in items:
        if op is sre_constants.LITERAL:
            run.append(chr(av))
            continue
        if run:
            best = _best(best, frozenset({"".join(run).lower()}))
            run = []
        if op is sre_constants.SUBPATTERN:
            best = _best(best, _required(av[-1]))
        elif op is getattr(sre_constants, "ATOMIC_GROUP", None):
            best = _best(best, _required(av))
        elif op is sre_constants.BRANCH:
            alternatives = [_required(alt) for alt in av[1]]
            if all(alternatives):
                best = _best(best, frozenset().union(*alternatives))
        elif op in _REPEATS and av[0] >= 1:
            best = _best(best, _required(av[2]))
    if run:
        best = _best(best, frozenset({"".join(run).lower()}))
    return best


def required_literals(pattern: re.Pattern) -> frozenset[str] | None:
    """Lower-case strings one of which every match of ``pattern`` contains (lower-cased), or None."""
    try:
        return _required(sre_parse.parse(pattern.pattern, pattern.flags))
    except (re.error, TypeError, ValueError, RecursionError):
        return None


def probe(pattern: re.Pattern) -> Probe:
    literals = required_literals(pattern)
    if literals is not None and min(map(len, literals)) < MIN_LITERAL:
        literals = None
    return Probe(literals, pattern, re.compile(pattern.pattern, pattern.flags | re.M),
                 bool(pattern.flags & re.IGNORECASE))


def plugin_probes(plugin) -> list[Probe] | None:
    """The probes of a plugin, or None for a plugin that must meet every line."""
    from detect_secrets.plugins import keyword
    from detect_secrets.plugins.base import RegexBasedDetector
    from detect_secrets.plugins.high_entropy_strings import HighEntropyStringsPlugin

    if isinstance(plugin, RegexBasedDetector):
        return [probe(pattern) for pattern in plugin.denylist]
    if isinstance(plugin, keyword.KeywordDetector) and not plugin.keyword_exclude:
        return [probe(re.compile(keyword.DENYLIST_REGEX, re.I))]
    if isinstance(plugin, HighEntropyStringsPlugin):
        shortest = math.floor(2 ** plugin.entropy_limit) + 1
        return [probe(re.compile(r"(['\"])[%s]{%d,}\1" % (re.escape(plugin.charset), shortest)))]
    return None


class TextLines:
    """One text's line views, made once and only when a probe needs them.

    ``raw_text`` is the text the lines were split from, or None for a transformer's lines; those
    are joined with newlines unless one holds a newline of its own, when each line is looked
    at alone (``per_line``).
    """

    def __init__(self, lines: list[str], raw_text: str | None) -> None:
        self.lines = lines
        self.per_line = raw_text is None and any("\n" in line for line in lines)
        self.source = raw_text if raw_text is not None else ("" if self.per_line else "\n".join(lines))
        self._lower: str | None = None
        self._newlines: list[int] | None = None
        self._stripped: str | None = None
        self._ascii: bool | None = None

    @property
    def lower(self) -> str:
        if self._lower is None:
            self._lower = self.source.lower()   # lower() keeps every newline where it was
        return self._lower

    @property
    def ascii_only(self) -> bool:
        if self._ascii is None:
            self._ascii = self.source.isascii() if not self.per_line else all(x.isascii() for x in self.lines)
        return self._ascii

    def line_of(self, pos: int) -> int:
        if self._newlines is None:
            self._newlines = [m.start() for m in re.finditer("\n", self.lower)]
        return bisect_right(self._newlines, pos - 1)

    @property
    def stripped(self) -> str:
        if self._stripped is None:
            self._stripped = _TRAILING_BLANKS_RE.sub("", self.source)
        return self._stripped


def probe_lines(item: Probe, text: TextLines) -> set[int]:
    """0-based indexes of the lines where ``item``'s pattern matches (a superset)."""
    usable = item.literals is not None and (not item.ignorecase or text.ascii_only)
    if text.per_line:
        return {i for i, line in enumerate(text.lines)
                if (not usable or any(lit in line.lower() for lit in item.literals))
                and item.pattern.search(line.rstrip())}
    if not usable:
        return _whole_text_lines(item.multiline, text.stripped)
    lower, found = text.lower, set()
    for literal in item.literals:
        pos = lower.find(literal)
        while pos >= 0:
            index = text.line_of(pos)
            found.add(index)
            end = lower.find("\n", pos)
            pos = -1 if end < 0 else lower.find(literal, end + 1)
    return {i for i in found if i < len(text.lines) and item.pattern.search(text.lines[i].rstrip())}


def _whole_text_lines(pattern: re.Pattern, text: str) -> set[int]:
    """0-based numbers of the lines of ``text`` where MULTILINE ``pattern`` matches."""
    found: set[int] = set()
    pos, line, counted = 0, 0, 0
    while True:
        match = pattern.search(text, pos)
        if match is None:
            return found
        start = match.start()
        line += text.count("\n", counted, start)
        counted = start
        found.add(line)
        end = text.find("\n", start)
        if end < 0:
            return found
        pos = end + 1
