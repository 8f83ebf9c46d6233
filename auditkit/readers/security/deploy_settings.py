"""Mage's security settings of one deployment, resolved and judged (no file access here).

``resolve`` turns a raw setting value into (value, how): ``literal``, ``interpolated`` (from the
``.env`` file next to a compose file), ``default`` (``${VAR:-fallback}``: the variable is not set
by any committed file; the fallback is what runs unless someone sets it), ``reference`` (a
variable no committed file sets, a secret reference) or ``unset``. ``evaluate`` derives the
deployment columns from the resolved settings and the image; ``image_version`` reads the tag.

Image tags: ``x.y.z`` (optionally with a suffix such as ``-py3.11``) and digests are pinned; no tag,
``latest``, ``alpha``, ``beta``, ``nightly``, ``dev``, ``edge``, ``main``/``master``, ``stable``
and moving major/minor tags (``0``, ``0.9``) are not; any other tag is not judged (``None``).
Unpinned images run the current release, so their authentication default is on (0.9.78+), but
an image pulled before 0.9.78 runs with it off: ``auth_source`` says ``unpinned image``.
"""
from __future__ import annotations

import re
from typing import Any

from auditkit.readers.security.interpolate import interpolate

SERVER_SETTING_COLUMNS = ["path", "setting", "value_summary", "mage_version", "risk",
                          "service", "line", "project"]
DEPLOYMENT_COLUMNS = [
    "path", "service", "kind", "project", "image", "mage_version", "image_pinned", "auth_enabled",
    "auth_source", "ports_all_interfaces", "published_ports", "jwt_secret", "owner_password",
    "notebook_edit", "env", "production", "token_expiry_s", "authentication_mode",
    "production_evidence", "role", "image_file", "image_line", "line", "public", "image_from_default",
    "cpu_limit", "memory_limit_mib",
]

AUTH_DEFAULT_ON_FROM = (0, 9, 78)
DEFAULT_TOKEN_EXPIRY_S = 2_592_000
SETTINGS = ("REQUIRE_USER_AUTHENTICATION", "DEFAULT_OWNER_PASSWORD", "JWT_SECRET",
            "DISABLE_NOTEBOOK_EDIT_ACCESS", "AUTHENTICATION_MODE", "MAGE_ACCESS_TOKEN_EXPIRY_TIME",
            "ENV", "REQUIRE_USER_PERMISSIONS", "DISABLE_TERMINAL", "LDAP_BIND_PASSWORD")
SECRET_SETTINGS = {"DEFAULT_OWNER_PASSWORD", "JWT_SECRET", "LDAP_BIND_PASSWORD"}
MOVING_TAGS = frozenset({"latest", "alpha", "beta", "nightly", "dev", "develop", "edge", "main", "master",
                         "stable", "release", "canary", "next"})
_TRUE = {"true", "1", "t", "yes", "y"}
_IMAGE_RE = re.compile(r"(?:^|/)mageai/mageai(?::(?P<tag>[^@\s]+))?(?P<digest>@sha256:[0-9a-f]+)?")
_VERSION_RE = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)")
_MOVING_VERSION_RE = re.compile(r"^v?\d+(\.\d+)?$")
_REFERENCE_RE = re.compile(r"^\s*(\$\{?[A-Za-z_]|\{\{|<|secretKeyRef)")


def image_version(image: str | None) -> tuple[str | None, bool | None]:
    """(version text, pinned) of a ``mageai/mageai[:tag]`` image (see the module docstring)."""
    if not image:
        return None, False
    match = _IMAGE_RE.search(str(image))
    if not match:
        return None, False
    tag = match.group("tag")
    version = _VERSION_RE.match(tag or "")
    if match.group("digest"):
        return (".".join(version.groups()) if version else tag), True
    if not tag:
        return "latest", False
    if version:
        return ".".join(version.groups()), True
    if tag.lower() in MOVING_TAGS or _MOVING_VERSION_RE.match(tag):
        return tag, False
    return tag, None


def _version_tuple(version: str | None) -> tuple[int, ...] | None:
    match = _VERSION_RE.match(version or "")
    return tuple(int(p) for p in match.groups()) if match else None


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def resolve(value: Any, dotenv: dict[str, str]) -> tuple[str | None, str]:
    """(value, how) of one raw setting value (see the module docstring)."""
    if value is None:
        return None, "unset"
    if isinstance(value, bool):
        return ("true" if value else "false"), "literal"
    text = _unquote(str(value))
    if "$" in text:
        done = interpolate(text, dotenv)
        if done.unresolved or (not done.text and done.variables):
            return None, "reference"
        if done.defaulted:
            return done.text, "default"
        return done.text, "interpolated" if done.variables else "literal"
    if _REFERENCE_RE.match(text):
        return None, "reference"
    return text, "literal"


