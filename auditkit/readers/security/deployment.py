"""Mage server settings from deployment files committed in the repo.

Sources: docker-compose files (services, ``environment``, ``env_file``, ``ports``), ``.env``
files, Dockerfiles (``FROM``, ``ENV``), Kubernetes/Helm YAML (``env`` lists, images) and
Terraform (``name``/``value`` pairs, ``KEY = "value"``). A *deployment* is one place a Mage
server is configured (a compose service, a Dockerfile, a Kubernetes manifest, a Terraform
file); its settings are judged against the defaults of the image version it pins
(``REQUIRE_USER_AUTHENTICATION`` defaults to off before 0.9.78, see the reference §6.1).

Values of secret settings are never kept: a setting is summarised as ``unset``, ``reference``
(``${VAR}``, Terraform variables, secretKeyRef), ``literal (redacted)``, or for non-secret
switches the switch value itself (``0``, ``1``, ``true``, ``ldap``, a number of seconds).
"""
from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Any, Callable

import pandas as pd

from auditkit.readers.security.secrets import is_reference, unquote
from auditkit.readers.yamlsafe import load_yaml

SERVER_SETTING_COLUMNS = ["file", "setting", "value_summary", "mage_version", "risk",
                          "service", "line", "project"]
DEPLOYMENT_COLUMNS = [
    "file", "service", "kind", "project", "image", "mage_version", "image_pinned", "auth_enabled",
    "auth_source", "ports_all_interfaces", "published_ports", "jwt_secret", "owner_password",
    "notebook_edit", "env", "production", "token_expiry_s", "authentication_mode",
]

AUTH_DEFAULT_ON_FROM = (0, 9, 78)
DEFAULT_TOKEN_EXPIRY_S = 2_592_000
SETTINGS = ("REQUIRE_USER_AUTHENTICATION", "DEFAULT_OWNER_PASSWORD", "JWT_SECRET",
            "DISABLE_NOTEBOOK_EDIT_ACCESS", "AUTHENTICATION_MODE", "MAGE_ACCESS_TOKEN_EXPIRY_TIME",
            "ENV", "REQUIRE_USER_PERMISSIONS", "DISABLE_TERMINAL", "LDAP_BIND_PASSWORD")
SECRET_SETTINGS = {"DEFAULT_OWNER_PASSWORD", "JWT_SECRET", "LDAP_BIND_PASSWORD"}
_TRUE = {"true", "1", "t", "yes", "y"}
_IMAGE_RE = re.compile(r"(?P<image>(?:[\w.-]+/)?mageai/mageai(?::(?P<tag>[\w.-]+))?(?:@sha256:[0-9a-f]+)?)")
_VERSION_RE = re.compile(r"^(\d+)\.(\d+)\.(\d+)")
_SETTING_NAMES = "|".join(SETTINGS)
_TF_PAIR_RE = re.compile(r'name\s*[=:]\s*"(?P<key>%s)"[^{}]{0,200}?value\s*[=:]\s*"(?P<value>[^"]*)"' % _SETTING_NAMES, re.S)
_TF_ASSIGN_RE = re.compile(r'^\s*"?(?P<key>%s)"?\s*[=:]\s*"(?P<value>[^"]*)"' % _SETTING_NAMES, re.M)
_ENV_LINE_RE = re.compile(r"^\s*(?:export\s+)?(?P<key>[A-Za-z_][A-Za-z0-9_]*)\s*=\s*(?P<value>.*?)\s*$")
_DOCKER_ENV_RE = re.compile(r"^\s*ENV\s+(?P<rest>.+)$", re.I | re.M)
_INTERP_RE = re.compile(r"^\$\{?(?P<var>[A-Za-z_][A-Za-z0-9_]*)(?::?-(?P<default>[^}]*))?\}?$")


def is_compose_file(name: str) -> bool:
    lower = name.lower()
    return lower.endswith((".yml", ".yaml")) and ("docker-compose" in lower or lower.startswith("compose"))


def is_dockerfile(name: str) -> bool:
    lower = name.lower()
    return lower.startswith("dockerfile") or lower.endswith(".dockerfile")


def parse_env_text(text: str) -> dict[str, tuple[str, int]]:
    """``KEY=value`` lines of a .env file -> {key: (raw value, line)}."""
    values: dict[str, tuple[str, int]] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("#"):
            continue
        match = _ENV_LINE_RE.match(line)
        if match:
            values[match.group("key")] = (match.group("value"), number)
    return values


