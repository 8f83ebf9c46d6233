"""A fake Mage REST API on loopback, serving a Mage-schema SQLite DB with Mage 0.9.80's semantics.

Written from Mage's resources (PipelineRunResource, BlockRunResource, BackfillResource,
PipelineScheduleResource, LogResource, SessionResource) and ISSUE18-NOTES: ``_limit`` (default
40) and ``_offset``, ``metadata.count/next``, ``order_by[]`` on runs, ``start_timestamp`` /
``end_timestamp`` read as server-local naive time against ``created_at``, the run list's join
on its schedule (runs of other projects' and global-data-product schedules left out unless
asked), embedded ``block_runs`` with metrics, ``/api/block_runs`` without metrics, lower-case
enum values, block logs capped at 20 files, and errors as HTTP 200 with ``{"error": ...}``.
Every request's method, path and query is recorded; 5xx answers and slow answers can be
injected. Run it alone for the benchmark: ``python tests/mage_api_fake.py DB [LOG_ROOT|-] [no-embed]``.
"""
from __future__ import annotations

import base64
import json
import re
import sqlite3
import sys
import threading
import time
from collections import deque
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

OSS_KEY = "zkWlN0PkIKSN0C11CfUHUj84OT5XOJ6tDZ6bDRO2"
ENUM_COLUMNS = {"status", "schedule_type", "executor_type", "interval_type"}
JSON_COLUMNS = {"variables", "event_variables", "metrics", "settings"}
RUN_COLUMNS = ["id", "created_at", "updated_at", "pipeline_schedule_id", "pipeline_uuid", "execution_date",
               "status", "completed_at", "variables", "passed_sla", "event_variables", "metrics", "backfill_id",
               "executor_type", "started_at"]
MAX_LOG_FILES = 20
DEFAULT_LIMIT = 40


def _present(row: sqlite3.Row, drop=()) -> dict:
    out = {}
    for key in row.keys():  # noqa: SIM118 - a sqlite3.Row iterates over values
        if key in drop:
            continue
        value = row[key]
        if key in ENUM_COLUMNS and isinstance(value, str):
            value = value.lower()
        elif key in JSON_COLUMNS and isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                pass
        elif key == "passed_sla" and value is not None:
            value = bool(value)
        out[key] = value
    return out


def _clean_name(name: str) -> str:
    return re.sub(r"\W", "_", name).lower()


