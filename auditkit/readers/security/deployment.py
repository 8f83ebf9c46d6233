"""Mage server settings from deployment files committed in the repo.

Sources: docker-compose files (services, ``environment``, ``env_file``, ``ports``, ``build``),
``.env`` files, Dockerfiles (``FROM``, ``ARG``, ``ENV``), Kubernetes/Helm YAML (``env`` lists,
images) and Terraform modules (:mod:`~auditkit.readers.security.terraform`). A *deployment* is one
place a Mage server is configured (a compose service, a Dockerfile no compose service builds, a
Kubernetes manifest, a Terraform module); its settings are judged against the defaults of the
image version it pins (``REQUIRE_USER_AUTHENTICATION`` defaults to off before 0.9.78, reference
§6.1). Whether it is a server deployment or a local development set-up is decided by
:mod:`~auditkit.readers.security.deploy_evidence` (``production``, ``production_evidence``).

Files are collected by the ``read_*`` methods and judged together in :meth:`DeploymentReader.frames`,
because one deployment spans files (a compose service and the Dockerfile it builds; a Terraform
module's ``main.tf`` and ``variables.tf``).

Values of secret settings are never kept: a setting is summarised as ``unset``, ``reference``
(``${VAR}``, Terraform variables, secretKeyRef), ``default`` (``${VAR:-fallback}``: a variable),
``literal (redacted)``, or for non-secret switches the switch value itself.
"""
from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Any, Callable

import pandas as pd

from auditkit.readers.security import compose as cmp
from auditkit.readers.security import deploy_evidence as ev
from auditkit.readers.security import resources as res
from auditkit.readers.security import terraform as tf
from auditkit.readers.security.deploy_settings import (DEPLOYMENT_COLUMNS, SECRET_SETTINGS,  # noqa: F401
                                                       SERVER_SETTING_COLUMNS, SETTINGS, evaluate, image_version,
                                                       resolve, setting_risk, summarize)
from auditkit.readers.yamlsafe import load_yaml

parse_env_text = cmp.parse_env_text
_SETTING_NAMES = "|".join(SETTINGS)


def is_compose_file(name: str) -> bool:
    lower = name.lower()
    return lower.endswith((".yml", ".yaml")) and ("docker-compose" in lower or lower.startswith("compose"))


def is_dockerfile(name: str) -> bool:
    lower = name.lower()
    return lower.startswith("dockerfile") or lower.endswith(".dockerfile")


def _node_line(node: Any, *keys: str) -> int | None:
    """1-based line of the value at ``keys`` in a composed YAML mapping node, else None."""
    for key in keys:
        if node is None or not hasattr(node, "value") or not isinstance(node.value, list):
            return None
        node = next((v for k, v in node.value if getattr(k, "value", None) == key), None)
    return node.start_mark.line + 1 if node is not None else None


