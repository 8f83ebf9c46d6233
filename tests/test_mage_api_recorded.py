"""The recorded Mage REST responses (tests/fixtures/mage_api_recorded, made by
tests/mage_live_record.py on a real mage-ai 0.9.80): complete, sanitised, and showing the
behaviours a history reader must handle."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from mage_live import OSS_API_KEY, inner_token
from mage_live_record import FAKE_JWT, SECRET_KEY, Sanitiser

RECORDED = Path(__file__).parent / "fixtures" / "mage_api_recorded"
MANIFEST = json.loads((RECORDED / "manifest.json").read_text())
PLACEHOLDERS = set(MANIFEST["placeholders"].values())


def body(name: str) -> dict:
    (entry,) = [e for e in MANIFEST["responses"] if e["file"].split("_", 1)[1] == f"{name}.json"]
    return json.loads((RECORDED / entry["file"]).read_text())


def entry(name: str) -> dict:
    (found,) = [e for e in MANIFEST["responses"] if e["file"].split("_", 1)[1] == f"{name}.json"]
    return found


def walk(value, key=""):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from walk(v, str(k))
    elif isinstance(value, list):
        for v in value:
            yield from walk(v, key)
    else:
        yield key, value


def test_manifest_names_every_file_once_and_each_is_json():
    files = [e["file"] for e in MANIFEST["responses"]]
    assert len(files) == len(set(files))
    assert sorted(files) == sorted(p.name for p in RECORDED.glob("*.json") if p.name != "manifest.json")
    for e in MANIFEST["responses"]:
        assert e["method"] in ("GET", "POST")
        assert e["request"].startswith(e["path"])
        json.loads((RECORDED / e["file"]).read_text())
    assert MANIFEST["mage_version"] == "0.9.80"


@pytest.mark.parametrize("file", sorted(p.name for p in RECORDED.glob("*.json")))
def test_recorded_file_holds_no_secret(file):
    text = (RECORDED / file).read_text()
    assert OSS_API_KEY not in text
    assert "/tmp/" not in text                         # the server's temp folder is replaced
    for jwt in re.findall(r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+", text):
        assert jwt == FAKE_JWT
    for key, value in walk(json.loads(text)):
        if isinstance(value, str) and value and SECRET_KEY.search(key):
            assert value in PLACEHOLDERS, (file, key)


def test_fake_jwt_decodes_to_the_placeholder_user_token():
    assert body("sessions_sign_in")["session"]["token"] == FAKE_JWT
    assert inner_token(FAKE_JWT) == MANIFEST["placeholders"]["user_token"]


def test_sanitiser_replaces_live_values_everywhere():
    class Server:
        made = {"trigger_tokens": ["a" * 32]}
        jwt = "eyJhbGciOi.eyJ0b2tlbiI6.c2lnbmF0dXJl"
        user_token = "U" * 43
        root = Path("/tmp/live-root")
    clean = Sanitiser(Server(), "canary-1")
    dirty = {"pipeline_schedule_token": "a" * 32, "session": {"token": Server.jwt},
             "content": f"log at /tmp/live-root/x with {'a' * 32} and canary-1 and {'U' * 43}",
             "variables": {"db_password": "hunter2", "note": "plain"}, "api_key": OSS_API_KEY}
    out = json.dumps(clean(dirty))
    for live in ("a" * 32, Server.jwt, "U" * 43, "canary-1", "hunter2", OSS_API_KEY, "/tmp/live-root"):
        assert live not in out
    assert '"note": "plain"' in out


def test_pages_ordered_by_id_cover_every_run_once():
    pages = sorted((e for e in MANIFEST["responses"] if "_by_id_offset" in e["file"]),
                   key=lambda e: int(e["query"]["_offset"]))
    ids = [r["id"] for e in pages for r in json.loads((RECORDED / e["file"]).read_text())["pipeline_runs"]]
    assert ids == sorted(ids) and len(ids) == len(set(ids))
    count = body("pipeline_runs_by_id_offset0")["metadata"]["count"]
    assert len(ids) == count >= 6
    nexts = [json.loads((RECORDED / e["file"]).read_text())["metadata"]["next"] for e in pages]
    assert nexts[0] is True and nexts[-1] is False


def test_history_recorded_has_a_failure_a_backfill_and_retries_in_the_logs():
    runs = body("pipeline_runs_by_id_offset0")["pipeline_runs"] + body("pipeline_runs_failed")["pipeline_runs"]
    assert any(r["status"] == "failed" and r["pipeline_uuid"] == "flaky_retry" for r in runs)
    (backfill,) = body("backfills_daily_sum")["backfills"]
    assert backfill["total_run_count"] == 3 and backfill["run_status_counts"] == {"completed": 3}
    logs = [e for e in MANIFEST["responses"] if e["file"].split("_", 1)[1].startswith("pipeline_logs_block_run_")]
    content = json.loads((RECORDED / logs[0]["file"]).read_text())["logs"][0]["block_run_logs"][0]["content"]
    assert "attempt 1 of 3" in content and "attempt 2 of 3" in content


def test_refused_calls_are_errors_in_the_body_with_or_without_an_http_error_status():
    api_key_only = entry("error_api_key_only")
    assert api_key_only["http_status"] == 200 and api_key_only["error_in_body"]
    assert body("error_api_key_only")["error"]["code"] == 403
    assert entry("error_api_key_only_http_codes")["http_status"] == 403
    for name in ("error_bad_user_token", "error_jwt_as_bearer", "error_no_api_key", "error_wrong_api_key"):
        assert entry(name)["http_status"] == 401 and body(name)["error"]["code"] == 401
        assert body(name)["status"] == 200                   # the body's own status is misleading
    assert entry("sessions_wrong_password")["http_status"] == 200
    assert body("sessions_wrong_password")["error"]["code"] == 404
    assert "pipeline_runs" in body("ok_oauth_token_header")


def test_block_run_logs_endpoint_is_garbled_in_0_9_80():
    """GET /api/block_runs/<id>/logs returns the presenter's field names, not logs: a reader
    must ask /api/pipelines/<uuid>/logs?block_run_id[]=<id> instead."""
    name = next(e["file"] for e in MANIFEST["responses"] if re.search(r"_block_run_\d+_logs\.json$", e["file"]))
    logs = json.loads((RECORDED / name).read_text())["logs"]
    assert [item["block_run_logs"] for item in logs] == ["name", "path", "size", "modified_timestamp", "content"]
