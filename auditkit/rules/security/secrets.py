"""Security rules: secrets and secret-bearing files committed to the repo."""
from __future__ import annotations

from auditkit.engine.base import register
from auditkit.rules.security.base import SECRETS, SecurityRule
from auditkit.engine.frames import rows as rows_of

# Which source reports a value found in several places: the most specific one.
_OWNER_ORDER = ("io_config", "triggers", "metadata", "env_file", "pattern", "detect-secrets")
_KEY_FILE_KINDS = ("private_key", "service_account_key")
_MAX_PLACES = 8


def _place(row: dict) -> str:
    return f"{row['path']}:{row['line']}" if row.get("line") is not None else str(row["path"])


def _groups(rule: SecurityRule) -> dict[str, list[dict]]:
    """Fingerprint -> its rows, most specific source first, then by path and line (shared by the rules)."""
    from auditkit.engine.frames import rows, shared

    def build(frame):
        order = {source: i for i, source in enumerate(_OWNER_ORDER)}
        groups: dict[str, list[dict]] = {}
        for shared_row in rows(frame):
            row = {**shared_row, "line": int(shared_row["line"]) if shared_row["line"] is not None else None}
            groups.setdefault(row["fingerprint"], []).append(row)
        for group in groups.values():
            group.sort(key=lambda r: (order.get(r["source"], 99), r["path"], r["line"] or 0))
        return groups
    return shared("secret-groups", (rule.scan.secrets,), lambda: build(rule.scan.secrets))


class _SecretRule(SecurityRule):
    """One finding per committed secret value whose most specific source is one of ``sources``.

    The same value at several places (copied into many blocks, or in io_config and in code) is
    one finding at its most specific place, listing the others: it is one credential to rotate.
    """

    sources: tuple[str, ...] = ()
    label = "secret"

    def severity_for(self, row: dict) -> str | None:
        return None

    def skipped_paths(self) -> set[str]:
        return set()

    def check(self):
        skipped = self.skipped_paths()
        for fingerprint, rows in _groups(self).items():
            places = [r for r in rows if r["path"] not in skipped and r["source"] != "dev_default"]
            if not places or places[0]["source"] not in self.sources:
                continue
            row = places[0]
            others = [_place(r) for r in places[1:]]
            more = f"; the same value is in {len(others)} more place{'s' if len(others) > 1 else ''}" if others else ""
            shown = "; ".join(others[:_MAX_PLACES]) + (" ..." if len(others) > _MAX_PLACES else "")
            yield self.finding(
                f"{self.label} committed ({row['kind'].replace('_', ' ')}){more}",
                key=(row["kind"], fingerprint), project=row.get("project"), path=row["path"],
                line=row.get("line"),
                evidence=f"kind={row['kind']} fingerprint={fingerprint}" + (f" also at: {shown}" if others else ""),
                severity=self.severity_for(row), places=len(places))


