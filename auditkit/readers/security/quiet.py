"""Why a detector's hit is not a committed secret of the team, when it is not.

A secret detector sees a credential keyword next to a value; it cannot know that the value is
Mage's own template text, a placeholder, an expression that names a secret kept elsewhere, a
well-known local-development default, or a file of someone else's package. Each hit gets one
reason here (or None: a secret). The generic scan keeps every hit; the reason decides what the
rules report (see :mod:`auditkit.readers.security.mage_secrets`):

* ``placeholder``: the value says it is not real: it repeats its key (``password: password``,
  ``DB_PASSWORD: Password``), is Mage's io_config template value for that key, reads
  ``YOUR-...``, ``your_*``, ``my_*``, ``<...>``, ``changeme``, ``xxxx``, or is an ALL_CAPS name
  such as ``PREFECT_CLOUD_API_KEY``;
* ``expression``: the value is part of an expression or names a secret: concatenated
  (``"password-" + x``), an argument of ``get_secret_value``/``mage_secret_var``/``os.getenv``,
  a Terraform ``var.x``, ``${VAR}``/``{{ ... }}`` interpolation, or the value of a key that names
  a secret (``*_secret_name``, ``*_id``, ``*_arn``, ``*_path``);
* ``template``: a commented line of an untouched Mage template file (recognised by content);
* ``example``: a keyword or entropy hit in an example, sample or documentation file
  (``.env.example``, ``*.sample``, ``README.md``); provider-format tokens there stay secrets;
* ``dev_default``: a well-known local-development default (``postgres``, ``minioadmin``, a
  password equal to its user) outside any file with production evidence; reported once, as
  advice, by MAGE-SEC-041.

Vendored third-party code (``dbt_packages/``, a dbt ``target/`` folder, ``site-packages/``) is not
scanned at all: :func:`is_vendored`.
"""
from __future__ import annotations

import re
from pathlib import PurePosixPath

# Reasons whose hits are not reported at all (``dev_default`` ones become advice).
DROPPED = frozenset({"placeholder", "expression", "template", "example"})
VENDORED_DIRS = frozenset({"dbt_packages", "dbt_modules", "site-packages", "node_modules", "bower_components"})
# Files and folders that only dbt writes into its target/ folder.
_DBT_TARGET_MARKERS = frozenset({"compiled", "run", "manifest.json", "run_results.json", "catalog.json",
                                 "graph.gpickle", "partial_parse.msgpack", "semantic_manifest.json",
                                 "sources.json", "graph_summary.json", "index.html", "perf_info.json"})
_EXAMPLE_SUFFIXES = (".example", ".sample", ".template", ".tmpl", ".dist", ".defaults")
_DOC_SUFFIXES = (".md", ".rst", ".adoc", ".markdown")
_KEYWORD_TYPES = frozenset({"Secret Keyword", "Base64 High Entropy String", "Hex High Entropy String",
                            "Basic Auth Credentials", "Literal Token Assignment", "Bearer Token"})

_PLACEHOLDER_WORDS = frozenset({
    "changeme", "change_me", "change-me", "changethis", "replaceme", "replace_me", "replace-me", "todo",
    "tbd", "placeholder", "dummy", "fake", "redacted", "example", "sample", "none", "null", "undefined"})
# Passwords that ship as defaults of common images and tutorials; equal to a user is one too.
DEV_DEFAULTS = frozenset({
    "postgres", "postgresql", "password", "passw0rd", "pass", "admin", "administrator", "root", "mage",
    "airflow", "prefect", "superset", "metabase", "minioadmin", "minio", "minio123", "clickhouse", "trino",
    "kafka", "redis", "rabbitmq", "guest", "grafana", "keycloak", "mysql", "mariadb", "mongo", "mongodb",
    "default", "test", "testing", "dev", "development", "local", "secret", "user", "username",
    "123456", "12345678", "1234", "qwerty", "letmein", "admin123", "password123", "sa", "spark", "hive"})
_KEY_BEFORE_RE = re.compile(r"([A-Za-z_][\w.-]*)['\"\]]*\s*(?:\(\s*)?['\"]?\s*(?::=|=>|==|=|:|\s)\s*[@'\"`]*\s*$")
_NAME_KEY_RE = re.compile(r"(^|[_.-])(name|names|id|ids|uuid|arn|path|file|filepath|file_path|var|env_var|ref|"
                          r"hash|sha|sha1|sha256|sha512|md5|checksum|digest)$", re.I)
