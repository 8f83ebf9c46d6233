"""Security rules: Mage server settings in deployment files (compose, Dockerfile, Kubernetes, Terraform).

A deployment is a *server* deployment only with evidence (``production``, see
:mod:`auditkit.readers.security.deploy_evidence`); a local development set-up gets advice at low
severity, or nothing where the setting only matters on a server. Services of one file that share
a problem are one finding naming them all.
"""
from __future__ import annotations

from typing import Iterator

from auditkit.engine.base import Threshold, register
from auditkit.rules.security.base import AUTH, SECRETS, SecurityRule

WEB_ROLES = ("web_server", "server")


class _DeploymentRule(SecurityRule):
    def deployments(self, web_only: bool = False) -> Iterator[dict]:
        for row in self.frame_rows("deployments"):
            if web_only and row.get("role") not in WEB_ROLES:
                continue
            yield row

    def grouped(self, hits: list[tuple[dict, str, str, str, str | None]], path_of=None):
        """One finding per (file, message, severity) from ``(row, message, key, evidence, severity)``
        hits: services of one file with the same problem are named together."""
        groups: dict[tuple, list] = {}
        for hit in hits:
            row = hit[0]
            path = path_of(row) if path_of else row["path"]
            groups.setdefault((path, hit[1], hit[4]), []).append(hit)
        for (path, message, severity), items in groups.items():
            row, _, key, evidence, _ = items[0]
            services = [r.get("service") for r, *_ in items if r.get("service")]
            if len(services) > 1:
                message = f"{message} (services {', '.join(services)})"
            line = row.get("image_line") if path_of else row.get("line")
            # Reported in the file that defines the image (a Dockerfile a service builds, a
            # Terraform variables file): keyed by that file alone, as a deployment of its own is.
            owner = row.get("service") if path == row["path"] else None
            yield self.finding(message, key=(owner, key), project=row.get("project"), path=path,
                               line=None if line is None else int(line),
                               evidence=evidence + _where(row), severity=severity)


def _where(row: dict) -> str:
    evidence = row.get("production_evidence")
    return f" deployment={'server (' + evidence + ')' if evidence else 'local development'}"


@register
class AuthenticationDisabled(_DeploymentRule):
    """A Mage deployment runs without user authentication.

    What it checks:
        ``REQUIRE_USER_AUTHENTICATION`` of each Mage web server (compose service, Dockerfile,
        Kubernetes or Terraform), or its default for the pinned image: off before 0.9.78. High on
        a server deployment, critical when it is also reachable from outside (port on all
        interfaces, Cloud Run ``allUsers``); low advice for a local development set-up, medium
        when its port is published on all interfaces. A public server deployment that leaves the
        setting to the default of an unpinned image is reported too: images pulled before 0.9.78
        run without authentication.

    Why it matters:
        Without authentication every caller is owner: they can read secrets, edit and run
        code on the server (CVE-2025-2129 changed the default). Mage also answers any web page's
        requests (``Access-Control-Allow-Origin: *``), so even a laptop server is reachable from
        the browser.

    Example:
        ``image: mageai/mageai:0.9.76`` with no ``REQUIRE_USER_AUTHENTICATION`` and ``"6789:6789"``.

    Fix:
        Set ``REQUIRE_USER_AUTHENTICATION: 1`` (and upgrade to 0.9.78+), and publish the port
        only on localhost or behind an authenticating proxy.
    """

    id = "MAGE-SEC-018"
    name = "authentication-disabled"
    title = "User authentication off"
    severity = "high"
    practices = AUTH

    def check(self):
        hits = []
        for row in self.deployments(web_only=True):
            public, server = row.get("public"), bool(row.get("production"))
            evidence = f"auth_source={row.get('auth_source')} mage_version={row.get('mage_version')}"
            if row.get("auth_enabled") is False:
                exposed = f" and it is reachable from outside ({public})" if public else ""
                severity = ("critical" if public else "high") if server else ("medium" if public else "low")
                hits.append((row, "user authentication is off" + exposed, "auth", evidence, severity))
            elif (server and public and row.get("auth_source") == "version default (unpinned image)"):
                hits.append((row, "user authentication is not set on a public deployment; the unpinned image's "
                             f"default decides it (off before 0.9.78; {public})", "auth", evidence, "high"))
        yield from self.grouped(hits)


