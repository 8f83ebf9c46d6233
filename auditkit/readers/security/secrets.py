"""Generic secret detection: detect-secrets' own scan of a file, exactly, on text already read.

:class:`GenericSecretScanner` finds what ``detect_secrets.core.scan.scan_file`` finds (same
plugins, same filters, same transformers and line numbers) without reading the file again:

* the lines a plugin meets are those of detect-secrets' own passes: its non-eager
  transformers (ini files, YAML as ``key: "value"`` lines) or the raw lines, then, only when
  that pass found nothing, its eager transformers (``key = "value"`` lines of env-style files);
* each plugin meets only the lines its own patterns can match (a *gate*: the regex plugins'
  patterns, the keyword plugin's word list, the entropy plugins' quoted-string pattern with
  the shortest length that can pass the entropy limit). A gate is a necessary condition
  searched once over the whole text (MULTILINE, trailing blanks removed as the scan does), so
  skipping a line changes no result; ``tests/test_secret_parity.py`` compares with
  ``scan_file`` itself on every plugin and every file type auditkit scans;
* the line, secret and context filters are detect-secrets' own functions, applied in its order.

Two things are added, never subtracted: auditkit's own plugins (:mod:`.extra_plugins`: a
literal ``Authorization: Bearer`` token, a literal assigned to a token/API-key name) and, on
each row, ``quiet`` (see :mod:`.quiet`: a placeholder, an expression, a dev default...), which
later steps use to keep Mage's scaffolding quiet. Every row carries a location, the secret
types and :func:`auditkit.model.short_hash` of the value; the value is dropped once hashed.
"""
from __future__ import annotations

import io
import logging
import math
import re
from contextlib import contextmanager
from typing import Iterator

from auditkit.model import short_hash
from auditkit.readers.security import extra_plugins, quiet

SECRET_COLUMNS = ["path", "line", "kind", "detector", "fingerprint", "project", "source", "types"]

# Key names whose literal values are credentials; the exclusions name things about a secret
# (where it lives, when it expires, what it is called) rather than the secret.
_SECRET_NAME_RE = re.compile(
    r"pass(word|wd|phrase)?|pwd|secret|token|api_?key|private_?key|access_?key|credential|"
    r"webhook|connection_?(string|url)|dsn|auth_?key", re.I)
_NOT_SECRET_NAME_RE = re.compile(
    r"(_uri|_filepath|_file_path|_path|_file|_expiry_time|_expiry|_timeout|_type|_name|_id|"
    r"private_key_id|_enabled|_mode|_algorithm)$", re.I)
_EMPTY_VALUES = {"", "null", "~", "none", "''", '""'}
_ENTROPY_KINDS = {"Base64 High Entropy String", "Hex High Entropy String"}
_TRAILING_BLANKS_RE = re.compile(r"[^\S\n]+$", re.M)
_ALWAYS = None   # the gate of a plugin that meets every line


def is_secret_name(key: str) -> bool:
    """Whether a setting or config key names a credential (``POSTGRES_PASSWORD``, ``token``)."""
    leaf = str(key).rsplit(".", 1)[-1]
    if re.search(r"access_?key_?id$", leaf, re.I):
        return True
    return bool(_SECRET_NAME_RE.search(leaf)) and not _NOT_SECRET_NAME_RE.search(leaf)


def unquote(value: str) -> str:
    """Strip one pair of surrounding quotes from a config value."""
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def is_reference(value: str) -> bool:
    """True for values that name a secret kept elsewhere: ``${VAR}``, ``$VAR``, Jinja, ``var.x``."""
    value = unquote(value)
    return (value.lower() in _EMPTY_VALUES or value.startswith("$") or "{{" in value
            or value.startswith(("var.", "local.", "data.", "module.", "<")) or "secretKeyRef" in value)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def secret_kind(secret_type: str) -> str:
    """auditkit's ``kind`` for a detect-secrets secret type (both entropy types are one kind)."""
    return "high_entropy_string" if secret_type in _ENTROPY_KINDS else _slug(secret_type)