_PASSWORD_KEY_RE = re.compile(r"pass|pwd", re.I)
_CALL_BEFORE_RE = re.compile(
    r"(get_secret_value|get_secret|mage_secret_var|secret_var|env_var|getenv|environ\.get|environ\[|"
    r"secretmanager\w*|access_secret_version|SecretClient\.\w+|get_parameter)\s*\(?\s*[^()]*$", re.I)
_CAPS_NAME_RE = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")
_CAPS_SECRET_WORD_RE = re.compile(r"(^|_)(KEY|SECRET|TOKEN|PASSWORD|PASS|PWD|API|CREDENTIALS?)(_|$)")
_URL_USER_RE = re.compile(r"://([^:/@\s'\"]+):([^@\s'\"]+)@")
_PROD_PATH_RE = re.compile(r"(^|[/_.-])(prod|production|live)([/_.-]|$)", re.I)
# The deployment's own environment switch (Mage reads ENV); a product's mode flag (SUPERSET_ENV) is not one.
_PROD_ENV_RE = re.compile(r"^\s*-?\s*(?:export\s+)?['\"]?(ENV|ENVIRONMENT|APP_ENV|MAGE_ENV|DEPLOY_ENV|DEPLOYMENT_ENV|"
                          r"DEPLOYMENT_ENVIRONMENT|STAGE|APP_STAGE)['\"]?\s*[:=]\s*['\"]?(prod|production)['\"]?\s*$",
                          re.I | re.M)
# A user, database or access-key name (S3-style services use the access key as the user).
_USERISH_RE = re.compile(r"^\s*-?\s*['\"]?(?:export\s+)?([\w.]*(?:USER|USERNAME|_DB|DBNAME|DATABASE|ACCESS_KEY|ACCESS_KEY_ID))"
                         r"['\"]?\s*[:=]\s*['\"]?([\w.-]+)",
                         re.I | re.M)
_SECRET_WORD_RE = re.compile(r"secret|pass|pwd|token", re.I)
_SERVICE_RE = re.compile(r"^  ([A-Za-z0-9][\w.-]*):\s*$", re.M)


def is_vendored(path: str) -> bool:
    """Whether ``path`` lies in third-party code copied into the repo (not the team's secrets)."""
    parts = PurePosixPath(path).parts
    if any(part in VENDORED_DIRS for part in parts[:-1]):
        return True
    for index, part in enumerate(parts[:-1]):
        if part == "target" and parts[index + 1] in _DBT_TARGET_MARKERS:
            return True
    return False


def is_example_file(path: str) -> bool:
    """Example, sample and documentation files (``.env.example``, ``sample.env``, ``README.md``)."""
    name = PurePosixPath(path).name.lower()
    stem = name.rsplit(".", 1)[0]
    return (name.endswith(_EXAMPLE_SUFFIXES) or name.endswith(_DOC_SUFFIXES)
            or stem in ("example", "sample", "template") or ".example." in name or ".sample." in name
            or "docs" in PurePosixPath(path.lower()).parts[:-1])


def key_before(line: str, value: str) -> tuple[str | None, int]:
    """(the name the value is assigned to on ``line``, the value's column), or (None, -1)."""
    pos = line.find(value) if value else -1
    if pos < 0:
        return None, -1
    match = _KEY_BEFORE_RE.search(line[:pos])
    return (match.group(1) if match else None), pos


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def is_placeholder(value: str, key: str | None) -> bool:
    """Whether ``value`` is placeholder text rather than a credential (see module doc)."""
    from auditkit.readers.templates import io_config_template_values

    lower = value.strip().lower()
    if not lower or lower in _PLACEHOLDER_WORDS or re.fullmatch(r"[x*.#_-]{3,}|(.)\1{5,}", lower):
        return True
    if lower.startswith(("your_", "your-", "yourpass", "your ", "my_", "my-", "<", "[")) or value.startswith("YOUR"):
        return True
    if _CAPS_NAME_RE.match(value) and _CAPS_SECRET_WORD_RE.search(value):
        return True
    if key:
        leaf = key.rsplit(".", 1)[-1]
        words = [w for w in re.split(r"[_.-]+", leaf.lower()) if w]
        if _norm(value) in {_norm(leaf), _norm(leaf.replace("_", ""))} or (words and lower in (words[-1], "_".join(words[-2:]))):
            return True
        if value in io_config_template_values(key) or value in io_config_template_values(leaf):
            return True
    return False


