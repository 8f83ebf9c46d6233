"""Accounts, API-trigger tokens and stored secrets from Mage's run-history DB, as flags only.

Hashes, salts, tokens and secret values never enter a DataFrame. The default-password check
reads ``password_hash`` row by row, runs ``bcrypt.checkpw(b'admin', hash)`` and keeps only the
boolean. Mage hashes with cost 14 (about a second per check), so only likely defaults are
checked: the default owner's email/username, and owners/admins, at most ``MAX_BCRYPT_CHECKS``.
API-trigger tokens are reduced to a short fingerprint so a token committed in
``triggers.yaml`` can be matched to a live schedule without either being shown.
"""
from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from auditkit.model import InputProblem, short_hash

ACCOUNT_COLUMNS = ["user_key", "email_domain", "is_owner", "is_admin", "roles", "legacy_roles",
                   "uses_default_password", "has_token", "is_default_owner"]
API_TRIGGER_COLUMNS = ["trigger_id", "pipeline", "name", "status", "active", "has_token",
                       "token_fingerprint"]
STORED_SECRET_COLUMNS = ["n_secrets", "n_legacy", "n_scopes"]

DEFAULT_PASSWORD = b"admin"
DEFAULT_OWNER_EMAIL = "admin@admin.com"
DEFAULT_OWNER_USERNAME = "admin"
MAX_BCRYPT_CHECKS = 10
_LEGACY_ADMIN_BIT = 1


def _rows(history, sql: str, problems: list[InputProblem], what: str) -> list[Any]:
    try:
        with history.engine.connect() as db:
            return list(db.execute(text(sql)))
    except SQLAlchemyError as exc:
        # The exception text can quote the statement, never values; keep only its class.
        problems.append(InputProblem(getattr(history, "label", "history"), "history",
                                     f"could not read {what} ({type(exc).__name__})"))
        return []


def _cols(history, table: str) -> set[str]:
    return set(getattr(history, "columns", {}).get(table, set()))


def _has(history, *tables: str) -> bool:
    return history is not None and getattr(history, "engine", None) is not None and all(
        t in getattr(history, "tables", set()) for t in tables)


def uses_default_password(password_hash: Any) -> bool | None:
    """Whether a bcrypt hash verifies Mage's default owner password; None when not a bcrypt hash."""
    import bcrypt

    if password_hash is None:
        return None
    hashed = password_hash if isinstance(password_hash, bytes) else str(password_hash).encode()
    try:
        return bool(bcrypt.checkpw(DEFAULT_PASSWORD, hashed))
    except (ValueError, TypeError):
        return None


def read_accounts(history, problems: list[InputProblem]) -> pd.DataFrame:
    """One row per user: hashed id, email domain, owner/admin flags, roles, default-password flag."""
    if not _has(history, "user"):
        return pd.DataFrame(columns=ACCOUNT_COLUMNS)
    cols = _cols(history, "user")
    wanted = [c for c in ("id", "email", "username", "owner", "roles") if c in cols]
    roles_by_user: dict[Any, list[str]] = {}
    if _has(history, "user_role", "role"):
        for user_id, name in _rows(history, 'SELECT ur.user_id, r.name FROM user_role ur '
                                            'JOIN role r ON r.id = ur.role_id', problems, "user roles"):
            roles_by_user.setdefault(user_id, []).append(str(name))
    tokens_by_user: dict[Any, int] = {}
    if _has(history, "oauth2_access_token"):
        for user_id, count in _rows(history, "SELECT user_id, COUNT(*) FROM oauth2_access_token "
                                             "GROUP BY user_id", problems, "access tokens"):
            tokens_by_user[user_id] = int(count)

    users = [dict(zip(wanted, r)) for r in _rows(history, f'SELECT {", ".join(wanted)} FROM "user"',
                                                  problems, "users")]
    checks_left = MAX_BCRYPT_CHECKS
    rows = []
    for user in users:
        email = str(user.get("email") or "")
        roles = sorted(roles_by_user.get(user.get("id"), []))
        legacy = int(user["roles"]) if user.get("roles") is not None else None
        is_owner = bool(user.get("owner")) or any(r.split("_")[0] == "Owner" for r in roles)
        is_admin = any(r.split("_")[0] == "Admin" for r in roles) or bool(legacy and legacy & _LEGACY_ADMIN_BIT)
        is_default = email.lower() == DEFAULT_OWNER_EMAIL or str(user.get("username") or "") == DEFAULT_OWNER_USERNAME
        default_pw = None
        if "password_hash" in cols and (is_default or is_owner or is_admin) and checks_left > 0:
            checks_left -= 1
            default_pw = _check_one(history, user.get("id"), problems)
        rows.append({
            "user_key": short_hash("user", user.get("id"), email), "email_domain": email.rsplit("@", 1)[-1] if "@" in email else None,
            "is_owner": is_owner, "is_admin": is_admin, "roles": roles, "legacy_roles": legacy,
            "uses_default_password": default_pw, "has_token": tokens_by_user.get(user.get("id"), 0) > 0,
            "is_default_owner": is_default,
        })
    return pd.DataFrame(rows, columns=ACCOUNT_COLUMNS)