def evaluate(settings: dict[str, tuple[str | None, str]], image: str | None) -> dict[str, Any]:
    """The deployment columns derived from resolved settings and the image."""
    version, pinned = image_version(image)
    auth_value, auth_how = settings.get("REQUIRE_USER_AUTHENTICATION", (None, "unset"))
    if auth_how in ("literal", "interpolated", "default"):
        auth, source = str(auth_value).strip().lower() in _TRUE, "explicit"
    elif auth_how == "reference":
        auth, source = None, "reference"
    else:
        vt = _version_tuple(version)
        if vt is not None:
            auth, source = vt >= AUTH_DEFAULT_ON_FROM, "version default"
        elif pinned is False:
            auth, source = True, "version default (unpinned image)"
        else:
            auth, source = None, "unknown version"
    env_value = (settings.get("ENV", (None, ""))[0] or "").lower()
    expiry_raw = settings.get("MAGE_ACCESS_TOKEN_EXPIRY_TIME", (None, "unset"))[0]
    try:
        expiry = int(float(expiry_raw)) if expiry_raw not in (None, "") else DEFAULT_TOKEN_EXPIRY_S
    except ValueError:
        expiry = None

    def secret_state(name: str) -> str:
        value, how = settings.get(name, (None, "unset"))
        if how in ("reference", "default"):      # a variable: its fallback is not a committed secret
            return "reference"
        return "unset" if how == "unset" or value in (None, "") else "literal"

    edit_value, edit_how = settings.get("DISABLE_NOTEBOOK_EDIT_ACCESS", (None, "unset"))
    return {
        "image": image, "mage_version": version, "image_pinned": pinned, "auth_enabled": auth,
        "auth_source": source, "jwt_secret": secret_state("JWT_SECRET"),
        "owner_password": secret_state("DEFAULT_OWNER_PASSWORD"),
        "notebook_edit": (str(edit_value) if edit_value not in (None, "") else edit_how)
        if edit_how != "reference" else "reference",
        "env": env_value or None, "token_expiry_s": expiry,
        "authentication_mode": (settings.get("AUTHENTICATION_MODE", (None, ""))[0] or "local").lower(),
    }


def summarize(name: str, value: str | None, how: str) -> str:
    """The safe display value of one setting."""
    if how == "unset":
        return "unset"
    if how == "reference":
        return "reference"
    if name in SECRET_SETTINGS:
        if how == "default":
            return "variable with a default (redacted)"
        return "literal (redacted)" if value else "empty"
    text = str(value).strip().lower()
    if name == "REQUIRE_USER_AUTHENTICATION":
        return "true" if text in _TRUE else "false"
    if name in ("ENV", "AUTHENTICATION_MODE", "DISABLE_NOTEBOOK_EDIT_ACCESS", "MAGE_ACCESS_TOKEN_EXPIRY_TIME",
                "REQUIRE_USER_PERMISSIONS", "DISABLE_TERMINAL") and re.fullmatch(r"[\w.-]{1,20}", text):
        return text
    return "literal (redacted)"


def setting_risk(row: dict, deployment: dict | None, server_file: bool = False) -> str:
    """One-word risk of a setting row, for the report table: ok, low, medium, high, critical, unknown.
    ``server_file``: the row's file holds a server deployment (for rows of no deployment)."""
    name, value = row["setting"], row["value_summary"]
    production = bool(deployment.get("production")) if deployment else server_file
    if name == "REQUIRE_USER_AUTHENTICATION":
        auth = deployment.get("auth_enabled") if deployment else (value == "true" if value in ("true", "false") else None)
        if auth is None:
            return "unknown"
        if auth:
            return "ok"
        if not production:
            return "medium" if deployment and deployment.get("public") else "low"
        return "critical" if deployment.get("public") else "high"
    if name in ("DEFAULT_OWNER_PASSWORD", "LDAP_BIND_PASSWORD"):
        return ("high" if production else "low") if value == "literal (redacted)" else "ok"
    if name == "JWT_SECRET":
        if not production:
            return "ok" if value != "literal (redacted)" else "low"
        return "medium" if value == "unset" else ("high" if value == "literal (redacted)" else "ok")
    if name == "DISABLE_NOTEBOOK_EDIT_ACCESS":
        return "medium" if production and value in ("unset", "0") else "ok"
    if name == "MAGE_ACCESS_TOKEN_EXPIRY_TIME":
        return "low" if value.isdigit() and int(value) > DEFAULT_TOKEN_EXPIRY_S else "ok"
    if name == "image":
        return "low" if value == "unpinned" else "ok"
    if name == "ports":
        return ("medium" if production else "low") if value == "all interfaces" else "ok"
    if name == "command_line_credential":
        return ("high" if production else "medium") if value.startswith("literal") else ("medium" if production else "low")
    return "ok"
