#!/usr/bin/env python3
"""Record the REST responses a history reader needs from a real Mage server, sanitised.

Usage (from the repo root, with a mage-ai venv: AUDITKIT_MAGE_VENV, default /work/magevenv):

    .venv/bin/python tests/mage_live_record.py [--out tests/fixtures/mage_api_recorded]

It starts the fixture project on loopback (tests/mage_live.py), makes the runs (two API-triggered
runs, a failing block retried twice, a three-day backfill), then sends the GET requests listed in
``requests_for`` (plus the sign-in POST and a few refused calls) and writes each response body to
``<out>/<nn>_<name>.json`` and ``<out>/manifest.json`` (request -> file, HTTP status, auth used).

Sanitising, before anything is written: every live secret (trigger tokens, the JWT, the user
token inside it, the API key, the canary password put into a run's variables) is replaced by a
fixed placeholder wherever it occurs; any value under a secret-looking key (token, password,
secret, api_key, ...) becomes a placeholder too; the server's temp folder becomes ``/srv/mage``.
The JWT is replaced by a made-up JWT whose payload holds the placeholder user token, so a
reader's unit test can decode it the way it decodes a real one.
"""
from __future__ import annotations

import argparse
import base64
import calendar
import json
import re
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from mage_live import OSS_API_KEY, LiveMage, mage_venv, mage_version  # noqa: E402

