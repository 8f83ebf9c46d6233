"""Run history read through Mage's REST API (a fake Mage server on loopback, real HTTP) must equal
the same history read from the DB; the reader only reads; failures are input problems; secrets
in run records never reach an output."""
from __future__ import annotations

import json
import re
import shutil
import sqlite3
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
import pytest
from history_support import DEMO_PROJECT, empty_history_db, insert
from mage_api_fake import OSS_KEY, FakeMage

from auditkit.analytics import backfills, concurrency, retries, runs
from auditkit.analytics.summary import history_summary
from auditkit.demo.history import generate_history
from auditkit.readers.history import open_history
from auditkit.readers.history.api import Credentials, connect_api
from auditkit.readers.history.api.client import inner_token
from auditkit.readers.history.api.mirror import log_relative_path
from auditkit.readers.history.core import History

SIGN_IN = Credentials(email="admin@admin.com", password="admin")
ALL_LOGS = 5000        # log requests enough to read every block log of the test history


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("api_history")
    return generate_history(root / "data", DEMO_PROJECT, days=40, scale=0.3, max_log_files=300)


@pytest.fixture()
def fake(demo_db):
    server = FakeMage(demo_db, demo_db.parent / "pipelines").start()
    yield server
    server.stop()


def api_history(fake, **kwargs) -> History:
    """The history read through ``fake``; no block logs unless ``log_requests`` says so."""
    options = {"credentials": SIGN_IN, "log_requests": 0, "retries": 2, "backoff_s": 0.01, "timeout_s": 5}
    options.update(kwargs)
    since, until = options.pop("since", None), options.pop("until", None)
    return History(connect_api(fake.url, since=since, until=until, **options), since=since, until=until)


def only_log_problems(history) -> bool:
    assert all(p.reason.startswith("block logs read for 0 of") for p in history.problems), history.problems
    return True


def test_summary_is_the_same_through_the_api(fake, demo_db):
    through_api = api_history(fake, page_size=150, log_requests=ALL_LOGS)
    direct = open_history(str(demo_db))
    summary = history_summary(through_api)
    assert summary == history_summary(direct)
    assert summary["retry_attempts"] and summary["backfills"] and summary["block_runs"]
    assert through_api.problems == [] and through_api.label == fake.url
    volume = through_api.volume()
    assert volume["db_bytes"] is None and direct.volume()["db_bytes"] > 0     # the mirror is not Mage's DB
    pd.testing.assert_frame_equal(volume["tables"], direct.volume()["tables"])
    for name, analytic in {"duration_stats": runs.duration_stats, "sla_misses": runs.sla_misses,
                           "block_outcomes": retries.block_outcomes, "gaps": backfills.backfill_gaps,
                           "timeline": concurrency.concurrency_timeline,
                           "schedules": lambda h: h.schedules().drop(columns=["settings"])}.items():
        pd.testing.assert_frame_equal(analytic(through_api), analytic(direct), check_dtype=False, obj=name)
    pd.testing.assert_frame_equal(through_api.runs, direct.runs)
    through_api.close()


def test_only_get_requests_and_one_sign_in(fake):
    api_history(fake).close()
    methods = fake.methods()
    assert methods.count("GET") >= 8
    assert [(m, p) for m, p, _ in fake.requests if m != "GET"] == [("POST", "/api/sessions")]
    fake.requests.clear()
    api_history(fake, credentials=Credentials(token=fake.inner_token)).close()
    assert set(fake.methods()) == {"GET"}


def test_paging_walks_time_windows_not_deep_offsets(fake, demo_db):
    with sqlite3.connect(demo_db) as db:
        n_runs = db.execute("SELECT COUNT(*) FROM pipeline_run").fetchone()[0]
        busiest_second = db.execute("SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM pipeline_run "
                                    "GROUP BY substr(created_at, 1, 19))").fetchone()[0]
    history = api_history(fake, page_size=50)
    run_pages = [q for m, p, q in fake.requests if p == "/api/pipeline_runs"]
    assert history._conn.api_read.runs == n_runs and len(run_pages) >= n_runs // 50
    assert all(q["order_by[]"] == "created_at asc,id asc" and int(q["_limit"]) == 50 for q in run_pages)
    assert max(int(q.get("_offset", 0)) for q in run_pages) < busiest_second
    history.close()


