"""Secret discovery in file contents: generic detectors plus Mage-specific knowledge.

Generic detection uses detect-secrets' plugins and heuristic filters as a library. Running
every plugin on every line costs ~0.2 ms a line, so a cheap prefilter first picks the lines
that could hold something a plugin reports (a credential keyword, a known token prefix, a
URL with a password, a long quoted string); only those lines meet the plugins.

Mage-specific detectors read what detect-secrets cannot know: which ``io_config.yaml``
literals are real credentials rather than template placeholders (from the inventory's
``value_kind``), ``token:`` in ``triggers.yaml``, ``openai_api_key`` and literal webhook URLs
in metadata, and credential-named keys in ``.env`` files.

Every row carries a location, a kind and :func:`auditkit.model.short_hash` of the value; the
value itself is dropped as soon as it is hashed.
"""
from __future__ import annotations

import logging
import re
from contextlib import contextmanager
from typing import Iterator

import pandas as pd

from auditkit.model import short_hash
from auditkit.readers.textcues import word_positions

SECRET_COLUMNS = ["path", "line", "kind", "detector", "fingerprint", "project", "source"]

# Lower-cased text: words and prefixes any detect-secrets plugin keys on, plus a URL with a
# password. The words are found with str.find (see auditkit.readers.textcues).
_CANDIDATE_WORDS = ("pass", "pwd", "secret", "token", "key", "auth", "cred", "private", "api", "bearer",
                    "sk-", "sk_", "akia", "asia", "begin", "xox", "ghp_", "gho_", "ghu_", "ghs_", "ghr_",
                    "github_pat", "glpat", "npm_", "pypi-", "sg.", "eyj", "aiza", "sq0", "hook", "discord")
_URL_PASSWORD_RE = re.compile(r"://[^/\s:@]+:[^/\s@]+@")
# Original text: a quoted string long enough to pass the entropy plugins' limits.
_LONG_QUOTED_RE = re.compile(r"""["'][\w+/=.~-]{16,}""")

# Key names whose literal values are credentials; the exclusions name things about a secret
# (where it lives, when it expires) rather than the secret.
_SECRET_NAME_RE = re.compile(
    r"pass(word|wd|phrase)?|pwd|secret|token|api_?key|private_?key|access_?key|credential|"
    r"webhook|connection_?(string|url)|dsn|auth_?key", re.I)
_NOT_SECRET_NAME_RE = re.compile(
    r"(_uri|_filepath|_file_path|_path|_file|_expiry_time|_expiry|_timeout|_type|_name|"
    r"private_key_id|_enabled|_mode|_algorithm)$", re.I)

_ENTROPY_KINDS = {"Base64 High Entropy String", "Hex High Entropy String"}
_TRIGGER_TOKEN_RE = re.compile(r"^\s*-?\s*token\s*:\s*(?P<value>.*?)\s*(#.*)?$")
_METADATA_SECRET_RE = re.compile(
    r"^\s*-?\s*(?P<key>openai_api_key|webhook_url|slack_webhook_url|teams_webhook_url)\s*:\s*"
    r"(?P<value>.*?)\s*$", re.I)
_ENV_LINE_RE = re.compile(r"^\s*(?:export\s+)?(?P<key>[A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(?P<value>.*?)\s*$")
_EMPTY_VALUES = {"", "null", "~", "none", "''", '""'}


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


def _row(path: str, line: int | None, kind: str, detector: str, value: str, source: str) -> dict:
    return {"path": path, "line": line, "kind": kind, "detector": detector,
            "fingerprint": short_hash(value), "project": None, "source": source}


@contextmanager
def _quiet_detect_secrets() -> Iterator[list]:
    """Default plugins and filters, no network verification, and a silent library logger.

    detect-secrets logs skipped secret values at INFO; its logger is held at ERROR here so a
    caller's logging configuration can never route a value into a log.
    """
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.settings import default_settings, get_settings

    logger = logging.getLogger("detect-secrets")
    level, propagate = logger.level, logger.propagate
    logger.setLevel(logging.ERROR)
    logger.propagate = False
    try:
        with default_settings():
            get_settings().disable_filters(
                "detect_secrets.filters.common.is_ignored_due_to_verification_policies")
            yield [cls() for cls in get_mapping_from_secret_type_to_class().values()]
    finally:
        logger.setLevel(level)
        logger.propagate = propagate


_ALWAYS = None   # the gate of a plugin that meets every candidate line


