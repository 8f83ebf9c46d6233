"""A real Mage server for tests: ``mage start`` on loopback with the fixture project, and runs
made through Mage's own REST API.

``LiveMage.start(tmp)`` copies ``tests/fixtures/mage_live/project`` into ``tmp`` (Mage rewrites
triggers.yaml on sync, so never the committed copy), starts ``mage start`` from the venv named
by ``AUDITKIT_MAGE_VENV`` (default /work/magevenv) on 127.0.0.1 with a free port, its own
``MAGE_DATA_DIR`` and ``HOME``, and waits until it answers (about a minute). ``sign_in()`` trades
the default owner's email and password for a user token; ``make_runs()`` fires both API
triggers (the first twice), creates and starts a three-day backfill, and waits until every run
is final; ``stop()`` ends the server's process group. POST and PUT are used here because this
is the test making runs, not the audit reading them.

Facts confirmed on mage-ai 0.9.80 (see tests/fixtures/mage_live/README.md).
"""
from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURE_REPO = ROOT / "tests" / "fixtures" / "mage_live" / "project"
PROJECT = "live_fixture"
MAGE_VERSION = "0.9.80"
DEFAULT_VENV = "/work/magevenv"
# Mage OSS's hard-coded frontend client id (settings/server.py): public, the same on every install.
OSS_API_KEY = "zkWlN0PkIKSN0C11CfUHUj84OT5XOJ6tDZ6bDRO2"
OWNER = ("admin@admin.com", "admin")           # the default owner Mage creates
FINAL_RUN_STATUSES = {"completed", "failed", "cancelled"}
BACKFILL = {"name": "three_days", "interval_type": "day", "interval_units": 1,
            "start_datetime": "2026-11-01T00:00:00", "end_datetime": "2026-11-03T00:00:00"}
EXPECTED_RUNS = 2 + 1 + 3                     # api_ping twice, flaky_retry once, 3 backfill days


class MageUnavailable(RuntimeError):
    """No mage-ai venv here, or the server did not come up."""


class MageApiError(RuntimeError):
    """Mage answered with an ``error`` body (it does so with HTTP 200 too)."""


def mage_venv() -> Path:
    """The venv holding mage-ai (``AUDITKIT_MAGE_VENV``); MageUnavailable when it has none."""
    venv = Path(os.environ.get("AUDITKIT_MAGE_VENV") or DEFAULT_VENV)
    if not (venv / "bin" / "mage").exists():
        raise MageUnavailable(f"no mage-ai venv at {venv} (set AUDITKIT_MAGE_VENV)")
    return venv


def mage_version(venv: Path) -> str:
    out = subprocess.run([str(venv / "bin" / "python"), "-c",
                          "import importlib.metadata as m; print(m.version('mage-ai'))"],
                         capture_output=True, text=True, timeout=60)
    return out.stdout.strip()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def inner_token(jwt: str) -> str:
    """The user token inside the JWT ``POST /api/sessions`` returns (the JWT itself is refused
    as a Bearer token; its payload's ``token`` is accepted)."""
    payload = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["token"]


@dataclass
class Response:
    status: int
    body: dict


