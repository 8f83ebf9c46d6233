"""Security rules: Mage's own state committed to the repo (secrets key, data folder, server state)."""
from __future__ import annotations

from auditkit.rules.base import register
from auditkit.rules.security.base import SECRETS, SecurityRule


class _ExposedRule(SecurityRule):
    kinds: tuple[str, ...] = ()

    def check(self):
        for row in self.frame_rows("exposed_files", kind=self.kinds):
            yield self.finding(row["reason"], key=row["kind"], project=row.get("project"),
                               path=row["path"], evidence=f"kind={row['kind']}")


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
    practices = SECRETS
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
    practices = SECRETS
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
    practices = SECRETS
    kinds = ("ssh_tunnel_dir", "file_versions_dir")