@contextmanager
def _quiet_detect_secrets() -> Iterator[list]:
    """Default plugins and filters, no network verification, and a silent library logger.

    detect-secrets logs skipped secret values at INFO; its logger is held at ERROR here so a
    caller's logging configuration can never route a value into a log. The file-exists filter
    is off: the text is given, not read.
    """
    from detect_secrets.settings import default_settings, get_plugins, get_settings

    logger = logging.getLogger("detect-secrets")
    level, propagate = logger.level, logger.propagate
    logger.setLevel(logging.ERROR)
    logger.propagate = False
    try:
        with default_settings():
            get_settings().disable_filters(
                "detect_secrets.filters.common.is_ignored_due_to_verification_policies",
                "detect_secrets.filters.common.is_invalid_file")
            yield list(get_plugins())
    finally:
        logger.setLevel(level)
        logger.propagate = propagate


def plugin_gates(plugins: list) -> list[re.Pattern | None]:
    """For each plugin, a pattern some match of which every line it reports on contains.

    The regex plugins share one gate, the alternation of all their patterns (flags scoped to
    each); the keyword plugin's patterns all contain its word list; an entropy plugin reports
    only quoted runs of its charset longer than ``2 ** limit`` (the entropy of n symbols is at
    most log2 n). MULTILINE makes ``^``/``$`` match at line ends as they do on a single line.
    Any other plugin meets every line.
    """
    from detect_secrets.plugins import keyword
    from detect_secrets.plugins.base import RegexBasedDetector
    from detect_secrets.plugins.high_entropy_strings import HighEntropyStringsPlugin

    parts = []
    for plugin in plugins:
        if isinstance(plugin, RegexBasedDetector):
            for pattern in plugin.denylist:
                flags = ("i" if pattern.flags & re.IGNORECASE else "") + ("x" if pattern.flags & re.VERBOSE else "")
                parts.append(f"(?{flags}:{pattern.pattern})" if flags else f"(?:{pattern.pattern})")
    any_regex_plugin = re.compile("|".join(parts) or "(?!)", re.M)
    gates: list[re.Pattern | None] = []
    for plugin in plugins:
        if isinstance(plugin, RegexBasedDetector):
            gates.append(any_regex_plugin)
        elif isinstance(plugin, keyword.KeywordDetector) and not plugin.keyword_exclude:
            gates.append(re.compile(keyword.DENYLIST_REGEX, re.I | re.M))
        elif isinstance(plugin, HighEntropyStringsPlugin):
            shortest = math.floor(2 ** plugin.entropy_limit) + 1
            gates.append(re.compile(r"(['\"])[%s]{%d,}\1" % (re.escape(plugin.charset), shortest), re.M))
        else:
            gates.append(_ALWAYS)
    return gates


def _gate_lines(gate: re.Pattern, text: str) -> set[int]:
    """0-based numbers of the lines of ``text`` (``\\n``-separated) where ``gate`` matches.

    ``search`` finds the leftmost match; the next search starts at the next line, so every
    line holding a match is found (a match that runs on past its line only adds its line).
    """
    found: set[int] = set()
    pos, line, counted = 0, 0, 0
    while True:
        match = gate.search(text, pos)
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


class _NamedText(io.StringIO):
    """The text as the file object detect-secrets' transformers read (``name`` decides the type)."""

    def __init__(self, text: str, name: str) -> None:
        super().__init__(text)
        self.name = name


