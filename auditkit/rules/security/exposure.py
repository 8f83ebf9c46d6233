"""Security rules: Mage's own state committed to the repo (secrets key, data folder, server state)."""
from __future__ import annotations

from pathlib import PurePosixPath

from auditkit.readers.security import committed_db
from auditkit.engine.base import register
from auditkit.rules.security.base import SECRETS, SecurityRule


class _ExposedRule(SecurityRule):
    """One finding per exposed file or folder of ``kinds``; a file inside an exposed folder is
    named in the folder's finding instead (one problem, one finding)."""

    kinds: tuple[str, ...] = ()

    def check(self):
        for row in self.frame_rows("exposed_files", kind=self.kinds):
            if row.get("folder"):
                continue
            message, severity = self.describe(row)
            yield self.finding(message, key=self.key_of(row), project=row.get("project"),
                               path=row["path"], evidence=self.evidence(row), severity=severity)

    def describe(self, row: dict) -> tuple[str, str | None]:
        return row["reason"], None

    def key_of(self, row: dict):
        return row["kind"]

    def evidence(self, row: dict) -> str:
        contains = row.get("contains") or []
        return f"kind={row['kind']}" + (f" contains={','.join(contains)}" if contains else "")


@register
class SecretsKeyCommitted(_ExposedRule):
    """Mage's secrets encryption key (``secrets/key``) is committed.

    What it checks:
        Files at ``secrets/key`` or ``secrets/projects/<uuid>[/pipelines/<uuid>]/key``. A key
        inside a committed ``mage_data/`` folder is named in that folder's MAGE-SEC-010 finding.

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
    practices = SECRETS
    kinds = ("secrets_key",)


@register
class MageDataCommitted(_ExposedRule):
    """Mage's data folder or run-history database is committed.

    What it checks:
        ``mage_data/`` or ``.mage_data/`` folders and ``mage-ai.db`` files. A folder is one
        finding naming the database and secrets key inside it. Severity follows what is inside
        (the database is opened read-only and only its rows are counted): critical with a
        committed ``secrets/key``, high when a database holds users, tokens or secrets (or cannot
        be read), medium for run history or other data, low for an empty schema.

    Why it matters:
        The DB holds users, password hashes, plaintext OAuth and API-trigger tokens and
        encrypted secrets; the folder also holds block outputs (often personal data) and logs;
        with ``secrets/key`` every stored secret can be decrypted.

    Example:
        ``mage_data/analytics/mage-ai.db``.

    Fix:
        Remove them from git (and from its history when they hold credentials), rotate what they
        held, and keep Mage's template ``.gitignore`` (``mage_data/``, ``mage-ai.db``).
    """

    id = "MAGE-SEC-010"
    name = "mage-data-committed"
    title = "Mage data folder or database committed"
    severity = "high"
    practices = SECRETS
    kinds = ("mage_data_dir", "mage_db")

    def key_of(self, row: dict):
        # A folder's finding now speaks for the files inside it too: a key of its own.
        return (row["kind"], "with contents") if row["kind"] == "mage_data_dir" else row["kind"]

    def describe(self, row: dict) -> tuple[str, str | None]:
        contents = row.get("db_contents") or {}
        if row["kind"] == "mage_db":
            counts = contents.get(row["path"]) if contents else None
            return f"Mage run-history database is committed; it {committed_db.describe(counts)}", _db_severity(counts)
        inside = row.get("contains") or []
        has_key = any(PurePosixPath(p).parent.name == "secrets" or "secrets/" in p for p in inside)
        dbs = [f"{p} {committed_db.describe(c)}" for p, c in sorted(contents.items())]
        parts = ["Mage data folder is committed"]
        if dbs:
            parts.append("its run-history database " + "; ".join(dbs))
        if has_key:
            parts.append("with the secrets key that decrypts every stored secret")
        if has_key:
            severity = "critical"
        elif contents:
            severity = max((_db_severity(c) for c in contents.values()), key=_RANK.get)
        else:
            severity = "medium"      # block outputs and logs, no database
        return ", ".join(parts), severity


_RANK = {"low": 0, "medium": 1, "high": 2, "critical": 3}


def _db_severity(counts: dict | None) -> str:
    if committed_db.is_sensitive(counts):
        return "high"
    return "medium" if counts.get("pipeline_runs") else "low"


@register
class ServerStateCommitted(_ExposedRule):
    """Server-written state (``.ssh_tunnel/``, ``.file_versions/``) is committed.

    What it checks:
        ``.ssh_tunnel/`` (written by the server on start, not in Mage's template ``.gitignore``)
        and ``.file_versions/`` folders. A ``.ssh_tunnel/`` holding only the empty ``{}`` the
        server writes exposes nothing and is not reported.

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
    practices = SECRETS
    kinds = ("ssh_tunnel_dir", "file_versions_dir")
