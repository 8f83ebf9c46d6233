"""Accounts, API triggers and stored secrets read from a hand-built history DB, and their rules."""
from __future__ import annotations

import bcrypt
import pytest

from auditkit.model import short_hash
from auditkit.readers.history import open_history
from auditkit.engine.base import REGISTRY, RuleContext
from history_support import empty_history_db, insert
from test_security_secrets import make_repo, scan

import auditkit.rules  # noqa: F401

TOKEN = "0f9e8d7c6b5a49382716051423324150"


def hashed(password: bytes) -> str:
    return bcrypt.hashpw(password, bcrypt.gensalt(4)).decode()   # cost 4 keeps the test fast


@pytest.fixture
def history_db(tmp_path):
    """Default owner on 'admin', a named admin, a role-less user, an active API trigger, a secret."""
    path = tmp_path / "mage-ai.db"
    conn = empty_history_db(path)
    insert(conn, "user", id=1, email="admin@admin.com", username="admin", owner=0, roles=None,
           password_hash=hashed(b"admin"), password_salt=b"salt")
    insert(conn, "user", id=2, email="dana@example.com", username="dana", owner=1, roles=1,
           password_hash=hashed(b"long-and-unique-passphrase"), password_salt=b"salt")
    insert(conn, "user", id=3, email="old@contractor.io", username="old", owner=0, roles=None,
           password_hash=hashed(b"admin"), password_salt=b"salt")
    for rid, name in enumerate(["Owner", "Admin", "Editor", "Viewer"], 1):
        insert(conn, "role", id=rid, name=name)
    insert(conn, "user_role", id=1, user_id=1, role_id=1)
    insert(conn, "user_role", id=2, user_id=2, role_id=2)
    insert(conn, "oauth2_access_token", id=1, user_id=1, token="plaintext-oauth-token-xyz", oauth2_application_id=None)
    insert(conn, "pipeline_schedule", id=1, name="hook", pipeline_uuid="p1", schedule_type="API",
           status="ACTIVE", token=TOKEN)
    insert(conn, "pipeline_schedule", id=2, name="old hook", pipeline_uuid="p1", schedule_type="API",
           status="INACTIVE", token="1111222233334444555566667777888a")
    insert(conn, "pipeline_schedule", id=3, name="daily", pipeline_uuid="p1", schedule_type="TIME",
           status="ACTIVE", token="aaaabbbbccccddddeeeeffff00001111")
    insert(conn, "secret", id=1, name="stripe_key", value="gAAAAABsecretciphertext", repo_name="/x", key_uuid="k")
    conn.close()
    return path


def run(rule_id, result, history):
    return list(REGISTRY[rule_id](RuleContext(history=history, security=result)).check())


def test_accounts_are_flags_only(tmp_path, history_db):
    history = open_history(str(history_db))
    result = scan(make_repo(tmp_path / "repo", {}), history=history)
    accounts = result.accounts.set_index("email_domain")
    assert accounts.loc["admin.com", "uses_default_password"] == True  # noqa: E712
    assert accounts.loc["admin.com", "is_owner"] and accounts.loc["admin.com", "has_token"]
    assert accounts.loc["example.com", "uses_default_password"] == False  # noqa: E712
    assert accounts.loc["example.com", "is_admin"]                      # Admin role and legacy bit
    assert accounts.loc["contractor.io", "roles"] == []
    # user 3 also uses 'admin' but is neither default nor privileged: not checked (bcrypt is slow)
    assert accounts.loc["contractor.io", "uses_default_password"] is None
    text = result.accounts.to_csv() + result.api_triggers.to_csv() + result.stored_secrets.to_csv()
    for value in ("$2b$", "plaintext-oauth-token", TOKEN, "gAAAAAB", "admin@admin.com"):
        assert value not in text


def test_account_rules_fire(tmp_path, history_db):
    history = open_history(str(history_db))
    result = scan(make_repo(tmp_path / "repo", {}), history=history)
    assert len(run("MAGE-SEC-025", result, history)) == 1
    assert len(run("MAGE-SEC-027", result, history)) == 1
    api = run("MAGE-SEC-028", result, history)
    assert [(f.severity, f.pipeline) for f in api] == [("low", "p1")]   # only the active API trigger
    assert run("MAGE-SEC-029", result, history) == []                     # secrets stored but no key committed
    assert run("MAGE-SEC-026", result, history) == []                     # 2 admins <= 3


def test_committed_token_of_active_trigger_and_committed_key_escalate(tmp_path, history_db):
    triggers = (f"triggers:\n- name: hook\n  schedule_type: api\n  schedule_interval: null\n"
                f"  start_time: null\n  status: active\n  token: {TOKEN}\n")
    repo = make_repo(tmp_path / "repo", {"proj/pipelines/p1/triggers.yaml": triggers,
                                         "mage_data/secrets/key": "a2V5LWJ5dGVz"})
    history = open_history(str(history_db))
    result = scan(repo, history=history)
    assert short_hash(TOKEN) in result.committed_trigger_tokens
    assert [f.severity for f in run("MAGE-SEC-028", result, history)] == ["high"]
    assert [f.severity for f in run("MAGE-SEC-029", result, history)] == ["critical"]


def test_too_many_admins_threshold(tmp_path, history_db):
    history = open_history(str(history_db))
    result = scan(make_repo(tmp_path / "repo", {}), history=history)
    ctx = RuleContext(history=history, security=result, thresholds={"MAGE-SEC-026": {"max_admins": 1}})
    assert len(list(REGISTRY["MAGE-SEC-026"](ctx).check())) == 1


def test_no_history_means_no_accounts_and_no_error(tmp_path):
    result = scan(make_repo(tmp_path, {}))
    assert result.accounts.empty and not result.history_read and result.problems == []


def test_db_without_user_tables_is_not_fatal(tmp_path):
    path = tmp_path / "old.db"
    empty_history_db(path, drop={"user_role": None, "oauth2_access_token": None, "secret": None}).close()
    result = scan(make_repo(tmp_path / "repo", {}), history=open_history(str(path)))
    assert result.accounts.empty and result.stored_secrets.empty
