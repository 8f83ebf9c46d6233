"""Possibly-secret values: io_config.yaml leaves as kinds + fingerprints, and redaction of dicts.

No value that might be a credential ever leaves this module: ``io_config`` rows hold a
``value_kind`` and, for literals, a short fingerprint (:func:`auditkit.model.short_hash`).
Dicts that readers keep verbatim (project metadata, notification configs, block
configurations) pass through :func:`redact` first.
"""
from __future__ import annotations

import re
from typing import Any, Iterator
from urllib.parse import urlsplit

import yaml

from auditkit.model import short_hash

VALUE_KINDS = ("env_var", "mage_secret_var", "aws_secret_var", "azure_secret_var", "jinja_other",
               "placeholder", "literal", "empty", "number", "bool")

_JINJA_CALL_RE = re.compile(r"\{\{-?\s*(\w+)\s*\(")
_JINJA_KINDS = {"env_var": "env_var", "mage_secret_var": "mage_secret_var",
                "aws_secret_var": "aws_secret_var", "azure_secret_var": "azure_secret_var"}
_TAG = "tag:yaml.org,2002:"

# Dict keys whose literal values are treated as secrets when a reader keeps a dict verbatim.
SECRET_KEY_RE = re.compile(
    r"pass(word|wd|phrase)?|secret|token|api_?key|private_?key|access_?key|credential|webhook|"
    r"connection_?(string|url)|redis_url|dsn", re.I)
_SECRET_LINE_RE = re.compile(
    r"^(?P<head>\s*-?\s*[\"']?[\w.-]*(?:pass(?:word|wd|phrase)?|secret|token|api_?key|private_?key|"
    r"access_?key|credential|webhook|dsn)[\w.-]*[\"']?\s*:\s*)(?P<value>\S.*)$", re.I | re.M)


def classify_text(key: str, text: str) -> str:
    """Kind of a string value (Jinja call, template placeholder, empty or literal)."""
    stripped = text.strip()
    if not stripped:
        return "empty"
    if "{{" in stripped:
        match = _JINJA_CALL_RE.search(stripped)
        return _JINJA_KINDS.get(match.group(1), "jinja_other") if match else "jinja_other"
    if is_placeholder_value(key, text):
        return "placeholder"
    return "literal"


def is_placeholder_value(key: str, text: str) -> bool:
    """Whether an io_config value is template or placeholder text, not a setting of the team's.

    Mage's own template values for the key come from the templates in mage-ai's wheels
    (:func:`auditkit.readers.templates.io_config_template_values`); the rest are the shapes of
    :func:`auditkit.readers.security.quiet.is_placeholder` (the key's own name, ``YOUR-...``,
    ``<...>``, ``your_*``) and ``${VAR}`` text, which Mage does not substitute in io_config.
    """
    from auditkit.readers.security.quiet import is_placeholder
    from auditkit.readers.templates import io_config_template_values

    stripped = text.strip()
    template = io_config_template_values(key)
    if stripped in template or text in template:
        return True
    return (stripped.startswith("${") and stripped.endswith("}")) or is_placeholder(stripped, key)


def classify_node(key: str, node: yaml.ScalarNode) -> str:
    """Kind of a scalar node, from its resolved YAML tag and text."""
    tag = node.tag or ""
    if tag == _TAG + "null":
        return "empty"
    if tag == _TAG + "bool":
        return "bool"
    if tag in (_TAG + "int", _TAG + "float"):
        return "number"
    return classify_text(key, node.value)


def io_config_rows(node: yaml.Node | None, project: str, path: str) -> list[dict[str, Any]]:
    """One row per (profile, leaf key) of a composed io_config.yaml node; values never kept."""
    rows: list[dict[str, Any]] = []
    if not isinstance(node, yaml.MappingNode):
        return rows
    for key_node, value_node in node.value:
        profile = str(key_node.value)
        if profile == "version" or not isinstance(value_node, yaml.MappingNode):
            continue
        for key, leaf_key_node, leaf in _leaves(value_node, ""):
            kind = classify_node(key, leaf) if isinstance(leaf, yaml.ScalarNode) else "empty"
            fingerprint = short_hash(leaf.value) if kind == "literal" else None
            rows.append({"project": project, "path": path, "profile": profile, "key": key,
                         "value_kind": kind, "fingerprint": fingerprint,
                         "target_scope": target_scope(leaf.value) if kind == "literal" else None,
                         "line": leaf_key_node.start_mark.line + 1})
    return rows


_LOCAL_HOSTS = frozenset({"localhost", "host.docker.internal", "0.0.0.0", "::1"})


def target_scope(text: str) -> str:
    """Where a literal network target points, without keeping it: ``local`` (this machine, or
    a single-label name such as a compose service ``postgres``, which each stack resolves to
    its own container) or ``remote`` (a dotted host name, an IP address of another machine,
    a URL to one). Used for host-like keys; other values come out ``remote`` and mean nothing."""
    value = text.strip()
    host = urlsplit(value).hostname if "://" in value else value.rsplit("@", 1)[-1].split("/", 1)[0]
    host = (host or "").strip("[]").lower()
    if host.count(":") == 1:
        host = host.split(":", 1)[0]
    if not host or host in _LOCAL_HOSTS or host.startswith("127.") or "." not in host:
        return "local"
    return "remote"


def _leaves(node: yaml.Node, prefix: str) -> Iterator[tuple[str, yaml.Node, yaml.Node]]:
    # Iterative so a wide or deep profile cannot hit the recursion limit.
    stack = [(node, prefix, None)]
    while stack:
        current, base, key_node = stack.pop()
        if isinstance(current, yaml.MappingNode):
            for k, v in reversed(current.value):
                stack.append((v, f"{base}.{k.value}" if base else str(k.value), k))
        elif isinstance(current, yaml.SequenceNode):
            if not current.value and key_node is not None:
                yield base, key_node, yaml.ScalarNode(_TAG + "null", "")
            for index, item in reversed(list(enumerate(current.value))):
                stack.append((item, f"{base}.{index}", key_node))
        elif key_node is not None:
            yield base, key_node, current


def _is_secret_key(key: Any) -> bool:
    return isinstance(key, str) and bool(SECRET_KEY_RE.search(key))


def redact(value: Any, _key: Any = None) -> Any:
    """Copy of ``value`` with literal values under secret-looking keys replaced by a marker.

    The marker keeps the kind and a fingerprint (``<redacted literal 1a2b...>``); Jinja
    expressions such as ``{{ env_var('X') }}`` are kept because they name, not hold, a secret.
    """
    if isinstance(value, dict):
        return {k: redact(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v, _key) for v in value]
    if _is_secret_key(_key) and isinstance(value, str) and value.strip() and "{{" not in value:
        return f"<redacted literal {short_hash(value)}>"
    return value


def redact_text(text: str) -> str:
    """Raw YAML text with literal values of secret-looking keys masked (Jinja kept)."""
    def _mask(match: re.Match) -> str:
        value = match.group("value")
        if "{{" in value or value.strip() in ("null", "~", "''", '""', "|", ">"):
            return match.group(0)
        return f"{match.group('head')}<redacted literal {short_hash(value.strip())}>"
    return _SECRET_LINE_RE.sub(_mask, text)
