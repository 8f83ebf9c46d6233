"""Committed Mage state: one finding per problem, severity from what a committed DB holds,
empty tunnel state quiet. The databases are built here, row by row, with made-up values."""
from __future__ import annotations

import sqlite3
from pathlib import Path

from auditkit.readers.security.committed_db import db_contents
from auditkit.engine.base import REGISTRY, RuleContext
from rule_cases_security import make_scan
from test_security_secrets import make_repo, scan

import auditkit.rules  # noqa: F401


def run(result, rule_id, **ctx):
    return list(REGISTRY[rule_id](RuleContext(security=result, **ctx)).check())


def make_db(path: Path, users: int = 0, tokens: int = 0, runs: int = 0, secrets: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as db:
        db.execute("create table alembic_version (version_num text)")
        db.execute('create table "user" (id integer, email text, password_hash text)')
        db.execute("create table oauth2_access_token (id integer, token text, user_id integer)")
        db.execute("create table pipeline_run (id integer)")
        db.execute("create table secret (id integer, name text, value text)")
        db.execute("create table pipeline_schedule (id integer, token text, schedule_type text)")
        for i in range(users):
            db.execute('insert into "user" values (?, ?, ?)', (i, f"canary-user{i}@example.com", "$2b$14$canaryhash"))
        for i in range(tokens):
            db.execute("insert into oauth2_access_token values (?, ?, 1)", (i, f"canary-token-{i}"))
        for i in range(runs):
            db.execute("insert into pipeline_run values (?)", (i,))
        for i in range(secrets):
            db.execute("insert into secret values (?, ?, ?)", (i, "stripe_key", "gAAAAcanaryencrypted"))
    return path


def test_empty_tunnel_state_is_not_exposed_and_real_state_is(tmp_path):
    quiet = scan(make_repo(tmp_path / "q", {"proj/.ssh_tunnel/aws_emr.json": "{}\n"}))
    assert quiet.exposed_files.empty and run(quiet, "MAGE-SEC-011") == []
    loud = scan(make_repo(tmp_path / "l", {"proj/.ssh_tunnel/aws_emr.json": '{"master_host": "10.1.2.3"}'}))
    assert [f.path for f in run(loud, "MAGE-SEC-011")] == ["proj/.ssh_tunnel"]


def test_mage_data_folder_is_one_finding_naming_its_db_and_key(tmp_path):
    root = make_repo(tmp_path, {"mage_data/secrets/key": "canary-fernet-key=", "mage_data/proj/.logs/x.log": "log"})
    make_db(root / "mage_data/proj/mage-ai.db", users=2, tokens=1, secrets=3)
    result = scan(root)
    findings = run(result, "MAGE-SEC-010") + run(result, "MAGE-SEC-009")
    assert [(f.rule_id, f.path, f.severity) for f in findings] == [("MAGE-SEC-010", "mage_data", "critical")]
    message = findings[0].message
    assert "proj/mage-ai.db" in message and "2 users" in message and "3 stored secrets" in message and "secrets key" in message
    assert "secrets/key" in findings[0].evidence
    # The key keeps its row for the stored-secrets rule, marked as inside the folder.
    key_row = result.exposed_files.set_index("path").loc["mage_data/secrets/key"]
    assert key_row["kind"] == "secrets_key" and key_row["folder"] == "mage_data"
    everything = result.exposed_files.to_csv() + message + findings[0].evidence
    assert "canary" not in everything


def test_severity_follows_what_the_committed_db_holds(tmp_path):
    def severity(name, **rows):
        root = make_repo(tmp_path / name, {})
        make_db(root / "mage_data/proj/mage-ai.db", **rows)
        return [f.severity for f in run(scan(root), "MAGE-SEC-010")]
    assert severity("empty") == ["low"]
    assert severity("runs", runs=5) == ["medium"]
    assert severity("users", users=1) == ["high"]
    root = make_repo(tmp_path / "broken", {"mage_data/proj/mage-ai.db": "version https://git-lfs.github.com/spec/v1\n"})
    assert [f.severity for f in run(scan(root), "MAGE-SEC-010")] == ["high"]     # unreadable: assume the worst


def test_a_db_outside_a_data_folder_is_reported_by_itself(tmp_path):
    root = make_repo(tmp_path, {})
    make_db(root / "proj/mage-ai.db", tokens=2)
    found = run(scan(root), "MAGE-SEC-010")
    assert [(f.path, f.severity) for f in found] == [("proj/mage-ai.db", "high")]
    assert "2 access tokens" in found[0].message


def test_the_committed_db_is_read_without_changing_it(tmp_path):
    path = make_db(tmp_path / "mage-ai.db", users=1)
    before = (path.read_bytes(), path.stat().st_mtime_ns, sorted(p.name for p in tmp_path.iterdir()))
    assert db_contents(path) == {"users": 1, "access_tokens": 0, "api_trigger_tokens": 0, "secrets": 0, "pipeline_runs": 0}
    assert (path.read_bytes(), path.stat().st_mtime_ns, sorted(p.name for p in tmp_path.iterdir())) == before
    assert db_contents(tmp_path / "missing.db") is None


def test_stored_secrets_rule_still_sees_a_key_inside_the_data_folder(tmp_path):
    from auditkit.readers.security.accounts import STORED_SECRET_COLUMNS
    import pandas as pd

    root = make_repo(tmp_path, {"mage_data/secrets/key": "k"})
    result = scan(root)
    result.stored_secrets = pd.DataFrame([{"n_secrets": 2, "n_legacy": 0, "n_scopes": 1}], columns=STORED_SECRET_COLUMNS)
    assert [f.path for f in run(result, "MAGE-SEC-029", history=object())] == ["mage_data/secrets/key"]
    assert make_scan().exposed_files.empty


def test_only_api_trigger_tokens_count_as_credentials(tmp_path):
    path = make_db(tmp_path / "mage-ai.db")
    with sqlite3.connect(path) as db:
        db.executemany("insert into pipeline_schedule values (?, ?, ?)",
                       [(1, "canary-time-token", "time"), (2, "canary-api-token", "api")])
    assert db_contents(path)["api_trigger_tokens"] == 1
    with sqlite3.connect(path) as db:
        db.execute("delete from pipeline_schedule where schedule_type = 'api'")
    assert db_contents(path)["api_trigger_tokens"] == 0