@register
class HardcodedSecret(_SecretRule):
    """A file holds a value that a secret detector recognises as a credential.

    What it checks:
        Every text file of the repo (blocks, utils, configs, notebooks, docs) exactly as
        detect-secrets' own scan reads it (its plugins, filters and YAML/ini transformers):
        cloud keys, private keys, tokens, passwords next to credential keywords, URLs with
        passwords, high-entropy strings; plus a literal ``Authorization: Bearer`` token and a
        literal assigned to a token or API-key name (``app_token = "..."``, ``api_key="..."``).
        Quiet on what is not the team's secret: Mage's template text and placeholders (a value
        repeating its key, ``YOUR-...``, ``your_*``, ``<...>``), expressions (concatenation,
        calls such as ``get_secret_value(...)``, ``var.x``, ``${VAR}``, names of secrets such as
        ``*_secret_name``), example and documentation files (keyword hits only), vendored
        packages (``dbt_packages/``, dbt ``target/``), key files reported by MAGE-SEC-007/008,
        and well-known local defaults (MAGE-SEC-041). A value found at several places is one
        finding, at the most specific one (io_config, triggers, metadata, .env, then code),
        listing the others.

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
    sources = ("pattern", "detect-secrets")
    label = "hard-coded secret"

    def skipped_paths(self) -> set[str]:
        exposed = self.scan.exposed_files
        return set(exposed.loc[exposed["kind"].isin(_KEY_FILE_KINDS), "path"])

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
        Files named ``.env``, ``.env.<name>`` or ``<name>.env`` (examples and templates
        excluded), outside vendored packages (``dbt_packages/``), unless MAGE-SEC-005 already
        reports credentials in the file or MAGE-SEC-041 reports its local-development defaults.

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

    def check(self):
        from auditkit.readers.security.quiet import is_vendored

        secrets = self.scan.secrets
        # A file whose credentials MAGE-SEC-005 (or, for local defaults, MAGE-SEC-041) reports
        # is reported there; a vendored package's env files are not the team's.
        covered = set(secrets.loc[secrets["source"].isin(("env_file", "dev_default")), "path"])
        for finding in super().check():
            if finding.path not in covered and not is_vendored(finding.path):
                yield finding


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
@register
class LocalDefaultCredentials(SecurityRule):
    """Local-development files use well-known default credentials (one finding for the repo).

    What it checks:
        Credential values that are well-known defaults of images and tutorials (``postgres``,
        ``admin``, ``minioadmin``, ...) or equal to their user or service name, in compose
        files, ``.env`` files, scripts and code without production evidence (no ``prod`` in the
        path, no ``ENV=prod`` in the file). They are gathered into one advice finding.

    Why it matters:
        Defaults are fine for a throwaway container on a laptop, but a compose file tends to
        become a deployment; a default password there is the first one an attacker tries. They
        are not leaked secrets: nothing needs rotating, so they are not reported as such.

    Example:
        ``POSTGRES_PASSWORD: postgres`` in ``docker-compose.yml`` next to ``POSTGRES_USER: postgres``.

    Fix:
        Read credentials from an untracked ``.env`` (``${POSTGRES_PASSWORD}``) even for local
        stacks, and never reuse these files for a shared or production deployment.
    """

    id = "MAGE-SEC-041"
    name = "local-default-credentials"
    title = "Well-known default credentials in local-development files"
    severity = "low"
    practices = SECRETS

    def check(self):
        owned = {fp for fp, rows in _groups(self).items() if any(r["source"] != "dev_default" for r in rows)}
        rows = [r for rows in _groups(self).values() for r in rows
                if r["source"] == "dev_default" and r["fingerprint"] not in owned]
        if not rows:
            return
        rows.sort(key=lambda r: (r["path"], r["line"] or 0))
        files = sorted({r["path"] for r in rows})
        shown = ", ".join(files[:_MAX_PLACES]) + (" ..." if len(files) > _MAX_PLACES else "")
        yield self.finding(
            f"{len(rows)} well-known default credential{'s' if len(rows) > 1 else ''} in {len(files)} "
            f"local-development file{'s' if len(files) > 1 else ''}",
            key="local-default-credentials", path=rows[0]["path"], line=rows[0]["line"],
            evidence=f"files: {shown}", places=len(rows))


@register
class SecretInGitHistory(SecurityRule):
    """A secret that is no longer in the files is still in git history.

    What it checks:
        The file versions added or changed by the newest 500 commits of HEAD (or the commits
        of the audit window) under the audited folder, scanned like the files of HEAD
        (detect-secrets, auditkit's token patterns, ``.env`` and ``triggers.yaml`` detectors,
        the same quiet rules). A value still found in HEAD is reported by the other rules;
        each other value is reported once, at the oldest commit of the window that holds it,
        and the values one commit added to one file (an AWS key pair) are one finding.
        The bound is set with ``$AUDITKIT_GIT_HISTORY_COMMITS`` (0 turns the scan off).

    Why it matters:
        Deleting a credential from a file does not remove it from the repository: every clone
        and fork keeps every past version, and scanners harvest public histories within minutes.

    Example:
        ``io_config.yaml`` held a literal AWS secret key in its first commit; a later commit
        replaced it with ``{{ env_var('AWS_SECRET_ACCESS_KEY') }}``.

    Fix:
        Rotate the credential now (it must be treated as leaked), then, if the repository is
        shared, rewrite history (``git filter-repo``) and ask collaborators to re-clone.
    """

    id = "MAGE-SEC-042"
    name = "secret-in-git-history"
    title = "Secret still in git history"
    severity = "high"
    practices = SECRETS

    def check(self):
        by_version: dict[tuple[str, str], list[dict]] = {}
        for row in rows_of(self.scan.history.secrets):
            by_version.setdefault((row["path"], str(row["commit"])), []).append(row)
        for (path, commit), found in sorted(by_version.items()):
            kinds = sorted({r["kind"].replace("_", " ") for r in found})
            what = kinds[0] if len(found) == 1 else f"{len(found)} secrets ({', '.join(kinds)})"
            places = "; ".join(f"line {r['line']} {r['kind']} fingerprint={r['fingerprint']}" for r in found)
            yield self.finding(
                f"{what} removed from the files but still in git history (first seen in commit "
                f"{commit[:12]}); rotate {'it' if len(found) == 1 else 'them'}",
                key=(commit, tuple(sorted(r["fingerprint"] for r in found))), project=found[0].get("project"),
                path=path, line=found[0].get("line"),
                evidence=f"commit={commit[:12]} committed_at={found[0]['committed_at']} {places}")
