"""Security rules: server settings in deployment files, and accounts in the run history."""
from __future__ import annotations

from typing import Iterator

from auditkit.rules.base import Threshold, register
from auditkit.rules.security.base import AUTH, SECRETS, SecurityRule

class _DeploymentRule(SecurityRule):
    def deployments(self) -> Iterator[dict]:
        yield from self.frame_rows("deployments")

    def at(self, row: dict, message: str, key: str, evidence: str, severity: str | None = None):
        return self.finding(message, key=(row.get("service"), key), project=row.get("project"),
                            path=row["file"], evidence=evidence, severity=severity)


@register
class AuthenticationDisabled(_DeploymentRule):
    """A Mage deployment runs without user authentication.

    What it checks:
        ``REQUIRE_USER_AUTHENTICATION`` of each Mage deployment (compose service, Dockerfile,
        Kubernetes or Terraform), or its default for the pinned image: off before 0.9.78.
        Critical when the port is also published on all interfaces.

    Why it matters:
        Without authentication every caller is owner: they can read secrets, edit and run
        code on the server (CVE-2025-2129 changed the default).

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
        for row in self.deployments():
            if row.get("auth_enabled") is False:
                exposed = bool(row.get("ports_all_interfaces"))
                yield self.at(row, "user authentication is off" + (" and the port is published on all interfaces" if exposed else ""),
                              "auth", f"auth_source={row.get('auth_source')} mage_version={row.get('mage_version')}",
                              severity="critical" if exposed else None)


@register
class DefaultOwnerPasswordConfigured(_DeploymentRule):
    """A deployment file sets ``DEFAULT_OWNER_PASSWORD`` to a literal.

    What it checks:
        Literal (not ``${VAR}`` or secret reference) values of ``DEFAULT_OWNER_PASSWORD``.

    Why it matters:
        The first owner account gets this password; committed, it is the owner login.

    Example:
        ``DEFAULT_OWNER_PASSWORD: Welcome2024!`` in ``docker-compose.yml``.

    Fix:
        Pass it from a secret store, log in once and change it.
    """

    id = "MAGE-SEC-019"
    name = "default-owner-password-configured"
    title = "Owner password set in a deployment file"
    severity = "high"
    practices = AUTH

    def check(self):
        for row in self.deployments():
            if row.get("owner_password") == "literal":
                yield self.at(row, "DEFAULT_OWNER_PASSWORD is a literal in a committed file", "owner_password",
                              "setting=DEFAULT_OWNER_PASSWORD value=literal (redacted)")


@register
class JwtSecretDefault(_DeploymentRule):
    """A deployment leaves ``JWT_SECRET`` unset, so sessions are signed with Mage's default.

    What it checks:
        Mage deployments without ``JWT_SECRET``.

    Why it matters:
        The default ``materia`` is public; anyone can decode or mint the session JWT wrapper.

    Example:
        A compose service with no ``JWT_SECRET`` in ``environment`` or ``env_file``.

    Fix:
        Set ``JWT_SECRET`` from a secret store to a long random value.
    """

    id = "MAGE-SEC-020"
    name = "jwt-secret-default"
    title = "JWT secret left at the default"
    severity = "medium"
    practices = AUTH

    def check(self):
        for row in self.deployments():
            if row.get("jwt_secret") == "unset":
                yield self.at(row, "JWT_SECRET is not set; Mage signs sessions with its public default",
                              "jwt", "setting=JWT_SECRET value=unset")


@register
class NotebookEditInProduction(_DeploymentRule):
    """A production deployment leaves notebook editing enabled.

    What it checks:
        Deployments with ``ENV`` ``prod``/``production`` whose ``DISABLE_NOTEBOOK_EDIT_ACCESS``
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
        for row in self.deployments():
            if row.get("production") and str(row.get("notebook_edit")) in ("unset", "0"):
                yield self.at(row, "production deployment allows editing and running code in the UI",
                              "notebook_edit", f"DISABLE_NOTEBOOK_EDIT_ACCESS={row.get('notebook_edit')}")


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
        for row in self.deployments():
            expiry = row.get("token_expiry_s")
            if expiry is not None and expiry > limit:
                yield self.at(row, f"access tokens live {int(expiry)} s (maximum {limit})", "expiry",
                              f"MAGE_ACCESS_TOKEN_EXPIRY_TIME={int(expiry)}")


@register
class PortOnAllInterfaces(_DeploymentRule):
    """The Mage port is published on all network interfaces.

    What it checks:
        Compose ``ports`` of Mage services without a host address (``"6789:6789"``) or bound
        to ``0.0.0.0``.

    Why it matters:
        The UI and API (which sends ``Access-Control-Allow-Origin: *``) become reachable from
        the whole network.

    Example:
        ``ports: ["6789:6789"]``.

    Fix:
        ``"127.0.0.1:6789:6789"`` behind a reverse proxy with TLS and an allow-list.
    """

    id = "MAGE-SEC-023"
    name = "port-on-all-interfaces"
    title = "Mage port published on all interfaces"
    severity = "medium"
    practices = ("BP-SECURITY-AUTHENTICATION",)

    def check(self):
        for row in self.deployments():
            if row.get("ports_all_interfaces"):
                yield self.at(row, "Mage port published on all interfaces", "ports",
                              "ports=" + ",".join(row.get("published_ports") or []))


