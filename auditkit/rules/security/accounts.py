"""Security rules: accounts, API triggers and stored secrets in the run history (need the history DB)."""
from __future__ import annotations

from auditkit.engine.base import Threshold, register
from auditkit.rules.security.base import AUTH, SECRETS, SecurityRule


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
                key=(row.get("pipeline"), row.get("name")), pipeline=row.get("pipeline"),
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


@register
class TriggerTokenInRunLists(_AccountRule):
    """API-trigger tokens that every user who may list runs can read.

    What it checks:
        Active ``API`` schedules with a token that have runs in the history, on a server with
        at least one user who is neither owner nor admin (a viewer or editor). Mage's run
        list (``GET /api/pipeline_runs``, which a Viewer may call) returns
        ``pipeline_schedule_token`` with every run, even where the server hides trigger tokens
        elsewhere. Only the token's fingerprint is reported. Distinct from MAGE-SEC-003 (the
        token committed in git) and MAGE-SEC-028 (the trigger accepts the token alone): this
        is who can read it.

    Why it matters:
        A read-only account can copy the token from a run list and start the pipeline with any
        variables through the token-only endpoint: read access becomes execute access.

    Example:
        ``ads_platform_webhook`` has 400 runs; the server has a Viewer account.

    Fix:
        Give viewers no access to the runs pages of such pipelines (or no account), rotate the
        token after removing access, and deactivate API triggers nobody calls.
    """

    id = "MAGE-SEC-030"
    name = "trigger-token-in-run-lists"
    title = "API-trigger token readable through the run lists"
    severity = "medium"
    practices = SECRETS

    def check(self):
        readers = [r for r in self.frame_rows("accounts") if not r.get("is_owner") and not r.get("is_admin")]
        if not readers:
            return
        from auditkit.analytics.schedule_sync import runs_per_schedule
        runs = runs_per_schedule(self.ctx.history)
        for row in self.frame_rows("api_triggers"):
            sid = row.get("trigger_id")
            n = runs.get(int(sid), 0) if sid is not None else 0
            if row.get("active") and row.get("has_token") and n:
                yield self.finding(
                    f"the token of active API trigger '{row.get('name')}' is returned with each of its {n:,} runs "
                    f"to {len(readers)} non-admin user(s) who can list runs",
                    key=(row.get("pipeline"), row.get("name")), pipeline=row.get("pipeline"),
                    evidence=f"trigger={row.get('name')} token_fingerprint={row.get('token_fingerprint')}")
