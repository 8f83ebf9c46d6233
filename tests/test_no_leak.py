"""The no-leak guarantee: secrets planted in a repo and its DB never reach any output.

Fresh canaries are generated per run and planted in realistic forms (an AWS key pair, an
io_config password, a connection string in a block, a .env value, a PEM key file, a
triggers.yaml token, metadata and compose values; in the DB a password hash and salt, an
OAuth token, an API-trigger token and a secret value; in git history a password and an AWS key
pair committed and then deleted, which only the history scan sees). The full report and ``check`` in every
format run through the CLI in a subprocess; every file they write (the per-file result cache
included) and their console output are searched for each canary and its base64 and hex forms.
"""
from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import bcrypt
import pytest

from history_support import empty_history_db, insert
from test_security_secrets import make_repo

pytestmark = pytest.mark.slow
CLI = [sys.executable, "-c", "import sys; from auditkit.cli import main; sys.exit(main())"]


def canary() -> str:
    return f"canary-{uuid.uuid4().hex}"


def forms(value: str) -> set[str]:
    """The value and the encodings a careless writer might produce."""
    raw = value.encode()
    return {value, base64.b64encode(raw).decode().rstrip("="), raw.hex()}


def plant(tmp_path: Path) -> tuple[Path, Path, dict[str, str]]:
    c = {name: canary() for name in (
        "aws_secret", "io_config_password", "block_password", "env_value", "pem_body", "trigger_token",
        "openai_key", "owner_password", "db_salt", "db_oauth", "db_schedule_token", "db_secret", "cmdline_secret",
        "history_password", "history_env_value", "db_run_variable", "db_event_variable",
        "db_schedule_variable")}
    c["aws_key_id"] = "AKIA" + uuid.uuid4().hex[:16].upper()
    c["history_aws_key_id"] = "AKIA" + uuid.uuid4().hex[:16].upper()
    io_config = (Path(__file__).parent / "fixtures" / "security" / "io_config_template.yaml").read_text()
    io_config += f"prod:\n  POSTGRES_PASSWORD: {c['io_config_password']}\n"
    block = ("from mage_ai.data_preparation.decorators import data_loader\nimport pandas as pd\n\n"
             "@data_loader\ndef load(*args, **kwargs):\n"
             f"    aws_access_key_id = \"{c['aws_key_id']}\"\n"
             f"    aws_secret_access_key = \"{c['aws_secret']}\"\n"
             f"    url = \"postgresql://etl:{c['block_password']}@db.internal:5432/dw\"\n"
             "    return pd.read_sql('select 1', url)\n")
    triggers = ("triggers:\n- name: hook\n  schedule_type: api\n  schedule_interval: null\n  start_time: null\n"
                f"  status: active\n  token: {c['trigger_token']}\n")
    compose = ("services:\n  magic:\n    image: mageai/mageai:0.9.76\n    environment:\n"
               f"      DEFAULT_OWNER_PASSWORD: {c['owner_password']}\n      JWT_SECRET: {c['owner_password']}x\n"
               "    ports:\n      - \"6789:6789\"\n"
               f"  init:\n    image: minio/mc:RELEASE.2024-01-01\n    entrypoint: mc alias set s http://m:9000 u {c['cmdline_secret']}\n")
    repo = make_repo(tmp_path / "repo", {
        "proj/data_loaders/load_x.py": block,
        "proj/pipelines/p1/triggers.yaml": triggers,
        "proj/metadata.yaml": f"project_type: standalone\nopenai_api_key: {c['openai_key']}\n",
        ".env": f"ENV=prod\nSTRIPE_API_KEY={c['env_value']}\n",
        "deploy/id_rsa": f"-----BEGIN RSA PRIVATE KEY-----\n{c['pem_body']}\n-----END RSA PRIVATE KEY-----\n",
        "docker-compose.yml": compose,
    }, io_config=io_config)

    commit_deleted_secrets(repo, c)

    db = tmp_path / "db" / "mage-ai.db"
    db.parent.mkdir()
    conn = empty_history_db(db)
    password_hash = bcrypt.hashpw(b"admin", bcrypt.gensalt(4)).decode()
    c["db_password_hash"] = password_hash    # random salt: unique per run, so a canary too
    insert(conn, "user", id=1, email="admin@admin.com", username="admin", owner=1, roles=1,
           password_hash=password_hash, password_salt=c["db_salt"].encode())
    insert(conn, "oauth2_access_token", id=1, user_id=1, token=c["db_oauth"], refresh_token=c["db_oauth"] + "r")
    insert(conn, "pipeline_schedule", id=1, name="hook", pipeline_uuid="p1", schedule_type="API",
           status="ACTIVE", token=c["db_schedule_token"], repo_path=str(repo / "proj"),
           variables={"api_secret": c["db_schedule_variable"]})
    # Run records carry user data (variables, the API-trigger body) and, in Mage's run list, the token.
    insert(conn, "pipeline_run", id=1, pipeline_schedule_id=1, pipeline_uuid="p1", status="COMPLETED",
           created_at="2026-11-01 10:00:00", execution_date="2026-11-01 10:00:00",
           started_at="2026-11-01 10:00:01", completed_at="2026-11-01 10:00:09",
           variables={"password": c["db_run_variable"], "execution_partition": "1/20261101T100000_000000"},
           event_variables={"token": c["db_event_variable"]})
    insert(conn, "block_run", id=1, pipeline_run_id=1, block_uuid="load_x", status="COMPLETED",
           started_at="2026-11-01 10:00:01", completed_at="2026-11-01 10:00:09", metrics={})
    insert(conn, "secret", id=1, name="stripe", value=c["db_secret"], repo_name=str(repo), key_uuid="k")
    conn.close()
    committed = repo / "mage_data" / "proj" / "mage-ai.db"       # the same DB committed: its rows are counted
    committed.parent.mkdir(parents=True)
    committed.write_bytes(db.read_bytes())
    return repo, db, c


