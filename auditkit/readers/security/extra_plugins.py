"""auditkit's own secret patterns, for what detect-secrets' default plugins do not report.

Both look for a literal value in a place only a credential goes, so they stay quiet on code:

* ``Bearer Token``: ``Authorization: Bearer <literal>`` (a header written into code), where
  detect-secrets reports only JSON web tokens;
* ``Literal Token Assignment``: a quoted literal of 16+ characters with letters and digits
  assigned to, or passed as, a token or API-key name (``app_token = "..."``,
  ``Client(api_key="...")``). detect-secrets' keyword list has no ``token``, and its UUID
  filter drops UUID-shaped API keys.

detect-secrets' own value filters (sequential, templated, non-alphanumeric) and its
``pragma: allowlist secret`` comment apply; placeholders and expressions are judged afterwards
like every other hit (:mod:`auditkit.readers.security.quiet`). Lines are the file's raw lines.
"""
from __future__ import annotations

import re

BEARER = "Bearer Token"
ASSIGNMENT = "Literal Token Assignment"
NAMES = frozenset({"BearerTokenDetector", "TokenAssignmentDetector"})

_BEARER_RE = re.compile(r"\bbearer[ \t]+([A-Za-z0-9._~+/=-]{16,})(?![A-Za-z0-9._~+/={$-])", re.I | re.M)
_TOKEN_NAME = (r"[A-Za-z_]*(?:token|api_?key|apikey|secret_?key|client_?secret|access_?key)(?![A-Za-z0-9])"
               r"(?!_?(?:id|name|url|uri|path|file|type|expir\w*|ttl|len\w*)\b)")
_ASSIGNMENT_RE = re.compile(
    r"(?<![\w.])[\"']?" + _TOKEN_NAME + r"[\"']?\s*(?::=|=|:)\s*([\"'])([A-Za-z0-9_\-.+/=]{16,})\1",
    re.I | re.M)
_GATE_RE = re.compile(r"bearer|token|api_?key|apikey|secret|access_?key", re.I)


def _has_letters_and_digits(value: str) -> bool:
    return any(c.isdigit() for c in value) and any(c.isalpha() for c in value)


def _kept(value: str, line: str, previous: str, path: str) -> bool:
    from detect_secrets.filters import heuristic
    from detect_secrets.filters.allowlist import is_line_allowlisted
    from detect_secrets.util.code_snippet import CodeSnippet

    if not _has_letters_and_digits(value) or heuristic.is_sequential_string(value) \
            or heuristic.is_templated_secret(value) or heuristic.is_not_alphanumeric_string(value):
        return False
    context = CodeSnippet(snippet=[previous, line], start_line=0, target_index=1)
    return not is_line_allowlisted(filename=path, line=line, context=context)


def scan(path: str, text: str) -> list[tuple[int, str, str, str]]:
    """(line, secret type, plugin name, value) of every hit in ``text`` (``\\n`` line ends)."""
    if not _GATE_RE.search(text):
        return []
    found = []
    for pattern, group, secret_type, plugin in ((_BEARER_RE, 1, BEARER, "BearerTokenDetector"),
                                                (_ASSIGNMENT_RE, 2, ASSIGNMENT, "TokenAssignmentDetector")):
        for match in pattern.finditer(text):
            value = match.group(group)
            start = text.rfind("\n", 0, match.start()) + 1
            end = text.find("\n", match.start())
            line = text[start:] if end < 0 else text[start:end]
            if "\n" in match.group(0):
                continue
            previous_start = text.rfind("\n", 0, max(start - 1, 0)) + 1
            previous = text[previous_start:start - 1] if start else ""
            if _kept(value, line, previous, path):
                found.append((text.count("\n", 0, match.start()) + 1, secret_type, plugin, value))
    return found