class DeploymentReader:
    """Collects deployment files; ``read_text(rel)`` returns a repo file's text or None."""

    def __init__(self, read_text: Callable[[str], str | None], project_of: Callable[[str], str | None],
                 problems) -> None:
        self.read_text = read_text
        self.project_of = project_of
        self.problems = problems
        self.compose: list[tuple[str, str]] = []
        self.dockerfiles: dict[str, str] = {}
        self.terraform: dict[str, str] = {}
        self.manifests: list[tuple[str, str]] = []
        self.env_files: list[tuple[str, str]] = []
        self.deployments: list[dict] = []
        self.settings: list[dict] = []

    def read_compose(self, rel: str, text: str) -> None:
        self.compose.append((rel, text))

    def read_dockerfile(self, rel: str, text: str) -> None:
        self.dockerfiles[rel] = text

    def read_env_only(self, rel: str, text: str) -> None:
        self.env_files.append((rel, text))

    def read_manifest(self, rel: str, text: str) -> None:
        if rel.endswith((".tf", ".tfvars")):
            self.terraform[rel] = text
        else:
            self.manifests.append((rel, text))

    # --- judging ----------------------------------------------------------------------------
    def frames(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        built: set[str] = set()
        for rel, text in self.compose:
            built |= self._judge_compose(rel, text)
        for rel, text in sorted(self.dockerfiles.items()):
            self._judge_dockerfile(rel, text, built_by_compose=rel in built)
        for folder, paths in sorted(tf.modules(sorted(self.terraform)).items()):
            self._judge_terraform({p: self.terraform[p] for p in paths})
        for rel, text in self.manifests:
            self._judge_manifest(rel, text)
        for rel, text in self.env_files:
            self._judge_env_file(rel, text)
        deployments = pd.DataFrame(self.deployments, columns=DEPLOYMENT_COLUMNS)
        settings = pd.DataFrame(self.settings, columns=SERVER_SETTING_COLUMNS)
        if not settings.empty:
            by_file = {(d["path"], d["service"]): d for d in self.deployments}
            server_files = {d["path"] for d in self.deployments if d["production"]}
            settings["risk"] = [setting_risk(r, by_file.get((r["path"], r["service"])), r["path"] in server_files)
                                for r in settings.to_dict("records")]
            settings["line"] = settings["line"].astype("Int64")
        return deployments, settings

    def _dotenv_near(self, rel: str) -> dict[str, str]:
        folder = PurePosixPath(rel).parent
        text = self.read_text(str(folder / ".env") if str(folder) != "." else ".env")
        return {k: v for k, (v, _) in cmp.parse_env_text(text).items()} if text else {}

    def _judge_compose(self, rel: str, text: str) -> set[str]:
        """Deployment rows of the Mage services of one compose file; returns the Dockerfiles they build."""
        loaded = load_yaml(text, rel, self.problems, project=self.project_of(rel))
        services = (loaded.data or {}).get("services") if isinstance(loaded.data, dict) else None
        if not isinstance(services, dict):
            return set()
        dotenv, folder = self._dotenv_near(rel), PurePosixPath(rel).parent
        built: set[str] = set()
        any_mage = False
        for name, service in services.items():
            if not isinstance(service, dict):
                continue
            env = cmp.service_env(service, folder, self.read_text, dotenv)
            dockerfile = cmp.build_dockerfile(service, folder, dotenv)
            docker = cmp.read_dockerfile(dockerfile, self.read_text(dockerfile) or "") if dockerfile else None
            image_raw = str(service.get("image") or "")
            image = cmp.interpolate(image_raw, dotenv) if image_raw else None
            mage_image = docker.image if docker is not None and docker.image else (
                image.text if image is not None and cmp.is_mage_image(image.text) else None)
            role = cmp.service_role(service, env)
            if mage_image is None or role is None:
                continue
            any_mage = True
            if docker is not None and docker.image:
                built.add(dockerfile)
                image_file, image_line = dockerfile, docker.image_line
                merged = {k: (v, line) for k, (v, line) in docker.env.items()}
            else:
                image_file, image_line = rel, _node_line(loaded.node, "services", str(name), "image")
                merged = {}
            service_line = _node_line(loaded.node, "services", str(name))
            for key, (value, source) in env.items():
                merged[key] = (value, _node_line(loaded.node, "services", str(name), "environment", key)
                               if source is None else None)
            flat_env = {k: cmp.interpolate(str(v), dotenv).text if v is not None else None for k, (v, _) in env.items()}
            evidence = ev.compose_evidence(rel, str(name), service, services, flat_env)
            self._add(rel, str(name), "compose", mage_image, merged, dotenv, cmp_ports(service, dotenv),
                      evidence=evidence, role=role, image_file=image_file, image_line=image_line,
                      line=service_line, image_default=bool(image is not None and image.defaulted and not docker),
                      limits=res.compose_limits(service))
        if any_mage:
            self._compose_command_lines(rel, text, services, loaded.node)
        return built

    def _compose_command_lines(self, rel: str, text: str, services: dict, node: Any) -> None:
        """Credentials on the command lines of every service of a compose file that runs Mage."""
        for name, service in services.items():
            if not isinstance(service, dict):
                continue
            for field in ("entrypoint", "command"):
                command = cmp.command_text(service.get(field))
                for how, kind, value in cmp.located_credentials(command):
                    line = cmp.value_line(text, _node_line(node, "services", str(name), field), value)
                    self._credential_row(rel, str(name), how, kind, line)

    def _credential_row(self, rel: str, service: str | None, how: str, kind: str, line: int | None) -> None:
        """A credential on a command line (the risk column is set in :meth:`frames` from the
        file's deployments: a server deployment or a development set-up)."""
        self.settings.append({"path": rel, "setting": "command_line_credential",
                              "value_summary": f"{'literal (redacted)' if how == 'literal' else 'reference'}: {kind}",
                              "mage_version": None, "risk": None,
                              "service": service, "line": line, "project": self.project_of(rel)})

    def _judge_dockerfile(self, rel: str, text: str, built_by_compose: bool = False) -> None:
        """A Mage Dockerfile: a deployment of its own unless a compose service builds it (then it
        is part of that service's row); its command-line credentials either way."""
        docker = cmp.read_dockerfile(rel, text)
        if not docker.image:
            return
        if not built_by_compose:
            raw = {k: (v, line) for k, (v, line) in docker.env.items()}
            env = {k: v for k, (v, _) in docker.env.items()}
            self._add(rel, None, "dockerfile", docker.image, raw, {}, [],
                      evidence=ev.file_evidence(rel, "dockerfile", env), role="server", image_file=rel,
                      image_line=docker.image_line, line=docker.image_line)
        for how, kind, line in docker.credentials:
            self._credential_row(rel, None, how, kind, line)

    def _judge_terraform(self, texts: dict[str, str]) -> None:
        for mage in tf.read_module(texts, SETTINGS):
            raw = {k: (v, line) for k, (v, line, _path) in mage.settings.items()}
            self._add(mage.path, None, "terraform", mage.image, raw, {}, [],
                      evidence=ev.file_evidence(mage.path, "terraform", {}), role="server",
                      image_file=mage.image_path, image_line=mage.image_line, line=mage.line, public=mage.public)

    def _judge_manifest(self, rel: str, text: str) -> None:
        """Kubernetes manifests and Helm values: settings by pattern, the Mage image by name."""
        helm = re.search(r"repository:\s*[\"']?(?P<repo>(?:[\w.-]+/)?mageai/mageai)[\"']?\s*\n\s*tag:\s*[\"']?([\w.-]+)", text)
        image_match = re.search(r"image:\s*[\"']?(?P<image>(?:[\w.-]+/)?mageai/mageai(?::[\w.-]+)?)", text)
        kubernetes = re.search(r"^apiVersion:", text, re.M) and re.search(r"^kind:", text, re.M)
        if not (helm or (image_match and kubernetes)):
            return
        image = f"mageai/mageai:{helm.group(2)}" if helm else image_match.group("image")
        raw: dict[str, tuple[Any, int | None]] = {}
        pattern = r"-\s*name:\s*[\"']?(?P<key>%s)[\"']?\s*\n\s*(?P<field>value|valueFrom)\s*:\s*(?P<value>.*)"
        for match in re.finditer(pattern % _SETTING_NAMES, text):
            value = match.group("value") if match.group("field") == "value" else "${secretKeyRef}"
            raw.setdefault(match.group("key"), (value, cmp.line_at(text, match.start())))
        kind = "helm" if helm else "kubernetes"
        line = cmp.line_at(text, (helm or image_match).start())
        self._add(rel, None, kind, image, raw, {}, [], evidence=ev.file_evidence(rel, kind, {}), role="server",
                  image_file=rel, image_line=line, line=line,
                  public="Service of type LoadBalancer" if re.search(r"type:\s*LoadBalancer", text) else None,
                  limits=res.manifest_limits(text))

    def _judge_env_file(self, rel: str, text: str) -> None:
        """A .env file: its setting rows, judged with no image version."""
        values = cmp.parse_env_text(text)
        for name in SETTINGS:
            if name in values:
                value, how = resolve(values[name][0], {})
                self.settings.append({"path": rel, "setting": name, "value_summary": summarize(name, value, how),
                                      "mage_version": None, "risk": None, "service": None,
                                      "line": values[name][1], "project": self.project_of(rel)})

    def _add(self, rel: str, service: str | None, kind: str, image: str | None,
             raw: dict[str, tuple[Any, int | None]], dotenv: dict, ports: list[tuple[str, bool]], *,
             evidence: str | None, role: str, image_file: str, image_line: int | None, line: int | None,
             public: str | None = None, image_default: bool = False,
             limits: tuple[float | None, float | None] = (None, None)) -> None:
        resolved = {k: resolve(v, dotenv) for k, (v, _) in raw.items() if k in SETTINGS}
        all_interfaces = any(all_if for _, all_if in ports)
        row = {"path": rel, "service": service, "kind": kind, "project": self.project_of(rel),
               **evaluate(resolved, image),
               "ports_all_interfaces": all_interfaces, "published_ports": [summary for summary, _ in ports],
               "production": evidence is not None, "production_evidence": evidence, "role": role,
               "image_file": image_file, "image_line": image_line, "line": line,
               "public": public or ("ports on all interfaces" if all_interfaces else None),
               "image_from_default": image_default, "cpu_limit": limits[0], "memory_limit_mib": limits[1]}
        self.deployments.append(row)
        for name in SETTINGS:
            value, how = resolved.get(name, (None, "unset"))
            self.settings.append({"path": rel, "setting": name, "value_summary": summarize(name, value, how),
                                  "mage_version": row["mage_version"], "risk": None, "service": service,
                                  "line": raw.get(name, (None, None))[1], "project": row["project"]})
        pinned = row["image_pinned"]
        self.settings.append({"path": image_file, "setting": "image", "mage_version": row["mage_version"],
                              "value_summary": "pinned" if pinned else ("unpinned" if pinned is False else "unknown"),
                              "risk": None, "service": service, "line": image_line, "project": row["project"]})
        self.settings.append({"path": rel, "setting": "ports", "mage_version": row["mage_version"],
                              "value_summary": "all interfaces" if all_interfaces
                              else ("localhost only" if ports else "not published"),
                              "risk": None, "service": service, "line": None, "project": row["project"]})


def cmp_ports(service: dict, dotenv: dict[str, str]) -> list[tuple[str, bool]]:
    """(summary, on all interfaces) per published port of a compose service, after interpolation.
    A host address that stays unknown (a variable no committed file sets) is not all interfaces."""
    out = []
    for port in service.get("ports") or []:
        if isinstance(port, dict):
            host = cmp.interpolate(str(port.get("host_ip") or ""), dotenv)
            target = port.get("target")
            out.append((f"{host.text or '*'}:{port.get('published', '?')}->{target}",
                        host.text in ("", "0.0.0.0", "::") and host.complete))
            continue
        spec = cmp.interpolate(str(port), dotenv)
        text = spec.text.split("/")[0]
        parts = text.rsplit(":", 2) if text.count(":") >= 2 else text.split(":")
        if len(parts) == 3:
            host_ip = parts[0].strip("[]")
            out.append((f"{host_ip or '*'}:{parts[1]}->{parts[2]}", host_ip in ("", "0.0.0.0", "::") and spec.complete))
        elif len(parts) == 2:
            out.append((f"*:{parts[0]}->{parts[1]}", True))
        else:
            out.append((f"*:random->{parts[0]}", True))
    return out
