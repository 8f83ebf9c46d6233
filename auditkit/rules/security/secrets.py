"""Security rules: secrets and secret-bearing files committed to the repo."""
from __future__ import annotations

from auditkit.rules.base import register
from auditkit.rules.security.base import SECRETS, SecurityRule

class _SecretRule(SecurityRule):
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
    practices = SECRETS
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
    practices = SECRETS
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
    practices = SECRETS
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
    practices = SECRETS
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
    practices = SECRETS
    sources = ("env_file",)
    label = ".env credential"


class _ExposedRule(SecurityRule):
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
    practices = SECRETS
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
    practices = SECRETS
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
    practices = SECRETS
    kinds = ("service_account_key",)