def image_version(image: str | None) -> tuple[str | None, bool]:
    """(version text, pinned) of a ``mageai/mageai[:tag]`` image; ``latest``/no tag is unpinned."""
    if not image:
        return None, False
    match = _IMAGE_RE.search(image)
    if not match:
        return None, False
    tag = match.group("tag")
    if "@sha256:" in image:
        return tag, True
    if not tag or tag == "latest":
        return tag or "latest", False
    version = _VERSION_RE.match(tag)
    return (".".join(version.groups()) if version else tag), True


def _version_tuple(version: str | None) -> tuple[int, ...] | None:
    match = _VERSION_RE.match(version or "")
    return tuple(int(p) for p in match.groups()) if match else None


def _line_of(text: str, needle: str) -> int | None:
    index = text.find(needle)
    return text.count("\n", 0, index) + 1 if index >= 0 else None


def _resolve(value: Any, dotenv: dict[str, tuple[str, int]]) -> tuple[str | None, str]:
    """(value, how): compose-style ``${VAR}`` is looked up in the .env next to the file."""
    if value is None:
        return None, "unset"
    text = str(value).strip()
    if isinstance(value, bool):
        text = "true" if value else "false"
    match = _INTERP_RE.match(text)
    if match:
        var = match.group("var")
        if var in dotenv and not is_reference(dotenv[var][0]):
            return unquote(dotenv[var][0]), "interpolated"
        if match.group("default"):
            return match.group("default"), "default"
        return None, "reference"
    if is_reference(text):
        return None, "reference"
    return unquote(text), "literal"


def _env_from_compose(service: dict) -> dict[str, Any]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        parsed = {}
        for item in env:
            key, _, value = str(item).partition("=")
            parsed[key.strip()] = value if _ else None
        env = parsed
    return env if isinstance(env, dict) else {}


def _ports(service: dict) -> list[tuple[str, bool]]:
    """(summary, on all interfaces) per published port of a compose service."""
    out = []
    for port in service.get("ports") or []:
        if isinstance(port, dict):
            host_ip = str(port.get("host_ip") or "")
            target = port.get("target")
            out.append((f"{host_ip or '*'}:{port.get('published', '?')}->{target}", host_ip in ("", "0.0.0.0", "::")))
            continue
        text = str(port).split("/")[0]
        parts = text.rsplit(":", 2) if text.count(":") >= 2 else text.split(":")
        if len(parts) == 3:
            host_ip = parts[0].strip("[]")
            out.append((f"{host_ip}:{parts[1]}->{parts[2]}", host_ip in ("", "0.0.0.0", "::")))
        elif len(parts) == 2:
            out.append((f"*:{parts[0]}->{parts[1]}", True))
        else:
            out.append((f"*:random->{parts[0]}", True))
    return out


def evaluate(settings: dict[str, tuple[str | None, str]], image: str | None) -> dict[str, Any]:
    """The deployment columns derived from resolved settings and the pinned image."""
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
        elif version == "latest":
            auth, source = True, "version default (latest)"
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
        if how == "reference":
            return "reference"
        return "unset" if how == "unset" or value in (None, "") else "literal"

    edit_value, edit_how = settings.get("DISABLE_NOTEBOOK_EDIT_ACCESS", (None, "unset"))
    return {
        "image": image, "mage_version": version, "image_pinned": pinned, "auth_enabled": auth,
        "auth_source": source, "jwt_secret": secret_state("JWT_SECRET"),
        "owner_password": secret_state("DEFAULT_OWNER_PASSWORD"),
        "notebook_edit": (str(edit_value) if edit_value not in (None, "") else edit_how)
        if edit_how != "reference" else "reference",
        "env": env_value or None, "production": env_value in ("prod", "production"),
        "token_expiry_s": expiry,
        "authentication_mode": (settings.get("AUTHENTICATION_MODE", (None, ""))[0] or "local").lower(),
    }


