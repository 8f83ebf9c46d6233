"""Parity on a real Mage server (issue 18): the history read through the REST API
(``--mage-url``, credentials only in the environment) gives the same summary.json history
figures as the same server's database (``--mage-data``).

Needs a venv with mage-ai (``AUDITKIT_MAGE_VENV``, default /work/magevenv; .ci/run makes one):
without it the tests skip, which fails under AUDITKIT_STRICT=1 (marker ``mage_live``).
The server runs once for the module (tests/mage_live.py): two API-triggered runs, a run whose
block fails after two retries, and a three-day backfill.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mage_live import FIXTURE_REPO, OSS_API_KEY, PROJECT, LiveMage, MageUnavailable, mage_venv

pytestmark = pytest.mark.mage_live
AUDITKIT = Path(sys.executable).parent / "auditkit"
CREDENTIAL_VARS = ("MAGE_API_KEY", "MAGE_API_TOKEN", "MAGE_EMAIL", "MAGE_PASSWORD")
ACCESS_LINE = re.compile(r"tornado\.access:\d{3} (?P<method>[A-Z]+) (?P<path>\S+) ")


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    try:
        venv = mage_venv()
    except MageUnavailable as exc:
        pytest.skip(str(exc))
    canary = f"canary-{time.time_ns()}"
    started = time.monotonic()
    server = LiveMage.start(tmp_path_factory.mktemp("mage_live"), venv=venv)
    up = time.monotonic() - started
    try:
        server.make_runs(canary=canary)
        print(f"\nmage_live: server up in {up:.1f} s, runs final after "
              f"{time.monotonic() - started - up:.1f} s", file=sys.stderr)
        yield server, canary
    finally:
        server.stop()


def run_report(args: list[str], out: Path, credentials: dict[str, str]) -> dict:
    """``auditkit report`` in a subprocess whose environment holds only ``credentials``."""
    env = {k: v for k, v in os.environ.items() if k not in CREDENTIAL_VARS}
    env.update(credentials)
    started = time.monotonic()
    done = subprocess.run([str(AUDITKIT), "report", str(FIXTURE_REPO), *args, "--out", str(out),
                           "--jobs", "1"], env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    for value in credentials.values():
        assert value not in done.stdout + done.stderr
    summary = json.loads((out / "summary.json").read_text())
    print(f"\nmage_live: report {args[0]} took {time.monotonic() - started:.1f} s, "
          f"{summary['inventory']['input_problems']} input problem(s)", file=sys.stderr)
    return summary


def requests_logged(server: LiveMage, since: int) -> list[tuple[str, str]]:
    text = server.log_path.read_text(errors="replace")[since:]
    return [(m["method"], m["path"]) for m in ACCESS_LINE.finditer(text)]


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    return tmp_path_factory.mktemp("reports")


@pytest.fixture(scope="module")
def db_summary(live, reports):
    server, _ = live
    return run_report(["--mage-data", str(server.data_dir)], reports / "db", {})


@pytest.fixture(scope="module")
def api_summary(live, reports):
    """summary.json through the API, and the requests the server logged meanwhile."""
    server, _ = live
    log_start = server.log_path.stat().st_size
    summary = run_report(["--mage-url", server.url], reports / "api",
                         {"MAGE_API_KEY": OSS_API_KEY, "MAGE_EMAIL": "admin@admin.com",
                          "MAGE_PASSWORD": "admin"})
    requests = requests_logged(server, log_start)
    print(f"mage_live: the API report sent {len(requests)} requests", file=sys.stderr)
    return summary, requests


def test_live_history_from_the_database_is_not_empty(db_summary):
    history = db_summary["history"]
    runs = history["pipeline_runs"]
    assert runs["api_ping"] == {"COMPLETED": 2}
    assert runs["flaky_retry"] == {"FAILED": 1}
    assert runs["daily_sum"] == {"COMPLETED": 3}
    assert history["block_runs"]["flaky_retry"] == {"COMPLETED": 1, "FAILED": 1}
    assert history["retry_attempts"] == {"flaky_retry/always_fails": 2}
    (backfill,) = history["backfills"]
    assert (backfill["name"], backfill["pipeline_uuid"], backfill["runs"]) == ("three_days", "daily_sum", 3)
    assert backfill["status"] == "COMPLETED" and backfill["failed_runs"] == 0


def test_api_history_equals_database_history(db_summary, api_summary):
    from_db, from_api = db_summary, api_summary[0]
    assert from_api["history"] == from_db["history"]
    assert from_api["key_figures"] == from_db["key_figures"]


def test_api_audit_sent_only_gets_and_sign_ins(api_summary):
    """Read-only on a real server: besides GETs only the sign-in POST (once per process that
    opens the history: the audit, and notebooks if they reopen it)."""
    requests = api_summary[1]
    assert any(method == "GET" and path.startswith("/api/pipeline_runs") for method, path in requests)
    writes = {(m, p) for m, p in requests if m != "GET"}
    assert writes == {("POST", "/api/sessions")}


def test_user_token_credentials_read_without_any_post(live, tmp_path):
    """MAGE_API_TOKEN instead of email and password: no sign-in, so nothing but GETs."""
    server, _ = live
    env = {k: v for k, v in os.environ.items() if k not in CREDENTIAL_VARS}
    env.update(MAGE_API_KEY=OSS_API_KEY, MAGE_API_TOKEN=server.user_token)
    log_start = server.log_path.stat().st_size
    done = subprocess.run([str(AUDITKIT), "check", str(FIXTURE_REPO), "--mage-url", server.url,
                           "--format", "json", "--out", str(tmp_path)], env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode in (0, 1), done.stderr[-3000:]          # 2 would be an input error
    assert server.user_token not in done.stdout + done.stderr
    requests = requests_logged(server, log_start)
    assert any(path.startswith("/api/pipeline_runs") for _, path in requests)
    assert {method for method, _ in requests} == {"GET"}


def test_no_token_or_run_variable_reaches_the_reports(live, reports, db_summary, api_summary):
    server, canary = live
    secrets = [canary, server.jwt, server.user_token, *server.made["trigger_tokens"]]
    for path in reports.rglob("*"):
        if path.is_file():
            text = path.read_bytes().decode("utf-8", errors="replace")
            for secret in secrets:
                assert secret not in text, path


def test_recorder_leaves_no_live_secret(live, tmp_path):
    """The recorder (tests/mage_live_record.py) against this server: none of its live tokens,
    the JWT, the API key or the canary variable is written."""
    from mage_live_record import record

    server, canary = live
    manifest = record(server, tmp_path, canary=canary)
    assert len(manifest["responses"]) > 40
    secrets = [canary, OSS_API_KEY, server.jwt, server.user_token, *server.made["trigger_tokens"],
               str(server.root)]
    for path in tmp_path.iterdir():
        text = path.read_text()
        for secret in secrets:
            assert secret not in text, path
    assert (server.data_dir / PROJECT / "mage-ai.db").exists()