def _plugin_gates(plugins: list) -> list[re.Pattern | None]:
    """For each plugin, a pattern a line must match for the plugin to find anything in it.

    A regex plugin finds something only where one of its own regexes matches, so the regex
    plugins share one gate: the alternation of all their patterns (flags scoped to each). The
    keyword plugin's patterns all contain its denylist of words; the entropy plugins report
    only from quoted strings their own pattern finds. Each gate is exact, and costs a fraction
    of calling ~25 plugins on every candidate line. Any other plugin always runs.
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
    any_regex_plugin = re.compile("|".join(parts) or "(?!)")
    gates: list[re.Pattern | None] = []
    for plugin in plugins:
        if isinstance(plugin, RegexBasedDetector):
            gates.append(any_regex_plugin)
        elif isinstance(plugin, keyword.KeywordDetector) and not plugin.keyword_exclude:
            gates.append(re.compile(keyword.DENYLIST_REGEX, re.IGNORECASE))
        elif isinstance(plugin, HighEntropyStringsPlugin) and isinstance(getattr(plugin, "regex", None), re.Pattern):
            gates.append(plugin.regex)   # the quoted-string pattern it reports from
        else:
            gates.append(_ALWAYS)
    return gates


class GenericSecretScanner:
    """detect-secrets plugins applied to the candidate lines of one text at a time."""

    def __init__(self) -> None:
        self._context = _quiet_detect_secrets()
        self.plugins: list = []
        self._gates: list[re.Pattern | None] = []

    def __enter__(self) -> "GenericSecretScanner":
        self.plugins = self._context.__enter__()
        self._gates = _plugin_gates(self.plugins)
        return self

    def __exit__(self, *exc) -> None:
        self._context.__exit__(*exc)

    def _plugins_for(self, line: str) -> list:
        """The plugins whose gate ``line`` passes, in plugin order (see :func:`_plugin_gates`)."""
        chosen = []
        hits: dict[re.Pattern, bool] = {}   # the regex plugins share one gate: search it once
        for plugin, gate in zip(self.plugins, self._gates):
            if gate is not _ALWAYS:
                hit = hits.get(gate)
                if hit is None:
                    hit = hits[gate] = gate.search(line) is not None
                if not hit:
                    continue
            chosen.append(plugin)
        return chosen

    def scan_text(self, path: str, text: str) -> list[dict]:
        """Rows for every secret the plugins find in ``text`` (filters applied)."""
        from detect_secrets.filters import heuristic

        if heuristic.is_lock_file(path) or heuristic.is_swagger_file(path):
            return []
        line_numbers = _candidate_lines(text)
        if not line_numbers:
            return []
        lines = text.splitlines()
        rows: list[dict] = []
        seen: set[tuple[int, str]] = set()
        for number in line_numbers:
            if number > len(lines):
                continue
            line = lines[number - 1]
            if len(line) > 4000:
                continue
            plugins = self._plugins_for(line)
            # The indirect-reference filter is a regex too: only lines some plugin can report on need it.
            if not plugins or heuristic.is_indirect_reference(line):
                continue
            for plugin in plugins:
                for found in plugin.analyze_line(filename=path, line=line, line_number=number):
                    value = found.secret_value or ""
                    if _filtered(value, line, plugin, found.type):
                        continue
                    key = (number, short_hash(value))
                    if key in seen:   # one value reported by two plugins counts once
                        continue
                    seen.add(key)
                    kind = "high_entropy_string" if found.type in _ENTROPY_KINDS else _slug(found.type)
                    rows.append(_row(path, number, kind, f"detect-secrets:{type(plugin).__name__}",
                                     value, "detect-secrets"))
        return rows


def _filtered(value: str, line: str, plugin, secret_type: str) -> bool:
    from detect_secrets.filters import heuristic

    if (heuristic.is_sequential_string(value) or heuristic.is_potential_uuid(value)
            or heuristic.is_templated_secret(value) or heuristic.is_prefixed_with_dollar_sign(value)
            or heuristic.is_likely_id_string(value, line, plugin)
            or heuristic.is_not_alphanumeric_string(value)):
        return True
    # Mage writes uuids (project_uuid, pipeline uuids) and hashes that look random but are not secret.
    return secret_type in _ENTROPY_KINDS and re.search(r"uuid|sha\d*|checksum|hash|digest", line, re.I) is not None


def _candidate_lines(text: str) -> list[int]:
    """1-based numbers of lines a detect-secrets plugin could report on."""
    lower = text.lower()
    positions = word_positions(lower, _CANDIDATE_WORDS)
    if "://" in lower:
        positions.extend(m.start() for m in _URL_PASSWORD_RE.finditer(lower))
    positions.extend(m.start() for m in _LONG_QUOTED_RE.finditer(text))
    if not positions:
        return []
    # Count newlines between successive hits (C speed) instead of indexing every line start.
    numbers: list[int] = []
    line, previous = 1, 0
    for pos in sorted(positions):
        line += text.count("\n", previous, pos)
        previous = pos
        if not numbers or numbers[-1] != line:
            numbers.append(line)
    return numbers


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def io_config_secrets(io_config: pd.DataFrame) -> list[dict]:
    """Literal values under credential keys of ``io_config.yaml`` (from the inventory).

    Template placeholders, ``env_var``/``mage_secret_var`` values, numbers and empties are not
    secrets; the inventory already told them apart (``value_kind``).
    """
    rows = []
    if io_config is None or io_config.empty:
        return rows
    literal = io_config[(io_config["value_kind"] == "literal") & io_config["key"].map(is_secret_name)]
    for rec in literal.itertuples(index=False):
        line = int(rec.line) if pd.notna(rec.line) else None
        rows.append({"path": rec.path, "line": line, "kind": "io_config_credential",
                     "detector": f"io_config:{rec.profile}.{rec.key}",
                     "fingerprint": rec.fingerprint or short_hash(rec.path, rec.profile, rec.key),
                     "project": rec.project, "source": "io_config"})
    return rows


def io_config_safe_lines(io_config: pd.DataFrame) -> dict[str, set[int]]:
    """Per io_config path, the lines whose value is a placeholder, reference or non-secret kind.

    Generic detectors are silenced on those lines: the template's sample private key and
    ``password`` placeholders must not count as committed secrets.
    """
    safe: dict[str, set[int]] = {}
    if io_config is None or io_config.empty:
        return safe
    for rec in io_config[io_config["value_kind"] != "literal"].itertuples(index=False):
        if pd.notna(rec.line):
            safe.setdefault(rec.path, set()).add(int(rec.line))
    return safe


def trigger_token_secrets(path: str, text: str) -> list[dict]:
    """``token:`` values committed in a ``triggers.yaml`` (API-trigger credentials)."""
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        match = _TRIGGER_TOKEN_RE.match(line)
        if match and not is_reference(match.group("value")):
            rows.append(_row(path, number, "trigger_token", "mage:triggers.token",
                             unquote(match.group("value")), "triggers"))
    return rows


def metadata_secrets(path: str, text: str) -> list[dict]:
    """``openai_api_key`` and literal webhook URLs in a project or pipeline ``metadata.yaml``."""
    rows = []
    lower = text.lower()
    # Every key the line regex accepts contains one of these: most pipeline files have neither.
    if "openai_api_key" not in lower and "webhook_url" not in lower:
        return rows
    for number, line in enumerate(text.splitlines(), 1):
        match = _METADATA_SECRET_RE.match(line)
        if not match or is_reference(match.group("value")):
            continue
        key = match.group("key").lower()
        value = unquote(match.group("value"))
        if "webhook" in key and not value.lower().startswith("http"):
            continue
        kind = "openai_api_key" if key == "openai_api_key" else "webhook_url"
        rows.append(_row(path, number, kind, f"mage:metadata.{key}", value, "metadata"))
    return rows


def env_file_secrets(path: str, text: str) -> list[dict]:
    """Literal values of credential-named variables in a ``.env``-style file."""
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("#"):
            continue
        match = _ENV_LINE_RE.match(line)
        if match and is_secret_name(match.group("key")) and not is_reference(match.group("value")):
            rows.append(_row(path, number, "env_credential", f"env:{match.group('key')}",
                             unquote(match.group("value")), "env_file"))
    return rows


def merge_secret_rows(rows: list[dict]) -> pd.DataFrame:
    """One row per (path, line, fingerprint): Mage-specific sources win over generic ones."""
    frame = pd.DataFrame(rows, columns=SECRET_COLUMNS)
    if frame.empty:
        return frame
    frame["_generic"] = frame["source"] == "detect-secrets"
    frame = frame.sort_values(["path", "line", "_generic"], na_position="first", kind="stable")
    # A line already explained by a Mage-specific detector needs no generic duplicate.
    specific = set(zip(frame.loc[~frame["_generic"], "path"], frame.loc[~frame["_generic"], "line"]))
    keep = ~frame["_generic"] | ~pd.Series(list(zip(frame["path"], frame["line"])), index=frame.index).isin(specific)
    frame = frame[keep].drop_duplicates(["path", "line", "fingerprint"]).drop(columns="_generic")
    frame["line"] = frame["line"].astype("Int64")
    return frame.reset_index(drop=True)