class FakeMage:
    """The server; ``url`` once started. Settings can change while it runs."""

    def __init__(self, db_path, log_root=None, *, api_key: str = OSS_KEY, email: str = "admin@admin.com",
                 password: str = "admin", require_user: bool = True, utc_offset_hours: float = 0,
                 repo_path: str | None = None, embed_block_runs: bool = True) -> None:
        self.db_path, self.log_root = str(db_path), Path(log_root) if log_root else None
        self.api_key, self.email, self.password = api_key, email, password
        self.require_user, self.utc_offset = require_user, timedelta(hours=utc_offset_hours)
        self.repo_path, self.embed_block_runs = repo_path, embed_block_runs
        self.inner_token = "fake-inner-token-7f3a"
        self.requests: list[tuple[str, str, dict]] = []
        self.failures: deque[int] = deque()          # statuses for the next requests
        self.delays: deque[float] = deque()           # seconds to sleep on the next requests
        self.error_paths: dict[str, dict] = {}        # path prefix -> error body (HTTP 200)
        self._lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None

    # -- life -----------------------------------------------------------------------------
    def start(self) -> FakeMage:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                fake._handle(self, "GET")

            def do_POST(self):
                fake._handle(self, "POST")

            def do_PUT(self):
                fake._handle(self, "PUT")

            def do_DELETE(self):
                fake._handle(self, "DELETE")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def methods(self) -> list[str]:
        return [m for m, _, _ in self.requests]

    # -- dispatch -------------------------------------------------------------------------
    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(handler.path)
        query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        with self._lock:
            self.requests.append((method, parts.path, query))
            status = self.failures.popleft() if self.failures else None
            delay = self.delays.popleft() if self.delays else 0.0
        if delay:
            time.sleep(delay)
        if status is not None:
            return self._send(handler, b"<html>upstream error</html>", status, "text/html")
        try:
            answer = self._answer(method, parts.path, query, handler.headers, body)
        except Exception as exc:  # noqa: BLE001 - Mage wraps exceptions in an error body too
            answer = {"error": {"code": 500, "message": f"{type(exc).__name__}: {exc}"}}
        self._send(handler, json.dumps(answer).encode(), 200, "application/json")

    @staticmethod
    def _send(handler, data: bytes, status: int, kind: str) -> None:
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", kind)
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _answer(self, method: str, path: str, query: dict, headers, body: bytes) -> dict:
        if headers.get("X-API-KEY") != self.api_key:
            return {"error": {"code": 401, "message": "Invalid API key.", "type": "invalid_api_key"}}
        if method == "POST" and path == "/api/sessions":
            return self._sign_in(body)
        if method != "GET":
            return {"error": {"code": 403, "message": "the fake accepts reads only"}}
        for prefix, error in self.error_paths.items():
            if path.startswith(prefix):
                return error
        if self.require_user and headers.get("Authorization") != f"Bearer {self.inner_token}":
            return {"error": {"code": 403, "message": "Private access for list only, invalid scope.",
                              "type": "unauthorized_access"}}
        db = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True)
        db.row_factory = sqlite3.Row
        try:
            if path == "/api/pipeline_runs":
                return self._runs(db, query)
            if path == "/api/block_runs":
                return self._block_runs(db, query)
            if path == "/api/pipeline_schedules":
                return self._schedules(db, query)
            if path == "/api/backfills":
                rows = [_present(r) for r in db.execute("SELECT * FROM backfill ORDER BY created_at DESC")]
                return self._page("backfills", rows, query)
            match = re.fullmatch(r"/api/pipelines/([^/]+)/logs", path)
            if match:
                return self._logs(db, unquote(match.group(1)), query)
        finally:
            db.close()
        return {"error": {"code": 404, "message": "Resource not found."}}

    def _sign_in(self, body: bytes) -> dict:
        session = (json.loads(body or b"{}") or {}).get("session") or {}
        if session.get("email") != self.email or session.get("password") != self.password:
            return {"error": {"code": 400, "message": "Email/username and/or password invalid."}}
        encode = lambda obj: base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")
        jwt = ".".join([encode({"alg": "HS256", "typ": "JWT"}),
                        encode({"token": self.inner_token, "expires": 2_000_000_000}), "c2lnbmF0dXJl"])
        return {"session": {"token": jwt, "expires": 2_000_000_000}}

    # -- resources ------------------------------------------------------------------------
    @staticmethod
    def _page(key: str, rows: list, query: dict) -> dict:
        limit, offset = int(query.get("_limit", DEFAULT_LIMIT)), int(query.get("_offset", 0))
        chunk = rows[offset:offset + limit + 1]
        return {key: chunk[:limit], "metadata": {"count": len(rows), "next": len(chunk) > limit}}

    def _local(self, seconds: str) -> str:
        """Mage: ``datetime.fromtimestamp(int(x))``, naive server-local time."""
        local = datetime.fromtimestamp(int(seconds), timezone.utc).replace(tzinfo=None) + self.utc_offset
        return local.strftime("%Y-%m-%d %H:%M:%S")

    def _runs(self, db, query: dict) -> dict:
        where, args = ["1 = 1"], []
        if not query.get("include_all_pipeline_schedules") and self.repo_path is not None:
            where.append("(ps.repo_path = ? OR ps.repo_path IS NULL)")
            args.append(self.repo_path)
        if query.get("global_data_product_uuid"):
            where.append("ps.global_data_product_uuid = ?")
            args.append(query["global_data_product_uuid"])
        else:
            where.append("ps.global_data_product_uuid IS NULL")
        for key, column in (("backfill_id", "pr.backfill_id"), ("pipeline_uuid", "pr.pipeline_uuid")):
            if query.get(key):
                where.append(f"{column} = ?")
                args.append(query[key])
        if query.get("start_timestamp"):
            where.append("pr.created_at >= ?")
            args.append(self._local(query["start_timestamp"]))
        if query.get("end_timestamp"):
            where.append("pr.created_at <= ?")
            args.append(self._local(query["end_timestamp"]))
        order = "pr.execution_date DESC, pr.id DESC"
        if query.get("order_by[]"):
            terms = []
            for term in query["order_by[]"].split(","):
                column, _, direction = term.strip().partition(" ")
                if column not in RUN_COLUMNS or direction.lower() not in ("", "asc", "desc"):
                    raise AttributeError(column)
                terms.append(f"pr.{column} {direction or 'asc'}")
            order = ", ".join(terms)
        base = (f"FROM pipeline_run pr JOIN pipeline_schedule ps ON pr.pipeline_schedule_id = ps.id "
                f"WHERE {' AND '.join(where)}")
        total = db.execute(f"SELECT COUNT(*) {base}", args).fetchone()[0]
        limit, offset = int(query.get("_limit", DEFAULT_LIMIT)), int(query.get("_offset", 0))
        rows = db.execute(f"SELECT pr.*, ps.name AS pipeline_schedule_name, ps.token AS pipeline_schedule_token, "
                          f"ps.schedule_type AS pipeline_schedule_type, ps.repo_path AS repo_path {base} "
                          f"ORDER BY {order} LIMIT ? OFFSET ?", [*args, limit + 1, offset]).fetchall()
        runs = [_present(r) for r in rows[:limit]]
        if runs:
            by_run: dict[int, list] = {r["id"]: [] for r in runs}
            marks = ",".join("?" * len(by_run))
            for b in db.execute(f"SELECT * FROM block_run WHERE pipeline_run_id IN ({marks}) ORDER BY id",
                                list(by_run)):
                by_run[b["pipeline_run_id"]].append(_present(b))
            for run in runs:
                blocks = by_run[run["id"]]
                run["pipeline_schedule_type"] = (run["pipeline_schedule_type"] or "").lower() or None
                run.update(block_runs_count=len(blocks),
                           completed_block_runs_count=sum(b["status"] == "completed" for b in blocks))
                if self.embed_block_runs:
                    run["block_runs"] = blocks
        return {"pipeline_runs": runs, "metadata": {"count": total, "next": len(rows) > limit}}

    def _block_runs(self, db, query: dict) -> dict:
        sql = ("SELECT br.block_uuid, br.completed_at, br.created_at, br.id, br.pipeline_run_id, br.started_at, "
               "br.status, br.updated_at, ps.id AS pipeline_schedule_id, ps.name AS pipeline_schedule_name "
               "FROM block_run br JOIN pipeline_run pr ON br.pipeline_run_id = pr.id "
               "JOIN pipeline_schedule ps ON pr.pipeline_schedule_id = ps.id")
        args = []
        if query.get("pipeline_run_id"):
            sql += " WHERE br.pipeline_run_id = ?"
            args.append(int(query["pipeline_run_id"]))
        sql += " ORDER BY br.started_at DESC, br.created_at DESC, br.completed_at DESC"
        return self._page("block_runs", [_present(r) for r in db.execute(sql, args)], query)

    def _schedules(self, db, query: dict) -> dict:
        sql, args = "SELECT * FROM pipeline_schedule", []
        if self.repo_path is not None:
            sql += " WHERE repo_path = ? OR repo_path IS NULL"
            args.append(self.repo_path)
        return self._page("pipeline_schedules", [_present(r) for r in db.execute(sql, args)], query)

    def _logs(self, db, pipeline: str, query: dict) -> dict:
        ids = [int(i) for i in (query.get("block_run_id[]") or "").split(",") if i.strip()]
        sql = ("SELECT br.id, br.block_uuid, pr.pipeline_schedule_id, pr.execution_date, pr.variables "
               "FROM block_run br JOIN pipeline_run pr ON br.pipeline_run_id = pr.id WHERE pr.pipeline_uuid = ?")
        args: list = [pipeline]
        if ids:
            sql += f" AND br.id IN ({','.join('?' * len(ids))})"
            args += ids
        rows = db.execute(sql + " ORDER BY br.started_at DESC", args).fetchall()
        logs, seen = [], set()
        for row in rows:
            variables = json.loads(row["variables"]) if row["variables"] else {}
            partition = (variables or {}).get("execution_partition") or (
                f"{row['pipeline_schedule_id']}/"
                f"{datetime.fromisoformat(row['execution_date']).strftime('%Y%m%dT%H%M%S')}")
            relative = f"{pipeline}/.logs/{partition}/{_clean_name(row['block_uuid'])}.log"
            if relative in seen:
                continue
            seen.add(relative)
            path = self.log_root / relative if self.log_root else None
            content = path.read_text(encoding="utf-8") if path is not None and path.is_file() else ""
            logs.append({"name": path.name if path else "", "path": f"/home/src/mage_data/proj/pipelines/{relative}",
                         "content": content, "size": len(content), "modified_timestamp": None})
            if len(logs) >= MAX_LOG_FILES:
                break
        return {"logs": [{"block_run_logs": logs, "pipeline_run_logs": [],
                          "total_block_run_log_count": len(rows), "total_pipeline_run_log_count": 0}],
                "metadata": {"count": 1, "next": False}}


if __name__ == "__main__":        # the benchmark runs the server in its own process: DB [LOG_ROOT|-] [no-embed]
    logs = sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] != "-" else None
    fake = FakeMage(sys.argv[1], logs, require_user=False, embed_block_runs="no-embed" not in sys.argv[3:]).start()
    print(fake.url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        fake.stop()