@register
class DefaultOwnerPasswordConfigured(_DeploymentRule):
    """A deployment file sets ``DEFAULT_OWNER_PASSWORD`` to a literal.

    What it checks:
        Literal values of ``DEFAULT_OWNER_PASSWORD``. A variable (``${VAR}``, also
        ``${VAR:-fallback}``, secret references) is not a literal. High on a server deployment,
        low advice in a local development set-up.

    Why it matters:
        The first owner account gets this password; committed, it is the owner login.

    Example:
        ``DEFAULT_OWNER_PASSWORD: Welcome2024!`` in ``docker-compose.prod.yml``.

    Fix:
        Pass it from a secret store, log in once and change it.
    """

    id = "MAGE-SEC-019"
    name = "default-owner-password-configured"
    title = "Owner password set in a deployment file"
    severity = "high"
    practices = AUTH

    def check(self):
        hits = [(row, "DEFAULT_OWNER_PASSWORD is a literal in a committed file", "owner_password",
                 "setting=DEFAULT_OWNER_PASSWORD value=literal (redacted)", None if row.get("production") else "low")
                for row in self.deployments() if row.get("owner_password") == "literal"]
        yield from self.grouped(hits)


@register
class JwtSecretDefault(_DeploymentRule):
    """A server deployment with authentication leaves ``JWT_SECRET`` unset.

    What it checks:
        Mage web servers of server deployments (evidence: Kubernetes/Terraform, ``ENV=prod``,
        production names, ``restart: always``, a reverse proxy) whose authentication is not off
        and that set no ``JWT_SECRET``. Never a Dockerfile alone (an image build), a local
        development set-up, or a deployment without authentication (MAGE-SEC-018 reports that).

    Why it matters:
        The default ``materia`` is public; anyone can decode or mint the session JWT wrapper.

    Example:
        A compose service with ``restart: always`` and no ``JWT_SECRET`` in ``environment`` or ``env_file``.

    Fix:
        Set ``JWT_SECRET`` from a secret store to a long random value.
    """

    id = "MAGE-SEC-020"
    name = "jwt-secret-default"
    title = "JWT secret left at the default"
    severity = "medium"
    practices = AUTH

    def check(self):
        hits = [(row, "JWT_SECRET is not set; Mage signs sessions with its public default", "jwt",
                 "setting=JWT_SECRET value=unset", None)
                for row in self.deployments(web_only=True)
                if row.get("production") and row.get("kind") != "dockerfile"
                and row.get("auth_enabled") is not False and row.get("jwt_secret") == "unset"]
        yield from self.grouped(hits)


@register
class NotebookEditInProduction(_DeploymentRule):
    """A production deployment leaves notebook editing enabled.

    What it checks:
        Server deployments (see MAGE-SEC-020 for the evidence) whose ``DISABLE_NOTEBOOK_EDIT_ACCESS``
        is unset or ``0``.

    Why it matters:
        In production, code should change through git and CI, not by editing and running
        blocks on the server.

    Example:
        ``ENV: prod`` without ``DISABLE_NOTEBOOK_EDIT_ACCESS``.

    Fix:
        Set ``DISABLE_NOTEBOOK_EDIT_ACCESS: 1`` (or ``2``) in production.
    """

    id = "MAGE-SEC-021"
    name = "notebook-edit-in-production"
    title = "Notebook editing enabled in production"
    severity = "medium"
    practices = AUTH

    def check(self):
        hits = [(row, "production deployment allows editing and running code in the UI", "notebook_edit",
                 f"DISABLE_NOTEBOOK_EDIT_ACCESS={row.get('notebook_edit')}", None)
                for row in self.deployments(web_only=True)
                if row.get("production") and str(row.get("notebook_edit")) in ("unset", "0")]
        yield from self.grouped(hits)


@register
class LongAccessTokenLifetime(_DeploymentRule):
    """Access tokens live longer than the configured maximum.

    What it checks:
        ``MAGE_ACCESS_TOKEN_EXPIRY_TIME`` (default 30 days) against ``max_seconds``.

    Why it matters:
        A stolen session token stays valid for its whole lifetime.

    Example:
        ``MAGE_ACCESS_TOKEN_EXPIRY_TIME: 31536000`` (one year).

    Fix:
        Lower the lifetime to what your users need.

    Options:
        ``max_seconds``: the longest acceptable lifetime.
    """

    id = "MAGE-SEC-022"
    name = "long-access-token-lifetime"
    title = "Access-token lifetime too long"
    severity = "low"
    practices = AUTH
    thresholds = (Threshold("max_seconds", 2_592_000, "longest acceptable token lifetime in seconds", "integer > 0"),)

    def check(self):
        limit = self.option("max_seconds")
        hits = [(row, f"access tokens live {int(row['token_expiry_s'])} s (maximum {limit})", "expiry",
                 f"MAGE_ACCESS_TOKEN_EXPIRY_TIME={int(row['token_expiry_s'])}", None)
                for row in self.deployments(web_only=True)
                if row.get("token_expiry_s") is not None and row["token_expiry_s"] > limit]
        yield from self.grouped(hits)