def is_expression(line: str, value: str, key: str | None, pos: int) -> bool:
    """Whether the hit is an expression or a secret's name rather than a literal secret."""
    if value.startswith(("var.", "local.", "data.", "module.")) or "${" in value or "{{" in value:
        return True
    if key and _NAME_KEY_RE.search(key):
        return True
    if pos < 0:
        return False
    before = line[:pos].rstrip(" '\"`fbr")
    after = line[pos + len(value):].lstrip(" '\"`")
    if before.endswith(("+", "%")) or after.startswith(("+", "%", ".format(", "[")):
        return True
    return bool(_CALL_BEFORE_RE.search(line[:pos]))


class FileFacts:
    """What the reasons need to know about one file, computed once and only when asked."""

    def __init__(self, path: str, text: str) -> None:
        self.path, self.text = path, text
        self._lines: list[str] | None = None
        self._template: bool | None = None
        self._names: set[str] | None = None

    def line(self, number: int) -> str:
        if self._lines is None:
            self._lines = self.text.split("\n")
        return self._lines[number - 1] if 0 < number <= len(self._lines) else ""

    def is_template(self) -> bool:
        if self._template is None:
            from auditkit.readers.templates import is_template_code
            self._template = is_template_code(self.text)
        return self._template

    def local_names(self) -> set[str]:
        """User, database and compose service names of the file (a password equal to one is a default)."""
        if self._names is None:
            names = {m.group(2).lower() for m in _USERISH_RE.finditer(self.text)
                     if not _SECRET_WORD_RE.search(m.group(1))}
            if re.search(r"^services:\s*$", self.text, re.M):
                names |= {m.group(1).lower() for m in _SERVICE_RE.finditer(self.text)}
            self._names = names
        return self._names

    def has_production_evidence(self) -> bool:
        return bool(_PROD_PATH_RE.search(self.path) or _PROD_ENV_RE.search(self.text))


def reason(facts: FileFacts, number: int, value: str, secret_type: str, seen: str | None = None) -> str | None:
    """Why the hit at line ``number`` is not a secret of the team (see module doc), or None.

    ``seen`` is the line the detector saw when it was not the file's own (detect-secrets'
    ``key: "value"`` line of a YAML or ini value); the key and the expression are read there.
    """
    line = seen if seen is not None else facts.line(number)
    key, pos = key_before(line, value)
    if secret_type not in _KEYWORD_TYPES:   # a provider-format token is a secret wherever it is
        return "placeholder" if "EXAMPLE" in value.upper() else None
    if is_placeholder(value, key):
        return "placeholder"
    if is_expression(line, value, key, pos):
        return "expression"
    if facts.line(number).lstrip().startswith(("#", "--", "//")) and facts.is_template():
        return "template"
    if is_example_file(facts.path):
        return "example"
    if is_dev_default(facts, line, value) and not facts.has_production_evidence():
        return "dev_default"
    return None


def local_stack_passwords(facts: FileFacts, rows: list[dict], values: dict[int, str]) -> None:
    """In a file that already uses well-known defaults (a local stack: compose, init script,
    .env), other literal passwords belong to the same throwaway stack: mark them ``dev_default``.

    ``rows`` are one file's rows with their ``quiet`` reasons; ``values[id(row)]`` the value.
    Tokens and API keys stay secrets: they usually open services outside the stack.
    """
    if not any(r["quiet"] == "dev_default" for r in rows) or facts.has_production_evidence():
        return
    for row in rows:
        if row["quiet"] is None and set(row["types"]) <= {"Secret Keyword", "Basic Auth Credentials"}:
            key, _pos = key_before(facts.line(row["line"]), values[id(row)])
            if key and _PASSWORD_KEY_RE.search(key) or "Basic Auth Credentials" in row["types"]:
                row["quiet"] = "dev_default"


def is_dev_default(facts: FileFacts, line: str, value: str) -> bool:
    lower = value.lower()
    if lower in DEV_DEFAULTS:
        return True
    for user, password in _URL_USER_RE.findall(line):
        if password == value and user.lower() == lower:
            return True
    return lower in facts.local_names()
