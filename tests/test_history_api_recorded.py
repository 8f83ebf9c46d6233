"""The API reader on responses recorded from a real Mage 0.9.80 server (tests/fixtures/mage_api_recorded,
recorded and sanitised by the live harness): served back on loopback by path, read into the mirror,
and checked against the recorded records themselves."""
from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from auditkit.readers.history.api import ApiError, Credentials, MageClient, connect_api
from auditkit.readers.history.core import History

RECORDED = Path(__file__).parent / "fixtures" / "mage_api_recorded"
BY_PATH = {"/api/pipeline_schedules": "03_pipeline_schedules.json", "/api/backfills": "39_backfills.json",
           "/api/pipeline_runs": "06_pipeline_runs_default.json", "/api/sessions": "51_sessions_sign_in.json",
           "/api/pipelines/api_ping/logs": "36_pipeline_logs_api_ping.json",
           "/api/pipelines/daily_sum/logs": "37_pipeline_logs_daily_sum.json",
           "/api/pipelines/flaky_retry/logs": "38_pipeline_logs_flaky_retry.json"}
PLACEHOLDERS = ("REDACTED-SECRET", "REDACTED-TRIGGER-TOKEN")


def recorded(name: str) -> dict:
    return json.loads((RECORDED / name).read_text())


@pytest.fixture()
def replay():
    """A loopback server answering each path with its recorded body (one page each); the
    recorded answers for errors are served at /error/<file>."""
    seen: list[tuple[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _answer(self, method: str) -> None:
            path = urlsplit(self.path).path
            seen.append((method, path))
            name = BY_PATH.get(path) or (path.rsplit("/", 1)[-1] if path.startswith("/error/") else None)
            data = (RECORDED / name).read_bytes() if name and (RECORDED / name).is_file() else b'{"error": {"code": 404}}'
            status = 401 if name and name.startswith(("45_", "46_", "47_", "48_")) else 200
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            self._answer("GET")

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            self._answer("POST")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


def test_recorded_responses_fill_the_mirror(replay):
    url, seen = replay
    conn = connect_api(url, credentials=Credentials(email="admin@admin.com", password="admin"), retries=0)
    history = History(conn)
    try:
        runs = recorded(BY_PATH["/api/pipeline_runs"])["pipeline_runs"]
        counts = history.pipeline_run_counts()
        expected = {}
        for run in runs:
            key = (run["pipeline_uuid"], run["status"].upper())
            expected[key] = expected.get(key, 0) + 1
        assert {(r.pipeline_uuid, r.status): r.runs for r in counts.itertuples()} == expected
        blocks = history.block_run_stats()
        assert blocks["block_runs"].sum() == sum(len(r["block_runs"]) for r in runs)
        failed = blocks[blocks["status"] == "FAILED"]
        assert len(failed) == 1 and failed["with_error"].iloc[0] == 1           # metrics.error kept
        schedules = history.schedules()
        assert len(schedules) == len(recorded(BY_PATH["/api/pipeline_schedules"])["pipeline_schedules"])
        api = schedules[schedules["schedule_type"] == "API"]
        assert len(api) and api["has_token"].all() and set(api["status"]) == {"ACTIVE"}
        assert history.runs["backfill_id"].notna().sum() == sum(r["backfill_id"] is not None for r in runs)
        # Automatic retries live in the logs only: the failing block logged attempts 1, 2 of 3 and a final 3 of 3.
        retries = history.logs.retries_by_block()
        flaky = retries[retries["pipeline_uuid"] == "flaky_retry"]
        assert flaky["retries"].sum() == 2 and flaky["final_failures"].sum() == 1
        stored = b"".join(p.read_bytes() for p in conn.log_root.parent.rglob("*") if p.is_file())
        assert not any(p.encode() in stored for p in PLACEHOLDERS[:1])
        assert b"REDACTED-TRIGGER-TOKEN" not in Path(conn.log_root.parent / "mage-ai.db").read_bytes()
        assert [m for m, _ in seen].count("POST") == 1 and {m for m, _ in seen} == {"GET", "POST"}
    finally:
        history.close()


def test_recorded_sign_in_gives_the_inner_token(replay):
    url, _ = replay
    client = MageClient(url, Credentials(email="admin@admin.com", password="admin"))
    client.sign_in()
    assert client.session.headers["Authorization"] == "Bearer REDACTED-USER-TOKEN"


@pytest.mark.parametrize("name", ["43_error_api_key_only.json", "45_error_bad_user_token.json",
                                  "46_error_jwt_as_bearer.json", "47_error_no_api_key.json",
                                  "48_error_wrong_api_key.json", "52_sessions_wrong_password.json"])
def test_recorded_error_bodies_raise_api_errors(replay, name):
    url, _ = replay
    client = MageClient(url, Credentials(token="t"), retries=0)
    error = recorded(name)["error"]
    with pytest.raises(ApiError) as raised:
        client.get(f"/error/{name}")
    message = str(raised.value)
    assert str(error["code"]) in message and re.escape(str(error.get("message") or "")[:30]).replace("\\", "") \
        in message.replace("\\", "")


def test_api_values_become_what_mage_stores():
    from auditkit.readers.history.api.mirror import REDACTED, _convert, redact, token_fingerprint
    assert _convert("pipeline_run", "status", "enum:pipelinerunstatus", "upstream_failed") == "UPSTREAM_FAILED"
    assert _convert("pipeline_run", "created_at", "ts_default", "2026-12-06 17:58:45") == "2026-12-06 17:58:45"
    # A Postgres-backed server answers with offsets: stored as naive UTC text.
    assert _convert("block_run", "started_at", "ts", "2026-12-06 18:58:46.5+01:00") == "2026-12-06 17:58:46.500000"
    assert _convert("block_run", "started_at", "ts", "2026-12-06T12:00:00-05:00") == "2026-12-06 17:00:00"
    assert _convert("pipeline_run", "passed_sla", "bool", False) == 0
    assert json.loads(_convert("block_run", "metrics", "json", {"error": {"error": "x"}})) == {"error": {"error": "x"}}
    assert json.loads(_convert("pipeline_run", "variables", "json", {"pw": "s3cret", "execution_partition": "1/x"})) \
        == {"pw": REDACTED, "execution_partition": REDACTED}
    assert redact(["s3cret"]) == REDACTED and redact(None) is None
    assert token_fingerprint("abc") != token_fingerprint("abd") and "abc" not in token_fingerprint("abc")