@register
class PortOnAllInterfaces(_DeploymentRule):
    """The Mage port of a server deployment is published on all network interfaces.

    What it checks:
        Compose ``ports`` of Mage web servers of server deployments (see MAGE-SEC-020) without a
        host address (``"6789:6789"``) or bound to ``0.0.0.0``, after ``${VAR:-default}``
        interpolation. Local development set-ups are not reported (the quickstart mapping);
        when their authentication is off, MAGE-SEC-018 names the exposure.

    Why it matters:
        The UI and API (which sends ``Access-Control-Allow-Origin: *``) become reachable from
        the whole network instead of only through the reverse proxy.

    Example:
        ``ports: ["6789:6789"]`` on a service with ``restart: always``.

    Fix:
        ``"127.0.0.1:6789:6789"`` behind a reverse proxy with TLS and an allow-list.
    """

    id = "MAGE-SEC-023"
    name = "port-on-all-interfaces"
    title = "Mage port published on all interfaces"
    severity = "medium"
    practices = ("BP-SECURITY-AUTHENTICATION",)

    def check(self):
        hits = [(row, "Mage port published on all interfaces", "ports",
                 "ports=" + ",".join(row.get("published_ports") or []), None)
                for row in self.deployments(web_only=True)
                if row.get("production") and row.get("ports_all_interfaces")]
        yield from self.grouped(hits)


@register
class UnpinnedMageImage(_DeploymentRule):
    """A deployment uses ``mageai/mageai`` without a fixed version.

    What it checks:
        The Mage image of each deployment: no tag, ``latest``, ``alpha``, ``nightly``, ``dev``
        and other moving tags, or a moving major/minor tag (``0.9``). ``${VAR:-0.9.79}`` is
        pinned to its default; a compose service with ``build:`` runs the Dockerfile's ``FROM``
        (reported there, once), not its ``image:`` name.

    Why it matters:
        The running version (and its security defaults, such as authentication before
        0.9.78) changes without review and cannot be audited from the repo.

    Example:
        ``image: mageai/mageai:latest``.

    Fix:
        Pin a reviewed version, e.g. ``mageai/mageai:0.9.79``, and upgrade deliberately.
    """

    id = "MAGE-SEC-024"
    name = "unpinned-mage-image"
    title = "Mage image not pinned"
    severity = "low"
    practices = AUTH

    def check(self):
        hits = [(row, "Mage image is not pinned to a version", "image", f"tag={row.get('mage_version') or 'none'}", None)
                for row in self.deployments() if row.get("image") and row.get("image_pinned") is False]
        yield from self.grouped(hits, path_of=lambda row: row.get("image_file") or row["path"])


@register
class CredentialOnCommandLine(SecurityRule):
    """A credential is passed on a command line in a Mage deployment file.

    What it checks:
        ``command:``/``entrypoint:`` of every service of a compose file that runs Mage, and
        ``RUN``/``CMD``/``ENTRYPOINT`` of Mage Dockerfiles: ``mc alias set`` secret keys, options
        named like a password, token or key (``--password X``), ``mysql -pX``, ``aws configure set``
        secrets and URLs with a password. A literal is medium (high on a server deployment); a
        variable is low (medium on a server deployment): it is not committed but still ends up on
        the command line.

    Why it matters:
        Command lines are visible to every user of the host (``ps``), are kept in the container's
        configuration (``docker inspect``) and, for ``RUN``, in the image history.

    Example:
        ``entrypoint: mc alias set store http://minio:9000 admin S3cretKey``.

    Fix:
        Pass credentials through environment variables or files the tool reads
        (``MC_HOST_<alias>``, ``--password-stdin``, Docker secrets), never as arguments.
    """

    id = "MAGE-SEC-040"
    name = "credential-on-command-line"
    title = "Credential passed on a command line"
    severity = "medium"
    practices = SECRETS

    def check(self):
        for row in self.frame_rows("server_settings", setting="command_line_credential"):
            literal = str(row["value_summary"]).startswith("literal")
            risk = row.get("risk")
            kind = str(row["value_summary"]).split(": ", 1)[-1]
            yield self.finding(
                f"{'a literal' if literal else 'a variable'} credential ({kind}) is passed on a command line",
                key=(row.get("service"), kind, row.get("line")), project=row.get("project"), path=row["path"],
                line=None if row.get("line") is None else int(row["line"]),
                evidence=f"service={row.get('service')} value={'literal (redacted)' if literal else 'reference'}",
                severity=risk if risk in ("low", "medium", "high") else None)