def _check_one(history, user_id: Any, problems: list[InputProblem]) -> bool | None:
    """Fetch one hash, check it, drop it: the hash lives only inside this call."""
    try:
        with history.engine.connect() as db:
            found = db.execute(text('SELECT password_hash FROM "user" WHERE id = :id'), {"id": user_id}).first()
    except SQLAlchemyError as exc:
        problems.append(InputProblem(getattr(history, "label", "history"), "history",
                                     f"could not read a password hash ({type(exc).__name__})"))
        return None
    return uses_default_password(found[0]) if found else None


def read_api_triggers(history, problems: list[InputProblem]) -> pd.DataFrame:
    """API-type schedules with whether they are active and a fingerprint of their token."""
    if not _has(history, "pipeline_schedule") or "token" not in _cols(history, "pipeline_schedule"):
        return pd.DataFrame(columns=API_TRIGGER_COLUMNS)
    sql = ("SELECT id, pipeline_uuid, name, status, token FROM pipeline_schedule "
           "WHERE UPPER(CAST(schedule_type AS VARCHAR(16))) = 'API'")
    # A history read through Mage's API holds only the token's fingerprint, behind this prefix.
    from auditkit.readers.history.api.mirror import TOKEN_FINGERPRINT_PREFIX as mirrored
    rows = []
    for schedule_id, pipeline, name, status, token in _rows(history, sql, problems, "API triggers"):
        fingerprint = (token[len(mirrored):] if token.startswith(mirrored) else short_hash(token)) if token else None
        rows.append({"trigger_id": schedule_id, "pipeline": pipeline, "name": name,
                     "status": str(status or "").upper() or None,
                     "active": str(status or "").upper() == "ACTIVE", "has_token": bool(token),
                     "token_fingerprint": fingerprint})
    return pd.DataFrame(rows, columns=API_TRIGGER_COLUMNS)


def read_stored_secrets(history, problems: list[InputProblem]) -> pd.DataFrame:
    """Counts of rows in Mage's ``secret`` table (values are never selected)."""
    if not _has(history, "secret"):
        return pd.DataFrame(columns=STORED_SECRET_COLUMNS)
    key_col = "key_uuid" if "key_uuid" in _cols(history, "secret") else "NULL"
    found = _rows(history, f"SELECT COUNT(*), SUM(CASE WHEN {key_col} IS NULL THEN 1 ELSE 0 END), "
                           f"COUNT(DISTINCT {key_col}) FROM secret", problems, "stored secrets")
    if not found:
        return pd.DataFrame(columns=STORED_SECRET_COLUMNS)
    total, legacy, scopes = found[0]
    return pd.DataFrame([{"n_secrets": int(total or 0), "n_legacy": int(legacy or 0),
                          "n_scopes": int(scopes or 0)}], columns=STORED_SECRET_COLUMNS)
