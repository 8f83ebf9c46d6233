"""Mage-specific secret detectors, and the merge of every detector's rows into ``scan.secrets``.

detect-secrets cannot know which ``io_config.yaml`` literals are real credentials rather than
template placeholders (the inventory's ``value_kind`` says), that ``token:`` in
``triggers.yaml`` authenticates an API trigger, that ``openai_api_key`` and webhook URLs in
``metadata.yaml`` are secrets, or which ``.env`` keys name credentials. These detectors do.

:func:`merge_secret_rows` then makes one row per secret and place: a Mage-specific row absorbs
the generic hits on its line (their secret types join its ``types``); hits that are not the
team's secrets (placeholders, expressions, template text, example files: see
:mod:`auditkit.readers.security.quiet`) are dropped, and well-known local-development defaults
become ``source == "dev_default"`` rows for the advice rule.
"""
from __future__ import annotations

import re

import pandas as pd

from auditkit.model import short_hash
from auditkit.readers.security import quiet
from auditkit.readers.security.secrets import SECRET_COLUMNS, is_reference, is_secret_name, unquote

_TRIGGER_TOKEN_RE = re.compile(r"^\s*-?\s*token\s*:\s*(?P<value>.*?)\s*(#.*)?$")
_METADATA_SECRET_RE = re.compile(
    r"^\s*-?\s*(?P<key>openai_api_key|webhook_url|slack_webhook_url|teams_webhook_url)\s*:\s*"
    r"(?P<value>.*?)\s*$", re.I)
_ENV_LINE_RE = re.compile(r"^\s*(?:export\s+)?(?P<key>[A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(?P<value>.*?)\s*$")
# Most specific first: a line explained by one of these needs no generic duplicate.
SOURCE_ORDER = ("io_config", "triggers", "metadata", "env_file", "pattern", "detect-secrets", "dev_default")


def _row(path: str, line: int | None, kind: str, detector: str, value: str, source: str,
         reason: str | None = None) -> dict:
    return {"path": path, "line": line, "kind": kind, "detector": detector, "fingerprint": short_hash(value),
            "project": None, "source": source, "types": [], "quiet": reason}


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
                     "project": rec.project, "source": "io_config", "types": [], "quiet": None})
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
    """``token:`` values of API triggers committed in a ``triggers.yaml`` (any value works).

    Mage accepts a token only for a trigger of ``schedule_type: api`` (``server/api/triggers.py``
    refuses the others), so a token left on a time or event trigger opens nothing. When the file
    does not parse, every token counts: better a finding to check than a silent credential.
    """
    non_api = _non_api_trigger_tokens(text)
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        match = _TRIGGER_TOKEN_RE.match(line)
        if match and not is_reference(match.group("value")) and unquote(match.group("value")) not in non_api:
            rows.append(_row(path, number, "trigger_token", "mage:triggers.token",
                             unquote(match.group("value")), "triggers"))
    return rows


def _non_api_trigger_tokens(text: str) -> set[str]:
    """Token values of the triggers that are not API triggers (empty when the file does not parse)."""
    from auditkit.readers.yamlsafe import load_yaml

    data = load_yaml(text, "triggers.yaml", keep_node=False).data
    triggers = data.get("triggers") if isinstance(data, dict) else None
    tokens = set()
    for trigger in triggers if isinstance(triggers, list) else []:
        if isinstance(trigger, dict) and trigger.get("token") is not None \
                and str(trigger.get("schedule_type") or "").lower() != "api":
            tokens.add(str(trigger["token"]))
    return tokens


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
        if quiet.is_placeholder(value, key):
            continue
        kind = "openai_api_key" if key == "openai_api_key" else "webhook_url"
        rows.append(_row(path, number, kind, f"mage:metadata.{key}", value, "metadata"))
    return rows


def env_file_secrets(path: str, text: str) -> list[dict]:
    """Literal values of credential-named variables in a ``.env``-style file.

    Placeholders and expressions are not credentials; local-development defaults (outside a
    file with production evidence) are kept as ``dev_default`` rows.
    """
    rows = []
    if quiet.is_vendored(path):
        return rows
    facts = quiet.FileFacts(path, text)
    values: dict[int, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("#"):
            continue
        match = _ENV_LINE_RE.match(line)
        if not match or not is_secret_name(match.group("key")) or is_reference(match.group("value")):
            continue
        key, value = match.group("key"), unquote(match.group("value"))
        if quiet.is_placeholder(value, key) or quiet.is_expression(line, value, key, line.find(value)):
            continue
        dev = quiet.is_dev_default(facts, line, value) and not facts.has_production_evidence()
        row = _row(path, number, "env_credential", f"env:{key}", value, "env_file", "dev_default" if dev else None)
        row["types"] = ["Secret Keyword"]
        values[id(row)] = value
        rows.append(row)
    quiet.local_stack_passwords(facts, rows, values)
    for row in rows:
        row["types"] = []
    return rows


def merge_secret_rows(rows: list[dict]) -> pd.DataFrame:
    """One row per (path, line, fingerprint); see the module docstring for what is dropped."""
    kept = []
    for row in rows:
        reason = row.get("quiet")
        if reason in quiet.DROPPED:
            continue
        row = {**row, "types": list(row.get("types") or [])}
        if reason == "dev_default":
            row["source"] = "dev_default"
        kept.append(row)
    order = {source: index for index, source in enumerate(SOURCE_ORDER)}
    kept.sort(key=lambda r: (r["path"], r["line"] if r["line"] is not None else -1, order.get(r["source"], 99)))
    by_line: dict[tuple[str, int | None], dict] = {}
    merged: list[dict] = []
    seen: set[tuple[str, int | None, str]] = set()
    for row in kept:
        place = (row["path"], row["line"])
        first = by_line.get(place)
        generic = row["source"] in ("detect-secrets", "pattern", "dev_default")
        if first is not None and generic and first["source"] not in ("detect-secrets", "pattern", "dev_default"):
            first["types"].extend(t for t in row["types"] if t not in first["types"])   # a Mage row explains it
            continue
        if (row["path"], row["line"], row["fingerprint"]) in seen:
            continue
        seen.add((row["path"], row["line"], row["fingerprint"]))
        by_line.setdefault(place, row)
        merged.append(row)
    frame = pd.DataFrame(merged, columns=SECRET_COLUMNS)
    frame["line"] = frame["line"].astype("Int64")
    return frame.reset_index(drop=True)
