"""Configuration files compared between environments, as rows that never hold a secret value.

* ``requirements.txt``: one row per requirement (normalised package name, what it pins). URLs
  lose their user and password; option lines (``--index-url``, ``-r``) keep the option name.
* dbt ``profiles.yml``: one row per (profile, target, key) with the value's *kind*
  (:func:`auditkit.readers.ioconfig.classify_text`); only the adapter ``type`` and plain target
  names are shown as values.
* ``settings.yaml`` and project ``metadata.yaml``: the document's leaves as dotted keys, after
  :func:`auditkit.readers.ioconfig.redact` (literal values under secret-looking keys become a
  fingerprint).
"""
from __future__ import annotations

import json
import re
from typing import Any, Iterator
from urllib.parse import urlsplit, urlunsplit

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from auditkit.model import short_hash
from auditkit.readers.ioconfig import classify_text, redact
from auditkit.readers.paths import decode_text
from auditkit.readers.yamlsafe import load_yaml

REQUIREMENTS_NAMES = frozenset({"requirements.txt"})
DBT_PROFILE_NAMES = frozenset({"profiles.yml", "profiles.yaml"})
_PLAIN_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://\S+")
_EGG = re.compile(r"#egg=([A-Za-z0-9_.-]+)")


def render(value: Any) -> str:
    """One value as short, stable text (dicts and lists as compact JSON with sorted keys)."""
    if value is None:
        return "(not set)"
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, sort_keys=True, default=str, separators=(", ", ": "))
    return str(value)


def without_credentials(url: str) -> str:
    """``url`` with any user and password removed (the host stays: it is not a secret)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return f"<url {short_hash(url)}>"
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, f"<credentials {short_hash(parts.netloc)}>@{host}", parts.path,
                       parts.query, parts.fragment))


def _mask_urls(text: str) -> str:
    return _URL.sub(lambda m: without_credentials(m.group(0)), text)


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """(first line number, line) with comments dropped and ``\\`` continuations joined."""
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = re.sub(r"(^|\s)#.*$", "", raw).rstrip()
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = (pending + line).strip()
        pending = ""
        if line:
            yield start, line


def requirement_rows(text: str) -> list[dict[str, Any]]:
    """``package, spec, line`` per requirement of a requirements.txt text."""
    rows = []
    for number, line in _logical_lines(text):
        if line.startswith("-"):
            option, _, value = line.partition(" ")
            option, _, inline = option.partition("=")
            value = (inline or value).strip()
            shown = _mask_urls(value) if "://" in value else value
            rows.append({"package": f"option {option}", "spec": shown or "(set)", "line": number})
            continue
        try:
            req = Requirement(line)
        except InvalidRequirement:
            egg = _EGG.search(line)
            name = canonicalize_name(egg.group(1)) if egg else f"line {number}"
            rows.append({"package": name, "spec": _mask_urls(line), "line": number})
            continue
        spec = str(req.specifier) or "(any version)"
        if req.extras:
            spec = f"[{','.join(sorted(req.extras))}] {spec}"
        if req.url:
            spec = f"@ {without_credentials(req.url)}"
        if req.marker:
            spec = f"{spec}; {req.marker}"
        rows.append({"package": canonicalize_name(req.name), "spec": spec, "line": number})
    return rows


def _leaves(value: Any, prefix: str = "", depth: int = 0) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict) and value and depth < 8:
        for key, item in value.items():
            yield from _leaves(item, f"{prefix}.{key}" if prefix else str(key), depth + 1)
    else:
        yield prefix, value


def setting_rows(document: Any, *, redacted: bool = False) -> list[dict[str, Any]]:
    """``key, value`` per leaf of a settings document, redacted first unless ``redacted`` says a
    reader already did it; lists are one leaf."""
    if not isinstance(document, dict):
        return []
    document = document if redacted else redact(document)
    return [{"key": key, "value": render(value)} for key, value in _leaves(document) if key]


def yaml_document(data: bytes, rel: str, problems=None) -> Any:
    """A YAML file's document (Jinja kept as text); None when it cannot be parsed."""
    text, _ = decode_text(data)
    loaded = load_yaml(text, rel, problems, jinja=True, keep_node=False)
    return loaded.data if loaded.ok else None


def _kind(key: str, value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, (dict, list)):
        return "structure"
    return classify_text(key, str(value))


def dbt_profile_rows(document: Any) -> list[dict[str, Any]]:
    """``profile, target, key, value_kind`` per setting of each target of a profiles.yml."""
    rows: list[dict[str, Any]] = []
    if not isinstance(document, dict):
        return rows
    for profile, body in document.items():
        if profile == "config" or not isinstance(body, dict):
            continue
        default = body.get("target")
        shown = str(default) if isinstance(default, str) and _PLAIN_NAME.match(default) else _kind("target", default)
        rows.append({"profile": str(profile), "target": "(default)", "key": "target", "value_kind": shown})
        outputs = body.get("outputs") if isinstance(body.get("outputs"), dict) else {}
        for target, settings in outputs.items():
            if not isinstance(settings, dict):
                continue
            for key, value in _leaves(settings):
                kind = _kind(key, value)
                if key == "type" and isinstance(value, str) and _PLAIN_NAME.match(value):
                    kind = f"type {value}"
                rows.append({"profile": str(profile), "target": str(target), "key": key, "value_kind": kind})
    return rows
