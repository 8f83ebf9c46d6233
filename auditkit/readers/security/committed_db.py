"""What a committed Mage run-history database holds, as row counts only.

A committed ``mage-ai.db`` ranges from the empty schema ``mage init`` leaves behind to a server's
whole state. The severity of the finding follows what is inside: users (password hashes),
access tokens and API-trigger tokens, encrypted secrets, or only run history. The file is opened
read-only and immutable (SQLite ``mode=ro&immutable=1``: no lock, no journal, nothing written);
only ``COUNT(*)`` is selected, never a value.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

COUNTED = {
    "users": 'SELECT COUNT(*) FROM "user"',
    "access_tokens": "SELECT COUNT(*) FROM oauth2_access_token",
    # Only API triggers: their token is the endpoint's credential (time triggers have one too, unused).
    "api_trigger_tokens": "SELECT COUNT(*) FROM pipeline_schedule WHERE token IS NOT NULL AND token != '' "
                          "AND UPPER(CAST(schedule_type AS VARCHAR(16))) = 'API'",
    "secrets": "SELECT COUNT(*) FROM secret",
    "pipeline_runs": "SELECT COUNT(*) FROM pipeline_run",
}
SENSITIVE = ("users", "access_tokens", "api_trigger_tokens", "secrets")
_NOUNS = {"users": ("user", "users"), "access_tokens": ("access token", "access tokens"),
          "api_trigger_tokens": ("API-trigger token", "API-trigger tokens"), "secrets": ("stored secret", "stored secrets"),
          "pipeline_runs": ("pipeline run", "pipeline runs")}


def db_contents(path: str | Path) -> dict[str, int] | None:
    """Row counts of the tables that matter (a missing table counts 0); None when the file is not
    a readable SQLite database (e.g. a Git LFS pointer or a truncated copy)."""
    try:
        uri = Path(path).resolve().as_uri() + "?mode=ro&immutable=1"
        db = sqlite3.connect(uri, uri=True, timeout=1)
    except (sqlite3.Error, OSError, ValueError):
        return None
    try:
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        counts = {}
        for key, sql in COUNTED.items():
            table = sql.split(" FROM ")[1].split()[0].strip('"')
            try:
                counts[key] = int(db.execute(sql).fetchone()[0]) if table in tables else 0
            except sqlite3.OperationalError:     # an older schema without the column
                counts[key] = 0
        return counts
    except sqlite3.Error:
        return None
    finally:
        db.close()


def describe(counts: dict[str, int] | None) -> str:
    """A short phrase for a finding: what the DB holds (counts only)."""
    if counts is None:
        return "could not be read"
    held = [f"{counts[k]} {_NOUNS[k][counts[k] != 1]}" for k in (*SENSITIVE, "pipeline_runs") if counts.get(k)]
    return "holds " + ", ".join(held) if held else "holds no users, tokens, secrets or runs (empty schema)"


def is_sensitive(counts: dict[str, int] | None) -> bool:
    """Users, tokens or secrets inside (or unknown: treated as sensitive)."""
    return counts is None or any(counts.get(k) for k in SENSITIVE)
