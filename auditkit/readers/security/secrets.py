"""Generic secret detection: detect-secrets' own scan of a file, exactly, on text already read.

:class:`GenericSecretScanner` finds what ``detect_secrets.core.scan.scan_file`` finds (same
plugins, same filters, same transformers and line numbers) without reading the file again:

* the lines a plugin meets are those of detect-secrets' own passes: its non-eager
  transformers (ini files, YAML as ``key: "value"`` lines) or the raw lines, then, only when
  that pass found nothing, its eager transformers (``key = "value"`` lines of env-style files);
* each plugin meets only the lines its own patterns can match (see :mod:`.gates`: a necessary
  condition, so skipping a line changes no result); ``tests/test_secret_parity.py`` compares
  with ``scan_file`` itself on every plugin and every file type auditkit scans;
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
import re
from contextlib import contextmanager
from typing import Iterator

from auditkit.model import short_hash
from auditkit.readers.security import extra_plugins, gates, quiet, yaml_lines

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
        self._probes: list[list[gates.Probe] | None] = []

    def __enter__(self) -> "GenericSecretScanner":
        self.plugins = self._context.__enter__()
        self._probes = [gates.plugin_probes(plugin) for plugin in self.plugins]
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
        values: dict[int, str] = {}
        for number, secret_type, plugin, value, seen in found:
            fingerprint = _private_key_print(facts, number) if secret_type == "Private Key" else short_hash(value)
            row = rows.get((number, fingerprint))
            if row is None:
                row = rows[(number, fingerprint)] = _row(path, number, secret_type, plugin, fingerprint,
                                                         quiet.reason(facts, number, value, secret_type, seen))
                values[id(row)] = value
            elif secret_type not in row["types"]:
                row["types"].append(secret_type)
        quiet.local_stack_passwords(facts, list(rows.values()), values)
        return list(rows.values())

    def findings(self, path: str, text: str) -> list[tuple[int, str, str, str, str | None]]:
        """(line, secret type, plugin name, value, the line the plugin saw when it is not the
        file's own) of every secret in ``text`` (universal newlines already applied),
        detect-secrets' own first."""
        from detect_secrets.core.scan import _is_filtered_out

        if quiet.is_vendored(path) or _is_filtered_out(required_filter_parameters=["filename"], filename=path):
            return []
        found: list[tuple[int, str, str, str, str | None]] = []
        extra = [(*hit, None) for hit in extra_plugins.scan(path, text)]
        if self._yaml_needs_no_transformer(path, text):
            return extra
        for lines, raw in _line_passes(path, text):
            found = self._scan_lines(path, lines, text if raw else None)
            if found:
                break
        return found + extra

    def _scan_lines(self, path: str, lines: list[str], raw_text: str | None) -> list[tuple[int, str, str, str, str | None]]:
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
                        found.append((number, secret.type, type(plugin).__name__, secret.secret_value or "",
                                      None if raw_text is not None else line))
        return found

    def _yaml_needs_no_transformer(self, path: str, text: str) -> bool:
        """True when detect-secrets' pure-Python YAML transformer (~3 ms a KB) can only find what
        the audit drops anyway: no plugin sees anything on the file's raw lines, and whatever a
        plugin sees on the transformer's ``key: "value"`` lines (made fast, see :mod:`.yaml_lines`)
        is quiet for a reason read from that line alone (a placeholder, or a value under an
        identifier key such as a block ``uuid``). Then the file has no finding."""
        if not yaml_lines.is_yaml(path) or not ini_cannot_parse(text, with_header=False):
            return False
        lines = yaml_lines.pseudo_lines(text)
        if lines is None:
            return False
        facts = quiet.FileFacts(path, text)
        folded = [line for line in lines if "\n" in line]   # multi-line values: looked at one by one
        joined = "\n".join(line for line in lines if "\n" not in line)
        for candidates, raw, own in ((folded, None, False), (_raw_lines(joined), joined, False),
                                     (_raw_lines(text), text, True)):
            for index, plugins in self._gated(candidates, raw).items():
                line = candidates[index].rstrip()
                for plugin in plugins:
                    for hit in plugin.analyze_line(filename=path, line=line, line_number=index + 1):
                        if own or quiet.reason(facts, 0, hit.secret_value or "", hit.type, line) not in quiet.DROPPED:
                            return False   # something to report, or a hit on the file's own lines
        return True

    def _gated(self, lines: list[str], raw_text: str | None) -> dict[int, list]:
        """Line index -> the plugins (in plugin order) whose probes find that line (see :mod:`.gates`)."""
        text = gates.TextLines(lines, raw_text)
        chosen: dict[int, list] = {}
        for plugin, probes in zip(self.plugins, self._probes):
            indexes: set[int] | range = range(len(lines)) if probes is None else \
                set().union(*(gates.probe_lines(item, text) for item in probes))
            for index in indexes:
                chosen.setdefault(index, []).append(plugin)
        return chosen


def _line_passes(path: str, text: str) -> Iterator[tuple[list[str], bool]]:
    """The line lists detect-secrets' ``_get_lines_from_file`` yields, each with whether it is
    the raw text. Its transformers are called as ``get_transformed_file`` calls them, except
    an ini transformer on a text that configparser is bound to reject (:func:`ini_cannot_parse`);
    one that fails in a way detect-secrets does not expect gives no lines."""
    lines = _transformed(path, text, eager=False)
    if lines:
        yield lines, False
    else:
        yield _raw_lines(text), True
    eager = _transformed(path, text, eager=True)
    if eager:
        yield eager, False


def _transformed(path: str, text: str, eager: bool) -> list[str] | None:
    from detect_secrets.transformers import ParsingError, get_transformers
    from detect_secrets.transformers.config import ConfigFileTransformer, EagerConfigFileTransformer

    for transformer in get_transformers():
        if transformer.is_eager != eager or not transformer.should_parse_file(path):
            continue
        if isinstance(transformer, (ConfigFileTransformer, EagerConfigFileTransformer)) \
                and ini_cannot_parse(text, with_header=isinstance(transformer, EagerConfigFileTransformer)):
            continue
        try:
            return transformer.parse_file(_NamedText(text, path))
        except ParsingError:
            continue
        except Exception:   # noqa: BLE001 - a transformer bug must not stop the audit
            return None
    return None


_INI_SECTION_RE = re.compile(r"\[.+\]")


def ini_cannot_parse(text: str, with_header: bool) -> bool:
    """True when configparser (default settings, as detect-secrets uses it) must reject ``text``.

    Without a header its first line that is neither blank nor a ``#``/``;`` comment must be a
    ``[section]``; with one, a line at column 0 that is none of these and holds neither ``=``
    nor ``:`` cannot be an option nor a continuation. Either way configparser raises.
    """
    for line in text.split("\n"):
        value = line.strip()
        if not value or value.startswith(("#", ";")):
            continue
        if not with_header:
            return not _INI_SECTION_RE.match(value)
        if not line[:1].isspace() and "=" not in value and ":" not in value and not _INI_SECTION_RE.match(value):
            return True
    return False


def _raw_lines(text: str) -> list[str]:
    """``readlines()`` of the text (lines keep their ``\\n``; no empty line after a final one)."""
    return _NamedText(text, "").readlines()


def _private_key_print(facts: quiet.FileFacts, number: int) -> str:
    """A private key's fingerprint: detect-secrets reports only its header, so hash the block."""
    block = []
    for offset in range(200):
        line = facts.line(number + offset)
        block.append(line)
        if "-----END" in line or (offset and not line):
            break
    return short_hash("private-key", *block)


def _row(path: str, number: int, secret_type: str, plugin: str, fingerprint: str, reason: str | None) -> dict:
    source = "pattern" if plugin in extra_plugins.NAMES else "detect-secrets"
    return {"path": path, "line": number, "kind": secret_kind(secret_type), "detector": f"{source}:{plugin}",
            "fingerprint": fingerprint, "project": None, "source": source, "types": [secret_type],
            "quiet": reason}
