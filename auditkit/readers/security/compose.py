"""Mage services of docker compose files and the Dockerfiles they build, as plain records.

A compose service is a Mage *server* when its image is ``mageai/mageai`` (directly, or as the
``FROM`` of the Dockerfile it builds) and it starts the server: no ``command``/``entrypoint``
(the image runs ``mage start``) or one that says ``mage start``. ``INSTANCE_TYPE`` tells a web
server from a scheduler. When a service has both ``build:`` and ``image:``, ``image:`` only names
the image built locally: the Mage version is the Dockerfile's ``FROM``. Values are interpolated
as compose does (:mod:`auditkit.readers.security.interpolate`) with the ``.env`` file next to the
compose file; Dockerfile ``ARG`` defaults fill ``FROM``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, Callable

from auditkit.readers.security.cmdline import located_credentials
from auditkit.readers.security.interpolate import interpolate

MAGE_IMAGE_RE = re.compile(r"(?:^|/)mageai/mageai(?::[^@\s]*)?(?:@sha256:[0-9a-f]+)?$")
_FROM_RE = re.compile(r"^\s*FROM\s+(?:--platform=\S+\s+)?(?P<image>\S+)", re.I | re.M)
_ARG_RE = re.compile(r"^\s*ARG\s+(?P<name>[A-Za-z_]\w*)(?:=(?P<value>\S*))?", re.I | re.M)
_ENV_RE = re.compile(r"^\s*ENV\s+(?P<rest>.+)$", re.I | re.M)
_COMMAND_RE = re.compile(r"^\s*(?:RUN|CMD|ENTRYPOINT)\s+(?P<cmd>(?:.*\\\n)*.*)$", re.I | re.M)
_ENV_LINE_RE = re.compile(r"^\s*(?:export\s+)?(?P<key>[A-Za-z_][A-Za-z0-9_]*)\s*=\s*(?P<value>.*?)\s*$")


@dataclass
class DockerImage:
    """What a Dockerfile says about the Mage image it builds."""

    path: str
    image: str | None                 # the Mage FROM, interpolated, or None
    image_line: int | None
    env: dict[str, tuple[str, int]] = field(default_factory=dict)   # ENV key -> (raw value, line)
    credentials: list[tuple[str, str, int]] = field(default_factory=list)   # (how, kind, line)


def parse_env_text(text: str) -> dict[str, tuple[str, int]]:
    """``KEY=value`` lines of a .env file -> {key: (raw value, line)}."""
    values: dict[str, tuple[str, int]] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("#"):
            continue
        match = _ENV_LINE_RE.match(line)
        if match:
            values[match.group("key")] = (_unquote(match.group("value")), number)
    return values


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def is_mage_image(image: str | None) -> bool:
    return bool(image) and bool(MAGE_IMAGE_RE.search(str(image).strip()))


def line_at(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


def read_dockerfile(path: str, text: str) -> DockerImage:
    """The Mage ``FROM`` (with ``ARG`` defaults), ``ENV`` settings and command-line credentials."""
    args = {m.group("name"): _unquote(m.group("value") or "") for m in _ARG_RE.finditer(text) if m.group("value")}
    image, image_line = None, None
    for match in _FROM_RE.finditer(text):
        candidate = interpolate(match.group("image"), args).text
        if is_mage_image(candidate):
            image, image_line = candidate, line_at(text, match.start())
    found = DockerImage(path, image, image_line)
    for match in _ENV_RE.finditer(text):
        rest, line = match.group("rest").strip(), line_at(text, match.start())
        pairs = re.findall(r'([A-Za-z_]\w*)=("[^"]*"|\'[^\']*\'|\S*)', rest)
        if not pairs and " " in rest:
            pairs = [tuple(rest.split(None, 1))]
        for key, value in pairs:
            found.env[key] = (_unquote(value), line)
    for match in _COMMAND_RE.finditer(text):
        command = match.group("cmd").replace("\\\n", " ")
        for how, kind, value in located_credentials(_exec_form(command)):
            found.credentials.append((how, kind, value_line(text, line_at(text, match.start()), value)))
    return found


def _exec_form(command: str) -> str:
    """``["mc", "alias", ...]`` (exec form) as a shell line; shell form unchanged."""
    stripped = command.strip()
    if stripped.startswith("[") and stripped.endswith("]"):
        return " ".join(re.findall(r'"((?:[^"\\]|\\.)*)"', stripped))
    return stripped


def command_text(value: Any) -> str:
    """A compose ``command``/``entrypoint`` (string or list) as one shell text."""
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return "" if value is None else str(value)


def service_env(service: dict, folder: PurePosixPath, read_text: Callable[[str], str | None],
                dotenv: dict[str, str]) -> dict[str, tuple[Any, str | None]]:
    """Every variable the service sets: ``env_file`` entries, then ``environment`` (which wins).
    Values are raw (uninterpolated); the second item names the file an env_file value came from."""
    env: dict[str, tuple[Any, str | None]] = {}
    files = service.get("env_file") or []
    for entry in [files] if isinstance(files, (str, dict)) else files:
        name = entry.get("path") if isinstance(entry, dict) else entry
        if not name:
            continue
        rel = str(PurePosixPath(folder, interpolate(str(name), dotenv).text))
        for key, (value, _line) in parse_env_text(read_text(rel) or "").items():
            env[key] = (value, rel)
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        parsed = {}
        for item in environment:
            key, sep, value = str(item).partition("=")
            parsed[key.strip()] = value if sep else None
        environment = parsed
    if isinstance(environment, dict):
        for key, value in environment.items():
            env[str(key)] = (value, None)
    return env


def build_dockerfile(service: dict, folder: PurePosixPath, dotenv: dict[str, str]) -> str | None:
    """Repo path of the Dockerfile a service builds, or None."""
    build = service.get("build")
    if build is None:
        return None
    if isinstance(build, dict):
        context = interpolate(str(build.get("context") or "."), dotenv).text
        dockerfile = interpolate(str(build.get("dockerfile") or "Dockerfile"), dotenv).text
    else:
        context, dockerfile = interpolate(str(build), dotenv).text, "Dockerfile"
    if "://" in context:
        return None
    joined = PurePosixPath(folder, context, dockerfile)
    parts: list[str] = []
    for part in joined.parts:
        if part == "..":
            if not parts:
                return None
            parts.pop()
        elif part not in (".", ""):
            parts.append(part)
    return "/".join(parts) or None


def service_role(service: dict, env: dict[str, tuple[Any, str | None]]) -> str | None:
    """``web_server``, ``scheduler`` or ``server`` for a Mage server; None for a helper
    (``mage init``, a shell script) that runs the image without starting the server."""
    command = f"{command_text(service.get('entrypoint'))} {command_text(service.get('command'))}".strip()
    if command and "mage start" not in command and "run_app.sh" not in command:
        return None
    instance = str((env.get("INSTANCE_TYPE") or (None,))[0] or "").strip().lower()
    if instance in ("scheduler", "web_server"):
        return instance
    return "server"


def value_line(text: str, start_line: int | None, value: str) -> int | None:
    """The first line of ``text`` at or after ``start_line`` that holds ``value`` (else ``start_line``)."""
    lines = text.splitlines()
    for number in range(max((start_line or 1) - 1, 0), len(lines)):
        if value and value in lines[number]:
            return number + 1
    return start_line