def test_many_runs_in_one_second_are_read_once(tmp_path):
    db = tmp_path / "mage-ai.db"
    conn = empty_history_db(db)
    insert(conn, "pipeline_schedule", id=1, name="t", pipeline_uuid="p", schedule_type="TIME", status="ACTIVE")
    for i in range(1, 38):
        created = "2026-10-01 00:00:00" if i < 30 else f"2026-10-01 00:00:{i:02d}"
        insert(conn, "pipeline_run", id=i, pipeline_uuid="p", pipeline_schedule_id=1, status="COMPLETED",
               created_at=created, execution_date=created, started_at=created, completed_at=created)
    conn.close()
    server = FakeMage(db).start()
    try:
        history = api_history(server, page_size=4)
        assert history._conn.api_read.runs == 37 and history._conn.api_read.walk.fell_back is None
        assert history.pipeline_run_counts()["runs"].sum() == 37
        history.close()
    finally:
        server.stop()


def test_server_in_another_time_zone_falls_back_and_stays_exact(demo_db):
    server = FakeMage(demo_db, utc_offset_hours=3).start()
    try:
        history = api_history(server, page_size=100, since="2026-10-01", until="2026-10-11")
        direct = open_history(str(demo_db), since="2026-10-01", until="2026-10-11")
        assert history_summary(history)["pipeline_runs"] == history_summary(direct)["pipeline_runs"]
        assert any("_offset paging" in p.reason for p in history.problems)
        history.close()
    finally:
        server.stop()


def test_since_and_until_are_pushed_into_the_requests(fake, demo_db):
    since, until = datetime(2026, 10, 5), datetime(2026, 10, 12)
    history = api_history(fake, since="2026-10-05", until="2026-10-12", page_size=100, log_requests=ALL_LOGS)
    run_pages = [q for _, p, q in fake.requests if p == "/api/pipeline_runs" and "backfill_id" not in q]
    lowest = (since - timedelta(hours=14)).replace(tzinfo=timezone.utc).timestamp()
    highest = (until + timedelta(hours=14)).replace(tzinfo=timezone.utc).timestamp()
    assert run_pages and all(int(q["start_timestamp"]) >= lowest and int(q["end_timestamp"]) == highest
                             for q in run_pages)
    with sqlite3.connect(demo_db) as db:
        total = db.execute("SELECT COUNT(*) FROM pipeline_run").fetchone()[0]
    backfill_walks = {q["backfill_id"] for _, p, q in fake.requests if p == "/api/pipeline_runs" and "backfill_id" in q}
    assert backfill_walks and history._conn.api_read.runs < total / 2   # the server filtered, not the client
    direct = open_history(str(demo_db), since="2026-10-05", until="2026-10-12")
    assert history_summary(history) == history_summary(direct)
    history.close()


def test_relative_since_is_pushed_too(fake, demo_db):
    history = api_history(fake, since="7d")
    direct = open_history(str(demo_db), since="7d")
    assert history.window == direct.window
    assert history.pipeline_run_counts().equals(direct.pipeline_run_counts())
    assert any("start_timestamp" in q for _, p, q in fake.requests if p == "/api/pipeline_runs")
    history.close()


def test_server_errors_are_retried_with_backoff(fake):
    fake.failures.extend([503, 502])
    history = api_history(fake, credentials=Credentials(token=fake.inner_token))
    assert history.available and only_log_problems(history)
    assert [p for _, p, _ in fake.requests[:3]] == ["/api/pipeline_schedules"] * 3
    assert sum(p == "/api/pipeline_schedules" for _, p, _ in fake.requests) == 3
    history.close()