def summarize(name: str, value: str | None, how: str) -> str:
    """The safe display value of one setting."""
    if how == "unset":
        return "unset"
    if how == "reference":
        return "reference"
    if name in SECRET_SETTINGS:
        return "literal (redacted)" if value else "empty"
    text = str(value).strip().lower()
    if name == "REQUIRE_USER_AUTHENTICATION":
        return "true" if text in _TRUE else "false"
    if name in ("ENV", "AUTHENTICATION_MODE", "DISABLE_NOTEBOOK_EDIT_ACCESS", "MAGE_ACCESS_TOKEN_EXPIRY_TIME",
                "REQUIRE_USER_PERMISSIONS", "DISABLE_TERMINAL") and re.fullmatch(r"[\w.-]{1,20}", text):
        return text
    return "literal (redacted)"


class DeploymentReader:
    """Collects deployments and setting rows; ``read_text(rel)`` returns a repo file's text or None."""

    def __init__(self, read_text: Callable[[str], str | None], project_of: Callable[[str], str | None],
                 problems) -> None:
        self.read_text = read_text
        self.project_of = project_of
        self.problems = problems
        self.deployments: list[dict] = []
        self.settings: list[dict] = []

    def _dotenv_near(self, rel: str) -> dict[str, tuple[str, int]]:
        folder = PurePosixPath(rel).parent
        text = self.read_text(str(folder / ".env") if str(folder) != "." else ".env")
        return parse_env_text(text) if text else {}

    def _add(self, rel: str, service: str | None, kind: str, image: str | None,
             raw: dict[str, tuple[Any, int | None]], dotenv: dict, ports: list[tuple[str, bool]]) -> None:
        resolved = {k: _resolve(v, dotenv) for k, (v, _) in raw.items() if k in SETTINGS}
        row = {"file": rel, "service": service, "kind": kind, "project": self.project_of(rel),
               **evaluate(resolved, image),
               "ports_all_interfaces": any(all_if for _, all_if in ports),
               "published_ports": [summary for summary, _ in ports]}
        self.deployments.append(row)
        for name in SETTINGS:
            value, how = resolved.get(name, (None, "unset"))
            self.settings.append({"file": rel, "setting": name, "value_summary": summarize(name, value, how),
                                  "mage_version": row["mage_version"], "risk": None, "service": service,
                                  "line": raw.get(name, (None, None))[1], "project": row["project"]})
        self.settings.append({"file": rel, "setting": "image", "mage_version": row["mage_version"],
                              "value_summary": "pinned" if row["image_pinned"] else "unpinned" if image else "unknown",
                              "risk": None, "service": service, "line": _line_of(self.read_text(rel) or "", "mageai/mageai"),
                              "project": row["project"]})
        self.settings.append({"file": rel, "setting": "ports", "mage_version": row["mage_version"],
                              "value_summary": "all interfaces" if row["ports_all_interfaces"]
                              else ("localhost only" if ports else "not published"),
                              "risk": None, "service": service, "line": None, "project": row["project"]})

    def read_compose(self, rel: str, text: str) -> None:
        loaded = load_yaml(text, rel, self.problems, project=self.project_of(rel))
        services = (loaded.data or {}).get("services") if isinstance(loaded.data, dict) else None
        if not isinstance(services, dict):
            return
        dotenv = self._dotenv_near(rel)
        folder = PurePosixPath(rel).parent
        for name, service in services.items():
            if not isinstance(service, dict):
                continue
            image = str(service.get("image") or "")
            command = str(service.get("command") or "")
            if "mageai" not in image and "mage start" not in command:
                continue
            raw: dict[str, tuple[Any, int | None]] = {}
            env_files = service.get("env_file") or []
            for env_file in [env_files] if isinstance(env_files, (str, dict)) else env_files:
                env_path = env_file.get("path") if isinstance(env_file, dict) else env_file
                env_rel = str(PurePosixPath(folder, str(env_path))) if env_path else None
                env_text = self.read_text(env_rel) if env_rel else None
                for key, (value, _) in parse_env_text(env_text or "").items():
                    raw[key] = (value, None)
            for key, value in _env_from_compose(service).items():
                raw[key] = (value, _line_of(text, key))
            self._add(rel, str(name), "compose", image or None, raw, dotenv, _ports(service))

    def read_dockerfile(self, rel: str, text: str) -> None:
        images = [m.group("image") for m in re.finditer(r"^\s*FROM\s+(?P<image>\S+)", text, re.I | re.M)]
        mage = [i for i in images if "mageai/mageai" in i]
        if not mage:
            return
        raw: dict[str, tuple[Any, int | None]] = {}
        for match in _DOCKER_ENV_RE.finditer(text):
            rest = match.group("rest").strip()
            line = text.count("\n", 0, match.start()) + 1
            pairs = re.findall(r'([A-Za-z_]\w*)=("[^"]*"|\S*)', rest)
            if not pairs and " " in rest:
                pairs = [tuple(rest.split(None, 1))]
            for key, value in pairs:
                raw[key] = (value, line)
        self._add(rel, None, "dockerfile", mage[-1], raw, {}, [])

    def read_env_only(self, rel: str, text: str) -> None:
        """A .env file: its setting rows, judged with no image version."""
        values = parse_env_text(text)
        for name in SETTINGS:
            if name in values:
                value, how = _resolve(values[name][0], {})
                self.settings.append({"file": rel, "setting": name, "value_summary": summarize(name, value, how),
                                      "mage_version": None, "risk": None, "service": None,
                                      "line": values[name][1], "project": self.project_of(rel)})

    def read_manifest(self, rel: str, text: str) -> None:
        """Kubernetes/Helm YAML or Terraform: settings by regex, the Mage image by name."""
        if "mageai/mageai" not in text and not re.search(_SETTING_NAMES, text):
            return
        raw: dict[str, tuple[Any, int | None]] = {}
        for regex in (_TF_PAIR_RE, _TF_ASSIGN_RE):
            for match in regex.finditer(text):
                raw.setdefault(match.group("key"), (match.group("value"), text.count("\n", 0, match.start()) + 1))
        # Kubernetes env lists: "- name: X" followed by "value: ..." or "valueFrom:".
        for match in re.finditer(r"-\s*name:\s*[\"']?(?P<key>%s)[\"']?\s*\n\s*(?P<field>value|valueFrom)\s*:\s*(?P<value>.*)" % _SETTING_NAMES, text):
            value = match.group("value") if match.group("field") == "value" else "${secretKeyRef}"
            raw.setdefault(match.group("key"), (value, text.count("\n", 0, match.start()) + 1))
        image_match = _IMAGE_RE.search(text)
        image = image_match.group("image") if image_match else None
        helm_tag = re.search(r"repository:\s*[\"']?(?:[\w.-]+/)?mageai/mageai[\"']?\s*\n\s*tag:\s*[\"']?([\w.-]+)", text)
        if helm_tag:
            image = f"mageai/mageai:{helm_tag.group(1)}"
        if image or raw:
            kind = "terraform" if rel.endswith((".tf", ".tfvars")) else "kubernetes"
            self._add(rel, None, kind, image, raw, {}, [])

    def frames(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        deployments = pd.DataFrame(self.deployments, columns=DEPLOYMENT_COLUMNS)
        settings = pd.DataFrame(self.settings, columns=SERVER_SETTING_COLUMNS)
        if not settings.empty:
            by_file = {(d["file"], d["service"]): d for d in self.deployments}
            settings["risk"] = [setting_risk(r, by_file.get((r["file"], r["service"])))
                                for r in settings.to_dict("records")]
            settings["line"] = settings["line"].astype("Int64")
        return deployments, settings


def setting_risk(row: dict, deployment: dict | None) -> str:
    """One-word risk of a setting row, for the report table: ok, low, medium, high, unknown."""
    name, value = row["setting"], row["value_summary"]
    if name == "REQUIRE_USER_AUTHENTICATION":
        auth = deployment.get("auth_enabled") if deployment else (value == "true" if value in ("true", "false") else None)
        if auth is None:
            return "unknown"
        return "ok" if auth else ("critical" if deployment and deployment.get("ports_all_interfaces") else "high")
    if name == "DEFAULT_OWNER_PASSWORD":
        return "high" if value == "literal (redacted)" else "ok"
    if name == "JWT_SECRET":
        return "medium" if value == "unset" else ("high" if value == "literal (redacted)" else "ok")
    if name == "DISABLE_NOTEBOOK_EDIT_ACCESS":
        return "medium" if deployment and deployment.get("production") and value in ("unset", "0") else "ok"
    if name == "MAGE_ACCESS_TOKEN_EXPIRY_TIME":
        return "low" if value.isdigit() and int(value) > DEFAULT_TOKEN_EXPIRY_S else "ok"
    if name == "image":
        return "medium" if value == "unpinned" else "ok"
    if name == "ports":
        return "medium" if value == "all interfaces" else "ok"
    if name == "LDAP_BIND_PASSWORD":
        return "high" if value == "literal (redacted)" else "ok"
    return "ok"