@dataclass
class LiveMage:
    root: Path
    port: int
    proc: subprocess.Popen
    jwt: str | None = None
    user_token: str | None = None
    made: dict = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def repo(self) -> Path:
        """The repo copy the server runs (Mage writes into its triggers.yaml)."""
        return self.root / "project"

    @property
    def data_dir(self) -> Path:
        return self.root / "mage_data"

    @property
    def db(self) -> Path:
        return self.data_dir / PROJECT / "mage-ai.db"

    @property
    def log_path(self) -> Path:
        return self.root / "server.log"

    # ------------------------------------------------------------ lifecycle

    @classmethod
    def start(cls, tmp: Path, *, venv: Path | None = None, timeout: float = 300) -> "LiveMage":
        venv = venv or mage_venv()
        root = Path(tmp)
        shutil.copytree(FIXTURE_REPO, root / "project")
        (root / "mage_data").mkdir()
        (root / "home").mkdir()
        env = {k: v for k, v in os.environ.items() if k not in ("ENV", "MAGE_API_KEY",
                                                                "MAGE_API_TOKEN", "MAGE_EMAIL",
                                                                "MAGE_PASSWORD")}
        env.update(MAGE_DATA_DIR=str(root / "mage_data"), HOME=str(root / "home"),
                   REQUIRE_USER_AUTHENTICATION="1", SCHEDULER_TRIGGER_INTERVAL="2",
                   PYTHONDONTWRITEBYTECODE="1", TZ="UTC")
        log = open(root / "server.log", "wb")
        proc = subprocess.Popen([str(venv / "bin" / "mage"), "start", PROJECT, "--host", "127.0.0.1",
                                 "--port", str(port := free_port())], cwd=root / "project", env=env,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        server = cls(root, port, proc)
        try:
            server._wait_until_up(timeout)
        except BaseException:
            server.stop()
            raise
        return server

    def _wait_until_up(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise MageUnavailable(f"mage start exited ({self.proc.returncode}): {self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url + "/api/status", timeout=5) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(2)
        raise MageUnavailable(f"mage start did not answer within {timeout:.0f} s: {self.log_tail()}")

    def log_tail(self, chars: int = 1500) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self) -> None:
        """End the server's whole process group: SIGTERM, then SIGKILL (SIGINT is not enough)."""
        for sig, grace in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
            if self.proc.poll() is not None:
                break
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                continue
        try:                       # children the scheduler left behind in the same group
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    # ------------------------------------------------------------ HTTP

    def request(self, method: str, path: str, body: dict | None = None, *,
                headers: dict | None = None, auth: bool = True) -> Response:
        """One call; ``auth`` adds the API key and the user token. Never raises on an HTTP
        error status: Mage puts the error in the body either way."""
        sent = {"Content-Type": "application/json"}
        if auth:
            sent["X-API-KEY"] = OSS_API_KEY
            if self.user_token:
                sent["Authorization"] = f"Bearer {self.user_token}"
        sent.update(headers or {})
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=sent)
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                return Response(resp.status, json.loads(resp.read() or b"{}"))
        except urllib.error.HTTPError as exc:
            return Response(exc.code, json.loads(exc.read() or b"{}"))

    def call(self, method: str, path: str, body: dict | None = None, **kw) -> dict:
        """``request`` that raises MageApiError on an error body or status."""
        resp = self.request(method, path, body, **kw)
        if resp.status != 200 or (isinstance(resp.body, dict) and resp.body.get("error")):
            raise MageApiError(f"{method} {path}: HTTP {resp.status} {resp.body}")
        return resp.body

    def sign_in(self) -> str:
        """Email and password for a session; keeps the JWT and its inner user token."""
        out = self.call("POST", "/api/sessions",
                        {"session": {"email": OWNER[0], "password": OWNER[1]}})
        self.jwt = out["session"]["token"]
        self.user_token = inner_token(self.jwt)
        return self.user_token

    # ------------------------------------------------------------ making runs

    def schedules(self, timeout: float = 120) -> dict[str, dict]:
        """The schedules by name, once the scheduler has synced the three triggers.yaml."""
        deadline = time.monotonic() + timeout
        while True:
            found = {s["name"]: s for s in self.call("GET", "/api/pipeline_schedules")["pipeline_schedules"]}
            if {"ping_api", "flaky_api", "daily"} <= set(found) or time.monotonic() > deadline:
                return found
            time.sleep(2)

    def fire_api_trigger(self, schedule: dict, variables: dict, *, legacy_route: bool = False) -> dict:
        """Run a pipeline through its API trigger, as a client outside Mage would (no API key
        and no user needed: the trigger's token is the credential)."""
        if legacy_route:
            path = f"/api/pipeline_schedules/{schedule['id']}/pipeline_runs/{schedule['token']}"
            headers = {}
        else:
            path = f"/api/pipeline_schedules/{schedule['id']}/api_trigger"
            headers = {"Authorization": f"Bearer {schedule['token']}"}
        return self.call("POST", path, {"pipeline_run": {"variables": variables}},
                         headers=headers, auth=False)["pipeline_run"]

    def start_backfill(self, pipeline_uuid: str = "daily_sum") -> dict:
        made = self.call("POST", f"/api/pipelines/{pipeline_uuid}/backfills", {"backfill": BACKFILL})
        backfill_id = made["backfill"]["id"]
        return self.call("PUT", f"/api/backfills/{backfill_id}",
                         {"backfill": {"status": "initial"}})["backfill"]

    def make_runs(self, *, canary: str, timeout: float = 240) -> dict:
        """Fire the triggers and the backfill; wait until every run is final. ``canary`` goes
        into a run's variables as a password (no output may ever show it)."""
        if not self.user_token:
            self.sign_in()
        found = self.schedules()
        missing = {"ping_api", "flaky_api", "daily"} - set(found)
        if missing:
            raise MageUnavailable(f"triggers.yaml never synced: {sorted(missing)}")
        ping, flaky = found["ping_api"], found["flaky_api"]
        self.fire_api_trigger(ping, {"who": "parity-test", "db_password": canary})
        self.fire_api_trigger(flaky, {"who": "parity-test"}, legacy_route=True)
        backfill = self.start_backfill()
        time.sleep(1)
        self.fire_api_trigger(ping, {"who": "parity-test", "call": 2})
        runs = self.wait_until_final(timeout)
        schedules = self.call("GET", "/api/pipeline_schedules")["pipeline_schedules"]  # + the backfill's
        self.made = {"runs": runs, "backfill_id": backfill["id"],
                     "trigger_tokens": sorted(s["token"] for s in schedules if s.get("token"))}
        return self.made

    def all_runs(self) -> list[dict]:
        query = urllib.parse.urlencode({"_limit": 100, "order_by[]": "id asc",
                                        "disable_retries_grouping": "true"})
        return self.call("GET", f"/api/pipeline_runs?{query}")["pipeline_runs"]

    def wait_until_final(self, timeout: float) -> list[dict]:
        deadline = time.monotonic() + timeout
        while True:
            runs = self.all_runs()
            final = [r for r in runs if r["status"] in FINAL_RUN_STATUSES]
            if len(final) >= EXPECTED_RUNS and len(final) == len(runs):
                return runs
            if time.monotonic() > deadline:
                states = sorted((r["id"], r["pipeline_uuid"], r["status"]) for r in runs)
                raise MageUnavailable(f"runs not final after {timeout:.0f} s: {states}")
            time.sleep(2)