class GenericSecretScanner:
    """detect-secrets' scan of one text at a time, plus auditkit's own plugins (see module doc)."""

    def __init__(self) -> None:
        self._context = _quiet_detect_secrets()
        self.plugins: list = []
        self._gates: list[re.Pattern | None] = []

    def __enter__(self) -> "GenericSecretScanner":
        self.plugins = self._context.__enter__()
        self._gates = plugin_gates(self.plugins)
        return self

    def __exit__(self, *exc) -> None:
        self._context.__exit__(*exc)

    def scan_text(self, path: str, text: str) -> list[dict]:
        """Rows for every secret found in ``text`` (the content of repo file ``path``): one row
        per (line, value), with every secret type found for it."""
        text = text.replace("\r\n", "\n").replace("\r", "\n")   # universal newlines, as open() reads
        found = self.findings(path, text)
        if not found:
            return []
        facts = quiet.FileFacts(path, text)
        rows: dict[tuple[int, str], dict] = {}
        for number, secret_type, plugin, value in found:
            fingerprint = short_hash(value)
            row = rows.get((number, fingerprint))
            if row is None:
                rows[(number, fingerprint)] = _row(path, number, secret_type, plugin, fingerprint,
                                                   quiet.reason(facts, number, value, secret_type))
            elif secret_type not in row["types"]:
                row["types"].append(secret_type)
        return list(rows.values())

    def findings(self, path: str, text: str) -> list[tuple[int, str, str, str]]:
        """(line, secret type, plugin name, value) of every secret in ``text`` (universal
        newlines already applied), detect-secrets' own first."""
        from detect_secrets.core.scan import _is_filtered_out

        if quiet.is_vendored(path) or _is_filtered_out(required_filter_parameters=["filename"], filename=path):
            return []
        found: list[tuple[int, str, str, str]] = []
        for lines, raw in _line_passes(path, text):
            found = self._scan_lines(path, lines, text if raw else None)
            if found:
                break
        return found + extra_plugins.scan(path, text)

    def _scan_lines(self, path: str, lines: list[str], raw_text: str | None) -> list[tuple[int, str, str, str]]:
        """detect-secrets' per-line processing, on the lines some plugin's gate lets through."""
        from detect_secrets.core.scan import _is_filtered_out, _scan_line
        from detect_secrets.util.code_snippet import get_code_snippet

        chosen = self._gated(lines, raw_text)
        found = []
        for index in sorted(chosen):
            number, line = index + 1, lines[index].rstrip()
            context = get_code_snippet(lines=lines, line_number=number)
            if _is_filtered_out(required_filter_parameters=["line"], filename=path, line=line, context=context):
                continue
            for plugin in chosen[index]:
                for secret in _scan_line(plugin=plugin, filename=path, line=line, line_number=number,
                                         context=context):
                    if not _is_filtered_out(required_filter_parameters=["context"], filename=secret.filename,
                                            secret=secret.secret_value, plugin=plugin, line=line, context=context):
                        found.append((number, secret.type, type(plugin).__name__, secret.secret_value or ""))
        return found

    def _gated(self, lines: list[str], raw_text: str | None) -> dict[int, list]:
        """Line index -> the plugins (in plugin order) whose gate that line passes."""
        hits: dict[int, set[int]] = {}   # gate id -> line indexes
        stripped = _TRAILING_BLANKS_RE.sub("", raw_text) if raw_text is not None else None
        chosen: dict[int, list] = {}
        for plugin, gate in zip(self.plugins, self._gates):
            if gate is _ALWAYS:
                indexes: set[int] | range = range(len(lines))
            else:
                indexes = hits.get(id(gate))
                if indexes is None:
                    indexes = hits[id(gate)] = (
                        _gate_lines(gate, stripped) if stripped is not None
                        else {i for i, line in enumerate(lines) if gate.search(line.rstrip())})
            for index in indexes:
                chosen.setdefault(index, []).append(plugin)
        return chosen


def _line_passes(path: str, text: str) -> Iterator[tuple[list[str], bool]]:
    """The line lists detect-secrets' ``_get_lines_from_file`` yields, each with whether it is
    the raw text. Its transformers are called as it calls them; one that fails in a way
    detect-secrets does not expect gives the raw lines (detect-secrets itself would stop)."""
    from detect_secrets.transformers import get_transformed_file

    try:
        lines = get_transformed_file(_NamedText(text, path))
    except Exception:   # noqa: BLE001 - a transformer bug must not stop the audit
        lines = None
    if lines:
        yield lines, False
    else:
        yield _raw_lines(text), True
    try:
        eager = get_transformed_file(_NamedText(text, path), use_eager_transformers=True)
    except Exception:   # noqa: BLE001
        eager = None
    if eager:
        yield eager, False


def _raw_lines(text: str) -> list[str]:
    """``readlines()`` of the text (lines keep their ``\\n``; no empty line after a final one)."""
    return _NamedText(text, "").readlines()


def _row(path: str, number: int, secret_type: str, plugin: str, fingerprint: str, reason: str | None) -> dict:
    source = "pattern" if plugin in extra_plugins.NAMES else "detect-secrets"
    return {"path": path, "line": number, "kind": secret_kind(secret_type), "detector": f"{source}:{plugin}",
            "fingerprint": fingerprint, "project": None, "source": source, "types": [secret_type],
            "quiet": reason}