@register
class UnpinnedMageImage(_DeploymentRule):
    """A deployment uses ``mageai/mageai`` without a version tag or with ``latest``.

    What it checks:
        Image references of Mage deployments.

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
        for row in self.deployments():
            if row.get("image") and not row.get("image_pinned"):
                yield self.at(row, "Mage image is not pinned to a version", "image",
                              f"tag={row.get('mage_version') or 'none'}")


class _AccountRule(SecurityRule):
    needs = frozenset({"security", "history"})


@register
class DefaultOwnerPassword(_AccountRule):
    """A user still has Mage's default password ``admin``.

    What it checks:
        bcrypt hashes of the default owner and of owners/admins in the run-history DB
        against ``admin`` (only the yes/no answer is kept).

    Why it matters:
        ``admin@admin.com`` / ``admin`` is the first thing an attacker tries; it is owner.

    Example:
        The ``admin@admin.com`` user created by the first ``mage start``.

    Fix:
        Log in and change the password, or create a named owner and delete the default user.
    """

    id = "MAGE-SEC-025"
    name = "default-owner-password"
    title = "Default owner password unchanged"
    severity = "critical"
    practices = AUTH

    def check(self):
        for row in self.frame_rows("accounts"):
            if row.get("uses_default_password") is True:
                yield self.finding("a user account still uses the default password 'admin'",
                                   key=row["user_key"], evidence=f"user={row['user_key']} domain={row.get('email_domain')}")


@register
class TooManyAdmins(_AccountRule):
    """More owners and admins than the configured maximum.

    What it checks:
        Users with the Owner or Admin role (new role tables or the legacy ``owner`` column
        and ``roles`` bitmask) against ``max_admins``.

    Why it matters:
        Every admin can read secrets and change any pipeline; the guide asks for least privilege.

    Example:
        Nine of twelve users are admins.

    Fix:
        Give editors and viewers the Editor/Viewer roles.

    Options:
        ``max_admins``: the largest acceptable number of owners plus admins.
    """

    id = "MAGE-SEC-026"
    name = "too-many-admins"
    title = "Too many owners and admins"
    severity = "low"
    practices = AUTH
    thresholds = (Threshold("max_admins", 3, "largest acceptable number of owners plus admins", "integer >= 1"),)

    def check(self):
        frame = self.scan.accounts
        if frame.empty:
            return
        count = int((frame["is_owner"].astype(bool) | frame["is_admin"].astype(bool)).sum())
        limit = self.option("max_admins")
        if count > limit:
            yield self.finding(f"{count} users are owners or admins (maximum {limit})", key="admins",
                               evidence=f"owners_and_admins={count} users={len(frame)}")


@register
class UserWithoutRole(_AccountRule):
    """A user has no role.

    What it checks:
        Users with no ``user_role`` row, no legacy ``roles`` bits and no ``owner`` flag.

    Why it matters:
        Access of role-less users depends on fallbacks; stale accounts often look like this.

    Example:
        A former contractor's user with no role.

    Fix:
        Assign a role or delete the user.
    """

    id = "MAGE-SEC-027"
    name = "user-without-role"
    title = "User without a role"
    severity = "low"
    practices = AUTH

    def check(self):
        for row in self.frame_rows("accounts"):
            if not row.get("roles") and not row.get("legacy_roles") and not row.get("is_owner"):
                yield self.finding("user has no role", key=row["user_key"], evidence=f"user={row['user_key']}")


@register
class ActiveApiTrigger(_AccountRule):
    """An active API trigger is authenticated only by its token; high when that token is committed.

    What it checks:
        Active ``API`` schedules in the run-history DB; their token fingerprint is compared
        with the tokens committed in ``triggers.yaml``.

    Why it matters:
        The API-trigger endpoint accepts the token alone, even with user authentication on.

    Example:
        An active API trigger whose token is also in ``pipelines/x/triggers.yaml``.

    Fix:
        Keep tokens out of git, rotate committed ones, and deactivate unused API triggers.
    """

    id = "MAGE-SEC-028"
    name = "active-api-trigger"
    title = "Active API trigger (token-only access)"
    severity = "low"
    practices = SECRETS

    def check(self):
        committed = self.scan.committed_trigger_tokens
        for row in self.frame_rows("api_triggers"):
            if not (row.get("active") and row.get("has_token")):
                continue
            leaked = row.get("token_fingerprint") in committed
            yield self.finding(
                "active API trigger whose token is committed in triggers.yaml" if leaked
                else "active API trigger is reachable with its token alone",
                key=(row.get("pipeline_uuid"), row.get("name")), pipeline=row.get("pipeline_uuid"),
                evidence=f"trigger={row.get('name')} token_committed={leaked}",
                severity="high" if leaked else None)


@register
class StoredSecretsWithCommittedKey(_AccountRule):
    """Mage's ``secret`` table has rows and the key that decrypts them is committed.

    What it checks:
        Rows in the DB's ``secret`` table together with a committed ``secrets/key``.

    Why it matters:
        Key plus DB decrypt every stored secret: all of them must be considered leaked.

    Example:
        ``mage_data/secrets/key`` committed while the DB stores ``stripe_api_key``.

    Fix:
        Rotate every stored secret, remove the key from git history and keep ``secrets/`` ignored.
    """

    id = "MAGE-SEC-029"
    name = "stored-secrets-with-committed-key"
    title = "Stored secrets decryptable with a committed key"
    severity = "critical"
    practices = SECRETS

    def check(self):
        stored = self.scan.stored_secrets
        n = int(stored["n_secrets"].sum()) if len(stored) else 0
        keys = [r for r in self.frame_rows("exposed_files", kind="secrets_key")]
        if n and keys:
            yield self.finding(f"{n} stored secrets can be decrypted with the committed key",
                               key="secrets", path=keys[0]["path"], project=keys[0].get("project"),
                               evidence=f"stored_secrets={n} key_files={len(keys)}")