def test_persistent_server_errors_are_an_input_problem(fake):
    fake.failures.extend([500] * 50)
    history = api_history(fake, credentials=Credentials(token=fake.inner_token))
    assert not history.available
    assert [p.path for p in history.problems] == [fake.url]
    assert "HTTP 500 (server error, after retries)" in history.problems[0].reason
    assert sum(p == "/api/pipeline_schedules" for _, p, _ in fake.requests) == 3     # 1 + 2 retries
    assert history_summary(history)["pipeline_runs"] == {}


def test_slow_answers_time_out_and_are_retried(fake):
    fake.delays.extend([6.0])
    started = time.monotonic()
    history = api_history(fake, timeout_s=2.0, credentials=Credentials(token=fake.inner_token))
    assert history.available and only_log_problems(history) and time.monotonic() - started < 30
    fake.delays.extend([3.0] * 10)
    stuck = api_history(fake, timeout_s=1.0, retries=1, credentials=Credentials(token=fake.inner_token))
    assert not stuck.available and "no answer within" in stuck.problems[0].reason
    history.close()


def test_error_bodies_are_input_problems(fake):
    anonymous = api_history(fake, credentials=Credentials())
    assert not anonymous.available
    assert "403" in anonymous.problems[0].reason and "MAGE_API_TOKEN" in anonymous.problems[0].reason
    wrong = api_history(fake, credentials=Credentials(email="admin@admin.com", password="not-it"))
    assert not wrong.available and "password invalid" in wrong.problems[0].reason
    assert "not-it" not in json.dumps([p.__dict__ for p in wrong.problems])
    fake.error_paths["/api/backfills"] = {"error": {"code": 500, "message": "boom"}}
    partial = api_history(fake)
    assert partial.available and partial.pipeline_run_counts()["runs"].sum() > 0
    assert any("backfills not read" in p.reason and "boom" in p.reason for p in partial.problems)
    partial.close()


def test_unreachable_server_is_an_input_problem():
    history = open_history(mage_url="http://user:pw-in-url@127.0.0.1:9/mage")
    assert not history.available and history.label == "http://127.0.0.1:9/mage"
    assert "cannot connect" in history.problems[0].reason
    assert "pw-in-url" not in repr(history.problems)


def test_capped_logs_are_named_as_incomplete(fake):
    history = api_history(fake, log_requests=2)
    reasons = [p.reason for p in history.problems]
    assert sum(1 for _, p, _ in fake.requests if p.endswith("/logs")) == 2
    assert any(re.match(r"block logs read for (\d+) of \d+ block runs", r) and "at most 20 log files per request" in r
               and int(re.match(r"block logs read for (\d+)", r).group(1)) <= 40 for r in reasons), reasons
    history.close()


def test_block_runs_without_embedding_come_per_run(demo_db):
    server = FakeMage(demo_db, embed_block_runs=False).start()
    try:
        history = api_history(server, since="2026-10-20", until="2026-10-22")
        direct = open_history(str(demo_db), since="2026-10-20", until="2026-10-22")
        counts = lambda h: h.block_run_stats().groupby("status")["block_runs"].sum()
        pd.testing.assert_series_equal(counts(history), counts(direct))
        assert any("no metrics" in p.reason for p in history.problems)
        history.close()
    finally:
        server.stop()