def commit_deleted_secrets(repo: Path, c: dict[str, str]) -> None:
    """Commit a block and a .env holding secrets, delete them, then commit the planted repo."""
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_NOSYSTEM": "1"}

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=env)

    old_block = repo / "proj" / "utils" / "old_client.py"
    old_block.parent.mkdir(parents=True, exist_ok=True)
    old_block.write_text(f'password = "{c["history_password"]}"\naws_access_key_id = "{c["history_aws_key_id"]}"\n')
    old_env = repo / "deploy.env"
    old_env.write_text(f"ENV=prod\nSTRIPE_API_KEY={c['history_env_value']}\n")
    git("init", "-q")
    git("add", "proj/utils/old_client.py", "deploy.env")
    git("commit", "-q", "-m", "client")
    old_block.unlink()
    old_env.unlink()
    git("add", "-A")
    git("commit", "-q", "-m", "planted repo, old client removed")


def run_cli(*args: str, cwd: Path, extra_env: dict | None = None) -> subprocess.CompletedProcess:
    # The per-file result cache is an output too: keep it where the test can search it.
    env = {**os.environ, "AUDITKIT_CACHE_DIR": str(cwd / "cache"), **(extra_env or {})}
    return subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=cwd, timeout=900, env=env)


def test_no_canary_reaches_any_output(tmp_path):
    from mage_api_fake import FakeMage

    repo, db, canaries = plant(tmp_path)
    report_out, check_out, api_out = tmp_path / "report", tmp_path / "check", tmp_path / "check_api"
    # The same DB served by a fake Mage API: the run list then carries the schedule token too.
    fake = FakeMage(db).start()
    api_temp = tmp_path / "api_temp"
    api_temp.mkdir()
    api_env = {"MAGE_EMAIL": "admin@admin.com", "MAGE_PASSWORD": "admin", "TMPDIR": str(api_temp)}
    try:
        runs = [
            run_cli("report", str(repo), "--out", str(report_out), "--history", str(db), "--jobs", "1", cwd=tmp_path),
            run_cli("check", str(repo), "--history", str(db), "--out", str(check_out),
                    *[a for f in ("table", "json", "csv", "sarif") for a in ("--format", f)], cwd=tmp_path),
            run_cli("check", str(repo), "--mage-url", fake.url, "--out", str(api_out),
                    *[a for f in ("table", "json", "csv", "sarif") for a in ("--format", f)], cwd=tmp_path,
                    extra_env=api_env),
        ]
    finally:
        fake.stop()
    assert {p for _, p, _ in fake.requests} >= {"/api/pipeline_runs", "/api/pipeline_schedules"}, runs[2].stderr
    assert list(api_temp.iterdir()) == []          # the temporary mirror is gone
    # The report ran and the scan saw the planted secrets, so "no leak" is not "nothing read".
    assert (report_out / "index.html").exists(), runs[0].stderr[-2000:]
    assert any(report_out.rglob("*70_security*.html")), sorted(p.name for p in report_out.rglob("*"))
    found = {f["rule_id"] for f in json.loads((check_out / "findings.json").read_text())["findings"]} \
        if (check_out / "findings.json").exists() else set()
    assert {"MAGE-SEC-001", "MAGE-SEC-002", "MAGE-SEC-003", "MAGE-SEC-004", "MAGE-SEC-005",
            "MAGE-SEC-007", "MAGE-SEC-010", "MAGE-SEC-018", "MAGE-SEC-019", "MAGE-SEC-025", "MAGE-SEC-040",
            "MAGE-SEC-042"} <= found, found
    history = [f for f in json.loads((check_out / "findings.json").read_text())["findings"]
               if f["rule_id"] == "MAGE-SEC-042"]
    assert {f["path"] for f in history} == {"proj/utils/old_client.py", "deploy.env"}, history

    outputs: dict[str, bytes] = {}
    assert any((tmp_path / "cache").glob("*.sqlite"))
    for folder in (report_out, check_out, api_out, tmp_path / "cache"):
        for path in folder.rglob("*"):
            if path.is_file():
                outputs[str(path.relative_to(tmp_path))] = path.read_bytes()
    for i, run in enumerate(runs):
        outputs[f"stdout[{i}]"] = run.stdout.encode()
        outputs[f"stderr[{i}]"] = run.stderr.encode()
    assert any(name.endswith(".ipynb") for name in outputs) and any(name.endswith(".sarif") for name in outputs)

    leaks = [(name, where) for name, value in canaries.items() for form in forms(value)
             for where, data in outputs.items() if form.encode() in data]
    assert leaks == []
