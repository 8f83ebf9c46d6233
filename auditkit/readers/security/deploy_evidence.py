"""Is a deployment file a server deployment or a local development set-up?

A compose file or Dockerfile starts Mage on someone's laptop far more often than on a server, and
the settings that matter differ: a public JWT signing secret or the quickstart port mapping are
advice on a laptop and a problem on a server. A deployment counts as a *server* (production)
deployment only with evidence:

* its kind: Kubernetes manifests and Terraform describe servers;
* ``ENV``/``MAGE_ENV``/``ENVIRONMENT``/``APP_ENV``/``DEPLOY_ENV`` set to prod, production,
  staging, live;
* a name that says so: the file, its folder, the compose service or container name holds the
  word prod, production, prd, staging, stage or live;
* compose set-ups that run as a service behind a proxy: ``restart: always``/``unless-stopped``
  on the Mage service, a swarm ``deploy:`` section with replicas or placement, reverse-proxy or
  TLS settings (traefik labels, ``VIRTUAL_HOST``, ``LETSENCRYPT_HOST``) or a proxy service
  (traefik, caddy, nginx-proxy, haproxy, certbot) in the same file.

A file whose name says dev, development, local, test, example, sample or override is a
development set-up whatever else it holds.
"""
from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Any

PRODUCTION_WORDS = frozenset({"prod", "production", "prd", "staging", "stage", "live"})
DEVELOPMENT_WORDS = frozenset({"dev", "development", "local", "test", "tests", "example", "examples", "sample",
                               "override", "demo", "tutorial"})
ENV_NAMES = ("ENV", "MAGE_ENV", "ENVIRONMENT", "APP_ENV", "DEPLOY_ENV")
_SERVICE_RESTARTS = frozenset({"always", "unless-stopped"})
_PROXY_IMAGES = re.compile(r"(^|/)(traefik|caddy|nginx-proxy|nginxproxy|jwilder|haproxy|certbot|acme-companion|"
                           r"letsencrypt|cloudflared|nginx-proxy-manager)", re.I)
_PROXY_ENV = ("VIRTUAL_HOST", "LETSENCRYPT_HOST", "VIRTUAL_PORT")


def words_of(text: str) -> set[str]:
    return {w for w in re.split(r"[^a-z0-9]+", text.lower()) if w}


def development_file(path: str) -> bool:
    """The file's own name (not its folders) says it is a development or example set-up."""
    return bool(words_of(PurePosixPath(path).name) & DEVELOPMENT_WORDS)


def named_production(*names: str | None) -> str | None:
    for name in names:
        if name and words_of(name) & PRODUCTION_WORDS:
            return f"name '{name}'"
    return None


def env_production(env: dict[str, Any]) -> str | None:
    for key in ENV_NAMES:
        value = str(env.get(key) or "").strip().lower()
        if value and words_of(value) & PRODUCTION_WORDS:
            return f"{key}={value}"
    return None


def compose_evidence(path: str, name: str, service: dict, services: dict, env: dict[str, Any]) -> str | None:
    """Why a compose service is a server deployment, or None for a development set-up."""
    if development_file(path):
        return None
    found = env_production(env) or named_production(str(PurePosixPath(path).parent), PurePosixPath(path).name,
                                                     name, str(service.get("container_name") or ""))
    if found:
        return found
    restart = str(service.get("restart") or "").strip().lower()
    if restart in _SERVICE_RESTARTS:
        return f"restart: {restart}"
    deploy = service.get("deploy")
    if isinstance(deploy, dict) and ({"replicas", "placement", "mode"} & set(deploy)):
        return "swarm deploy section"
    labels = service.get("labels")
    label_text = " ".join(map(str, labels.keys() if isinstance(labels, dict) else labels or []))
    if "traefik." in label_text or any(key in env for key in _PROXY_ENV):
        return "reverse-proxy settings"
    for other_name, other in services.items():
        if isinstance(other, dict) and _PROXY_IMAGES.search(str(other.get("image") or "")):
            return f"reverse proxy service '{other_name}'"
    return None


def file_evidence(path: str, kind: str, env: dict[str, Any]) -> str | None:
    """Why a Dockerfile, Kubernetes manifest or Terraform module is a server deployment."""
    if kind in ("kubernetes", "terraform", "helm"):
        return f"{kind} deployment"
    if development_file(path):
        return None
    return env_production(env) or named_production(str(PurePosixPath(path).parent), PurePosixPath(path).name)