def test_secrets_in_run_records_never_reach_the_mirror(tmp_path, demo_db):
    db = tmp_path / "planted.db"
    shutil.copy(demo_db, db)
    canary = "canary-api-7c1e9b2f"
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE pipeline_run SET variables = ?, event_variables = ? WHERE id % 7 = 0",
                     (json.dumps({"password": canary, "execution_partition": "1/x"}), json.dumps({"key": canary})))
        conn.execute("UPDATE pipeline_schedule SET token = ?, variables = ?",
                     (canary + "-token", json.dumps({"api_secret": canary})))
        conn.execute("UPDATE backfill SET variables = ?", (json.dumps({"secret": canary}),))
    server = FakeMage(db, demo_db.parent / "pipelines").start()
    try:
        history = api_history(server, log_requests=3)
        folder = history._conn.log_root.parent
        assert folder.is_dir() and not str(folder).startswith(str(demo_db.parent))
        stored = b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())
        assert canary.encode() not in stored and b"execution_partition" in stored
        outputs = json.dumps([history_summary(history), [p.__dict__ for p in history.problems], repr(history)],
                             default=str)
        assert canary not in outputs
        assert history.schedules()["has_token"].all()
        history.close()
        assert not folder.exists()
    finally:
        server.stop()


def test_log_paths_from_the_server_stay_inside_the_log_root():
    assert str(log_relative_path("/srv/mage_data/p/pipelines/etl/.logs/1/20261101T000000/load.log")) == \
        "etl/.logs/1/20261101T000000/load.log"
    for bad in ("/x/pipelines/etl/.logs/../../../etc/passwd.log", "/x/pipelines/etl/.logs/a/b.txt",
                "/etc/passwd", None):
        assert log_relative_path(bad) is None


def test_jwt_payload_token_is_the_bearer_token():
    import base64
    payload = base64.urlsafe_b64encode(json.dumps({"token": "inner", "expires": 1}).encode()).decode().rstrip("=")
    assert inner_token(f"eyJh.{payload}.sig") == "inner"
    assert inner_token("not-a-jwt") == "not-a-jwt"


def test_credentials_come_from_the_environment_only(monkeypatch):
    for name in ("MAGE_API_KEY", "MAGE_API_TOKEN", "MAGE_EMAIL", "MAGE_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    assert Credentials.from_env().api_key == OSS_KEY
    monkeypatch.setenv("MAGE_API_TOKEN", "t-123")
    creds = Credentials.from_env()
    assert creds.token == "t-123" and "t-123" not in creds.describe() and "t-123" not in repr(creds)


def test_audit_and_cli_read_the_api(fake, demo_db, tmp_path, monkeypatch):
    from history_support import write_tiny_project

    from auditkit.audit import Audit, run_audit
    from auditkit.cli import main
    repo = write_tiny_project(tmp_path)
    monkeypatch.setenv("MAGE_EMAIL", "admin@admin.com")
    monkeypatch.setenv("MAGE_PASSWORD", "admin")
    monkeypatch.setenv("AUDITKIT_API_LOG_REQUESTS", str(ALL_LOGS))
    through_api = run_audit(repo, mage_url=fake.url + "/")
    direct = run_audit(repo, history=str(demo_db))
    assert through_api.summary["history"] == direct.summary["history"]
    assert through_api.history_spec["mage_url"] == fake.url
    assert through_api.history.label == fake.url
    # A reloaded audit (the report's notebooks) reopens the mirror while the audit's process keeps it.
    through_api.save(tmp_path / "saved")
    sent = len(fake.requests)
    reloaded = Audit.load(tmp_path / "saved").history
    assert reloaded.available and reloaded.label == fake.url and len(fake.requests) == sent
    assert history_summary(reloaded) == direct.summary["history"]
    through_api.history.close()                       # the mirror is gone: the next reload reads the server
    again = Audit.load(tmp_path / "saved").history
    assert again.available and len(fake.requests) > sent and again.api_mirror != through_api.history.api_mirror
    again.close()
    monkeypatch.setenv("AUDITKIT_API_LOG_REQUESTS", "0")
    fake.requests.clear()
    assert main(["check", str(repo), "--mage-url", fake.url, "--out", str(tmp_path / "out")]) in (0, 1)
    problems = json.loads((tmp_path / "out" / "findings.json").read_text()).get("input_problems", [])
    assert any(p.get("path") == fake.url and "block logs read for 0" in p.get("reason", "") for p in problems), problems
    assert fake.requests and {m for m, _, _ in fake.requests} == {"GET", "POST"}