DEFAULT_OUT = HERE / "fixtures" / "mage_api_recorded"
TRIGGER_TOKEN = "REDACTED-TRIGGER-TOKEN"
USER_TOKEN = "REDACTED-USER-TOKEN"
API_KEY = "REDACTED-API-KEY"
SECRET = "REDACTED-SECRET"
SERVER_ROOT = "/srv/mage"
SECRET_KEY = re.compile(r"token|secret|password|passw|api_?key|jwt|authori[sz]ation|credential", re.I)
JWT_LIKE = re.compile(r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+")


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


FAKE_JWT = f"{_b64({'alg': 'HS256', 'typ': 'JWT'})}.{_b64({'expires': 1800000000.0, 'token': USER_TOKEN})}.REDACTED-SIGNATURE"


class Sanitiser:
    """Replaces live secrets (exact values) and values under secret-looking keys."""

    def __init__(self, server: LiveMage, canary: str) -> None:
        self.live: dict[str, str] = {token: TRIGGER_TOKEN for token in server.made.get("trigger_tokens", [])}
        self.live.update({server.jwt or "": FAKE_JWT, server.user_token or "": USER_TOKEN,
                          OSS_API_KEY: API_KEY, canary: SECRET})
        self.live.pop("", None)
        self.root = str(server.root)

    def text(self, value: str) -> str:
        if value in self.live:
            return self.live[value]
        for live, placeholder in self.live.items():
            value = value.replace(live, placeholder)
        value = JWT_LIKE.sub(lambda m: m.group(0) if m.group(0) == FAKE_JWT else FAKE_JWT, value)
        return value.replace(self.root, SERVER_ROOT)

    def __call__(self, value, key: str = ""):
        if isinstance(value, dict):
            return {k: self(v, str(k)) for k, v in value.items()}
        if isinstance(value, list):
            return [self(v, key) for v in value]
        if isinstance(value, str):
            if value and key and SECRET_KEY.search(key) and value not in self.live:
                return FAKE_JWT if JWT_LIKE.fullmatch(value) else SECRET
            return self.text(value)
        return value


def _q(path: str, **query) -> str:
    return f"{path}?{urllib.parse.urlencode(query)}" if query else path


def requests_for(server: LiveMage) -> list[tuple[str, str]]:
    """(name, path?query) of every GET recorded with the user token."""
    runs = server.made["runs"]
    ids = [r["id"] for r in runs]
    by_id = {"order_by[]": "id asc", "disable_retries_grouping": "true"}
    first = min(calendar.timegm(time.strptime(r["created_at"], "%Y-%m-%d %H:%M:%S")) for r in runs)
    wanted = [("status", "/api/status"),
              ("pipelines", _q("/api/pipelines", _limit=100)),
              ("pipeline_schedules", "/api/pipeline_schedules"),
              ("pipeline_schedules_page1", _q("/api/pipeline_schedules", _limit=2, _offset=0)),
              ("pipeline_schedules_page2", _q("/api/pipeline_schedules", _limit=2, _offset=2)),
              ("pipeline_runs_default", "/api/pipeline_runs")]
    for offset in range(0, len(ids) + 1, 2):
        wanted.append((f"pipeline_runs_by_id_offset{offset}",
                       _q("/api/pipeline_runs", _limit=2, _offset=offset, **by_id)))
    wanted += [
        ("pipeline_runs_window", _q("/api/pipeline_runs", _limit=100, start_timestamp=first - 60,
                                    end_timestamp=first + 3600, **by_id)),
        ("pipeline_runs_window_empty", _q("/api/pipeline_runs", _limit=100, start_timestamp=first - 7200,
                                          end_timestamp=first - 3600, **by_id)),
        ("pipeline_runs_flaky", _q("/api/pipeline_runs", pipeline_uuid="flaky_retry", **by_id)),
        ("pipeline_runs_failed", _q("/api/pipeline_runs", **{"status[]": "failed"}, **by_id)),
        ("pipeline_runs_backfill", _q("/api/pipeline_runs", backfill_id=server.made["backfill_id"], **by_id)),
    ]
    for run in runs:
        wanted.append((f"pipeline_run_{run['id']}", f"/api/pipeline_runs/{run['id']}"))
        wanted.append((f"pipeline_run_{run['id']}_block_runs", f"/api/pipeline_runs/{run['id']}/block_runs"))
        wanted.append((f"block_runs_of_run_{run['id']}", _q("/api/block_runs", pipeline_run_id=run["id"])))
    failed_blocks = [(r["pipeline_uuid"], b["id"]) for r in runs for b in r.get("block_runs", [])
                     if b.get("status") == "failed"]
    for pipeline_uuid, block_run_id in failed_blocks:
        wanted.append((f"block_run_{block_run_id}_logs", f"/api/block_runs/{block_run_id}/logs"))
        wanted.append((f"pipeline_logs_block_run_{block_run_id}",
                       _q(f"/api/pipelines/{pipeline_uuid}/logs", **{"block_run_id[]": block_run_id})))
    for pipeline_uuid in sorted({r["pipeline_uuid"] for r in runs}):
        wanted.append((f"pipeline_logs_{pipeline_uuid}", f"/api/pipelines/{pipeline_uuid}/logs"))
    backfill_id = server.made["backfill_id"]
    wanted += [("backfills", "/api/backfills"),
               ("backfills_daily_sum", _q("/api/backfills", pipeline_uuid="daily_sum", include_run_count="true")),
               (f"backfill_{backfill_id}", _q(f"/api/backfills/{backfill_id}", include_run_count="true")),
               ("monitor_stats_pipeline_run_count", "/api/monitor_stats/pipeline_run_count")]
    return wanted


def refused_requests(server: LiveMage) -> list[tuple[str, str, dict]]:
    """(name, path?query, every header sent) of calls Mage refuses."""
    path = _q("/api/pipeline_runs", _limit=2)
    key = {"X-API-KEY": OSS_API_KEY}
    user = {"Authorization": f"Bearer {server.user_token}"}
    return [
        ("error_api_key_only", path, key),
        ("error_api_key_only_http_codes", _q("/api/pipeline_runs", _limit=2, _http_error_codes="true"), key),
        ("error_bad_user_token", path, {**key, "Authorization": "Bearer not-a-valid-token"}),
        ("error_jwt_as_bearer", path, {**key, "Authorization": f"Bearer {server.jwt}"}),
        ("error_no_api_key", path, user),
        ("error_wrong_api_key", path, {"X-API-KEY": "not-the-key", **user}),
        ("ok_oauth_token_header", path, {**key, "OAUTH-TOKEN": server.user_token}),
        ("ok_api_key_query_parameter", _q("/api/pipeline_runs", _limit=2, api_key=OSS_API_KEY), user),
    ]


def record(server: LiveMage, out: Path, *, canary: str) -> dict:
    """Send every recorded request to ``server`` and write sanitised bodies plus the manifest."""
    clean = Sanitiser(server, canary)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.json"):
        old.unlink()
    entries: list[dict] = []

    def keep(name: str, method: str, path: str, auth: str, resp, body: dict | None = None) -> None:
        file = f"{len(entries) + 1:02d}_{name}.json"
        (out / file).write_text(json.dumps(clean(resp.body), indent=1, sort_keys=True) + "\n")
        parsed = urllib.parse.urlsplit(path)
        entry = {"request": clean.text(path), "method": method, "path": parsed.path,
                 "query": clean(dict(urllib.parse.parse_qsl(parsed.query))), "auth": auth,
                 "http_status": resp.status, "error_in_body": bool(isinstance(resp.body, dict)
                                                                   and resp.body.get("error")),
                 "file": file}
        if body is not None:
            entry["body"] = clean(body)
        entries.append(entry)

    for name, path in requests_for(server):
        keep(name, "GET", path, "api_key+user_token", server.request("GET", path))
    for name, path, headers in refused_requests(server):
        auth = "+".join(k.lower() for k in headers)
        keep(name, "GET", path, auth, server.request("GET", path, headers=headers, auth=False))
    key = {"X-API-KEY": OSS_API_KEY}
    for name, password in (("sessions_sign_in", "admin"), ("sessions_wrong_password", "wrong-password")):
        body = {"session": {"email": "admin@admin.com", "password": password}}
        keep(name, "POST", "/api/sessions", "x-api-key",
             server.request("POST", "/api/sessions", body, headers=key, auth=False), body)
    manifest = {"mage_version": mage_version(mage_venv()), "recorded_with": "tests/mage_live_record.py",
                "placeholders": {"trigger_token": TRIGGER_TOKEN, "user_token": USER_TOKEN,
                                 "jwt": FAKE_JWT, "api_key": API_KEY, "other_secret": SECRET,
                                 "server_root": SERVER_ROOT},
                "responses": entries}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args()
    canary = f"canary-{time.time_ns()}"
    with tempfile.TemporaryDirectory(prefix="auditkit-mage-record-") as tmp:
        server = LiveMage.start(Path(tmp))
        try:
            server.make_runs(canary=canary)
            manifest = record(server, args.out, canary=canary)
        finally:
            server.stop()
    print(f"recorded {len(manifest['responses'])} responses into {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
