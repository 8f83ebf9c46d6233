"""Hostile run-history input: servers that never answer, wrong credentials, SQLite files that
are locked, hot, corrupt or from an older Mage, and absurd values.

The history teammate's tests (test_history_readers.py, test_history_postgres.py) cover the
plain cases (refused port, EXCLUSIVE lock, a non-DB file, one dropped table/column, negative
durations). These add the variants that hang, write or crash in real life, and every one of
them runs *every* history analytic (not only the opener), because a bad value usually breaks
the pandas code after the query, not the query. Cases that could hang run in a child process
with a timeout.
"""
from __future__ import annotations

import hashlib
import inspect
import json
import os
import socket
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from auditkit.readers.history import open_history
from auditkit.readers.history.source import CONNECT_TIMEOUT_S
from auditkit.analytics.summary import history_summary
from history_support import empty_history_db, insert

ROOT = Path(__file__).resolve().parents[1]


def exercise_history(history) -> dict:
    """Call every public history analytic that needs only the history, plus the History
    frames; returns {name: rows}. Any exception escaping here is a reader bug."""
    from auditkit.analytics import backfills, concurrency, retries, runs

    results: dict[str, int] = {}
    for module in (runs, concurrency, retries, backfills):
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("_") or fn.__module__ != module.__name__:
                continue
            params = list(inspect.signature(fn).parameters.values())
            if not params or params[0].name != "history" or any(p.default is p.empty for p in params[1:]):
                continue
            value = fn(history)
            results[f"{module.__name__.rsplit('.', 1)[-1]}.{name}"] = len(value) if hasattr(value, "__len__") else 1
    for method in ("pipeline_run_counts", "block_run_stats", "data_checks", "schedules"):
        results[method] = len(getattr(history, method)())
    results["summary"] = len(json.dumps(history_summary(history), default=str))
    return results


def exercise_isolated(source: str, timeout: float = 120) -> dict:
    """Open ``source`` and run :func:`exercise_history` in a child process (hang-proof)."""
    script = textwrap.dedent("""\
        import json, sys, time
        sys.path.insert(0, sys.argv[2])
        from auditkit.readers.history import open_history
        from test_robustness_history import exercise_history
        started = time.perf_counter()
        history = open_history(sys.argv[1])
        results = exercise_history(history)
        json.dump({"elapsed": time.perf_counter() - started, "available": history.available,
                   "results": results, "label": history.label,
                   "problems": [p.__dict__ for p in history.problems]}, sys.stdout, default=str)
        """)
    proc = subprocess.run([sys.executable, "-c", script, source, str(ROOT / "tests")], capture_output=True,
                          text=True, timeout=timeout, cwd=str(ROOT))
    assert proc.returncode == 0, f"history analytics crashed:\n{proc.stderr[-4000:]}"
    return json.loads(proc.stdout)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def folder_state(folder: Path) -> dict[str, str]:
    return {p.name: digest(p) for p in sorted(folder.iterdir()) if p.is_file()}


def filled_db(path: Path, runs: int = 40, blocks_per_run: int = 3, drop=None) -> Path:
    """A Mage history with ``runs`` pipeline runs (alternating outcomes) and their block runs."""
    conn = empty_history_db(path, drop=drop)
    insert(conn, "pipeline_schedule", id=1, name="daily", pipeline_uuid="p1", schedule_type="TIME",
           schedule_interval="@daily", status="ACTIVE", start_time="2026-01-01 00:00:00.000000",
           settings="null", token="tok", sla=60)
    conn.execute("BEGIN")
    for i in range(1, runs + 1):
        day = f"2026-01-{1 + i % 28:02d}"
        status = "COMPLETED" if i % 4 else "FAILED"
        insert(conn, "pipeline_run", id=i, pipeline_schedule_id=1, pipeline_uuid="p1",
               execution_date=f"{day} 00:00:00.000000", status=status, created_at=f"{day} 00:00:01",
               started_at=f"{day} 00:00:02.000000", completed_at=f"{day} 00:01:02.000000",
               updated_at=f"{day} 00:01:02", variables="{}")
        for b in range(blocks_per_run):
            insert(conn, "block_run", id=i * 100 + b, pipeline_run_id=i, block_uuid=f"block_{b}",
                   status=status, metrics="{}" if status == "COMPLETED" else {"error": {"error": "x"}},
                   started_at=f"{day} 00:00:03.000000", completed_at=f"{day} 00:00:30.000000")
    conn.execute("COMMIT")
    conn.close()
    return path


def reasons(result) -> str:
    problems = result["problems"] if isinstance(result, dict) else [p.__dict__ for p in result.problems]
    return " | ".join(p["reason"] for p in problems)


# ---------------------------------------------------------------- PostgreSQL that does not answer

class SilentServer:
    """A TCP listener that accepts connections and never says a word (a hung or firewalled
    server behind a proxy): the client must give up on its own connect timeout."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        self._stop = False
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        self.sock.settimeout(0.2)
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
                self.held.append(conn)
            except OSError:
                continue

    def close(self) -> None:
        self._stop = True
        self.thread.join(timeout=2)
        for conn in self.held:
            conn.close()
        self.sock.close()


@pytest.fixture
def silent_server():
    server = SilentServer()
    yield server
    server.close()


def test_postgres_that_never_answers_fails_within_the_connect_timeout(silent_server):
    url = f"postgresql+psycopg2://mage:hush-pw-41@127.0.0.1:{silent_server.port}/mage"
    started = time.monotonic()
    history = open_history(url)
    elapsed = time.monotonic() - started
    assert elapsed < CONNECT_TIMEOUT_S * 2 + 5, elapsed
    assert silent_server.held, "the client never reached the silent server; the test proves nothing"
    assert not history.available
    text = reasons(history) + history.label
    assert "hush-pw-41" not in text
    assert "timeout" in text.lower() or "timed out" in text.lower(), text
    # The analytics on an unavailable history are empty, fast, and do not retry the connection.
    started = time.monotonic()
    results = exercise_history(history)
    assert time.monotonic() - started < 10
    assert results["pipeline_run_counts"] == 0


def test_check_with_a_silent_postgres_finishes_and_keeps_the_password(tmp_path, silent_server):
    from test_robustness_repo import write_project

    write_project(tmp_path / "repo")
    url = f"postgresql+psycopg2://mage:hush-pw-42@127.0.0.1:{silent_server.port}/mage"
    out = tmp_path / "out"
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "auditkit.cli", "check", str(tmp_path / "repo"),
                           "--history", url, "--format", "json", "--out", str(out)],
                          capture_output=True, text=True, timeout=180, cwd=str(ROOT))
    assert time.monotonic() - started < 120
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    written = proc.stdout + proc.stderr + "".join(p.read_text(errors="replace") for p in out.rglob("*") if p.is_file())
    assert "hush-pw-42" not in written


@pytest.mark.postgres
def test_wrong_credentials_and_missing_database_on_a_real_server(tmp_path):
    from pg import PgServer, PgUnavailable

    try:
        server = PgServer.start(tmp_path)
    except PgUnavailable as exc:
        pytest.skip(str(exc))
    try:
        good = server.url
        cases = {
            "wrong password": good.replace("auditkit-test-pw", "Wr0ng-pw-777"),
            "unknown user": good.replace("postgres:auditkit-test-pw", "nobody:Wr0ng-pw-777"),
            "missing database": good.rsplit("/", 1)[0] + "/no_such_db",
            "empty database": good,     # reachable, but not a Mage DB (no tables)
        }
        for label, url in cases.items():
            started = time.monotonic()
            history = open_history(url)
            assert time.monotonic() - started < 15, label
            assert not history.available, label
            text = reasons(history) + history.label
            assert history.problems, label
            assert "Wr0ng-pw-777" not in text and "auditkit-test-pw" not in text, label
            assert exercise_history(history)["pipeline_run_counts"] == 0
        assert "authentication failed" in reasons(open_history(cases["wrong password"]))
        assert "no_such_db" in reasons(open_history(cases["missing database"]))
    finally:
        server.stop()


# ---------------------------------------------------------------- SQLite files in bad states

def test_reader_does_not_roll_back_a_hot_journal(tmp_path):
    """A writer died mid-transaction: the -journal is "hot". Opening it read-write would roll
    it back (a write to the audited DB); read-only must leave both files alone and say so."""
    db = filled_db(tmp_path / "mage-ai.db", runs=400)
    crash = textwrap.dedent("""\
        import os, sqlite3, sys
        conn = sqlite3.connect(sys.argv[1], isolation_level=None)
        conn.execute("PRAGMA cache_size = 1")           # spill changed pages to the file
        conn.execute("BEGIN")
        conn.execute("UPDATE block_run SET metrics = hex(randomblob(300))")
        conn.execute("UPDATE pipeline_run SET status = 'CANCELLED'")
        os._exit(0)                                     # die without COMMIT or ROLLBACK
        """)
    subprocess.run([sys.executable, "-c", crash, str(db)], check=True, timeout=60)
    journal = tmp_path / "mage-ai.db-journal"
    assert journal.exists() and journal.stat().st_size > 0, "no hot journal was left; test setup failed"
    before = folder_state(tmp_path)
    result = exercise_isolated(str(db))
    assert folder_state(tmp_path) == before
    if result["available"]:
        # Reading through the hot journal is not possible without rolling back; if it reads,
        # it must at least not show the half-written CANCELLED state.
        assert "CANCELLED" not in json.dumps(result)
    else:
        assert result["problems"], result


def test_reserved_lock_of_a_live_writer_still_reads_committed_rows(tmp_path):
    db = filled_db(tmp_path / "mage-ai.db", runs=20)
    writer = sqlite3.connect(db, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE pipeline_run SET status = 'RUNNING'")
    try:
        started = time.monotonic()
        history = open_history(str(db))
        counts = history.pipeline_run_counts()
        assert time.monotonic() - started < 15
        assert history.available, history.problems
        # Only committed data is seen: 20 runs, every 4th FAILED, none RUNNING.
        assert dict(zip(counts["status"], counts["runs"])) == {"COMPLETED": 15, "FAILED": 5}
        history.close()
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_wal_mode_db_without_sidecars_creates_no_files(tmp_path):
    db = filled_db(tmp_path / "mage-ai.db", runs=10)
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.close()                                   # a clean close removes -wal and -shm
    before = folder_state(tmp_path)
    assert set(before) == {"mage-ai.db"}
    result = exercise_isolated(str(db))
    assert folder_state(tmp_path) == before        # no -shm/-wal written next to the audited DB
    assert result["available"] or result["problems"]


@pytest.mark.parametrize("damage", ["late_pages", "middle_pages", "truncated", "zero_bytes", "header_only"])
def test_corrupt_sqlite_never_raises_out_of_the_analytics(tmp_path, damage):
    db = filled_db(tmp_path / "mage-ai.db", runs=600, blocks_per_run=4)
    data = bytearray(db.read_bytes())
    page = int.from_bytes(data[16:18], "big") or 65536
    if damage == "late_pages":
        # The schema pages survive, so the DB opens; data pages in the second half are
        # garbage, so a query fails half-way through its rows ("disk image is malformed").
        for offset in range(len(data) // 2 // page * page, len(data) - page, page * 2):
            data[offset + 8:offset + page] = os.urandom(page - 8)
    elif damage == "middle_pages":
        # Keep page 1 (the schema) so the DB opens, then wreck the data pages behind it.
        for offset in range(page * 3, len(data) - page, page * 2):
            data[offset:offset + page // 2] = os.urandom(page // 2)
    elif damage == "truncated":
        data = data[: len(data) // 2]
    elif damage == "zero_bytes":
        data = bytearray()     # what `mage init` leaves behind: an empty file
    else:
        data = data[:100]
    db.write_bytes(bytes(data))
    before = folder_state(tmp_path)
    result = exercise_isolated(str(db))
    assert folder_state(tmp_path) == before
    assert result["problems"], result
    assert all(p["reason"] and p["path"] for p in result["problems"])
    if damage in ("late_pages", "middle_pages", "truncated"):
        assert "malformed" in reasons(result), reasons(result)


def test_older_mage_schema_is_read_as_far_as_it_goes(tmp_path):
    """A DB shaped like an older Mage (guessed from migration dates in the reference: no
    backfill/generic_job/user_project tables, pipeline_schedule without last_enabled_at,
    description, settings, token, repo_path; pipeline_run without metrics, backfill_id,
    executor_type, event_variables, passed_sla, started_at; block_run without metrics)."""
    drop = {
        "backfill": None, "generic_job": None, "user_project": None, "alembic_version": None,
        "pipeline_schedule": ["last_enabled_at", "description", "settings", "token", "repo_path",
                              "global_data_product_uuid"],
        "pipeline_run": ["metrics", "backfill_id", "executor_type", "event_variables", "passed_sla", "started_at"],
        "block_run": ["metrics"],
    }
    db = filled_db(tmp_path / "mage-ai.db", runs=24, drop=drop)
    result = exercise_isolated(str(db))
    assert result["available"], result["problems"]
    text = reasons(result)
    assert "table backfill is missing" in text, text
    for column in ("pipeline_run.started_at", "pipeline_run.backfill_id", "block_run.metrics",
                   "pipeline_schedule.last_enabled_at"):
        assert column in text, (column, text)
    # What is there is still counted: 24 runs, 6 failed.
    history = open_history(str(db))
    counts = history.pipeline_run_counts()
    assert dict(zip(counts["status"], counts["runs"])) == {"COMPLETED": 18, "FAILED": 6}
    history.close()


def test_absurd_values_are_survived_and_reported(tmp_path):
    db = tmp_path / "mage-ai.db"
    conn = empty_history_db(db)
    insert(conn, "pipeline_schedule", id=1, name="odd", pipeline_uuid="p", schedule_type="TIME",
           schedule_interval="* * * * * * * *", status="ACTIVE", start_time="0001-01-01 00:00:00",
           sla=-5, settings='{"pipeline_run_limit": -3, "timeout": "soon"}', variables="[1,2]")
    insert(conn, "pipeline_schedule", id=2, name="every second", pipeline_uuid="p", schedule_type="time",
           schedule_interval="* * * * *", status="active", start_time="1970-01-01 00:00:00",
           sla=2 ** 62, settings="null")
    insert(conn, "pipeline_schedule", id=3, name=None, pipeline_uuid=None, schedule_type="SOMETIMES",
           schedule_interval="@fortnightly", status=None, start_time="not a date")
    runs = [  # id, schedule, status, execution_date, created, started, completed
        (1, 1, "COMPLETED", "9999-12-31 23:59:59.999999", "9999-12-31 23:59:59", "9999-12-31 23:59:59.999999",
         "0001-01-01 00:00:00.000000"),
        (2, 1, "completed", "not a date", "yesterday", "2026-02-30 25:61:00", "2026-01-01"),
        (3, 2, None, None, None, None, None),
        (4, 99, "RUNNING", "2026-01-01 00:00:00", "2026-01-01 00:00:00", "1999-01-01 00:00:00", None),
        (5, None, "FAILED", "1700000000", "1700000000", "1700000000", "1700000999"),
        (6, 2, "CANCELLED", "2026-01-01 00:00:00", "2026-01-01 00:00:00", "2026-01-01 00:00:00",
         "2126-01-01 00:00:00"),
        (7, 1, "EXPLODED", "2026-01-02 00:00:00", "2026-01-02 00:00:00", "2026-01-02 00:00:01",
         "2026-01-02 00:00:02"),
    ]
    for rid, sched, status, execution, created, started, completed in runs:
        insert(conn, "pipeline_run", id=rid, pipeline_schedule_id=sched, pipeline_uuid="p", status=status,
               execution_date=execution, created_at=created, started_at=started, completed_at=completed,
               updated_at=created, variables="{\"execution_partition\": 7}" if rid == 2 else "not json",
               passed_sla=rid % 2, backfill_id=77 if rid == 4 else None, metrics="[]")
    insert(conn, "block_run", id=1, pipeline_run_id=1, block_uuid="b", status="COMPLETED",
           started_at="2026-01-01 00:00:00", completed_at="2025-01-01 00:00:00",
           metrics=json.dumps({"error": {"error": "x" * 1_000_000}}))
    insert(conn, "block_run", id=2, pipeline_run_id=12345, block_uuid="orphan", status="EXPLODED")
    insert(conn, "block_run", id=3, pipeline_run_id=2, block_uuid=None, status=None, metrics='{"error": null}')
    insert(conn, "block_run", id=4, pipeline_run_id=2, block_uuid="a:b:c:d:e", status="UPSTREAM_FAILED",
           metrics='"just a string"')
    # Invalid UTF-8 in a TEXT column: Python's sqlite3 cannot decode it on fetch.
    conn.execute("INSERT INTO block_run (id, pipeline_run_id, block_uuid, status) "
                 "VALUES (5, 1, CAST(X'FFFE41' AS TEXT), 'COMPLETED')")
    insert(conn, "backfill", id=1, name="forever", pipeline_uuid="p", status="RUNNING", interval_type="SECOND",
           interval_units=1, start_datetime="0001-01-01 00:00:00", end_datetime="9999-12-31 23:59:59",
           started_at="2026-01-01 00:00:00", settings='{"pipeline_run_limit": "lots"}')
    insert(conn, "backfill", id=2, name="backwards", pipeline_uuid="p", status="COMPLETED", interval_type="YEAR",
           interval_units=-1, start_datetime="9999-12-31 23:59:59", end_datetime="9999-12-31 23:59:59",
           started_at="2026-01-01 00:00:00")
    insert(conn, "backfill", id=3, name="edge of time", pipeline_uuid="p", status="FAILED", interval_type="YEAR",
           interval_units=1, start_datetime="9999-06-01 00:00:00", end_datetime="9999-12-31 23:59:59",
           started_at="2026-01-01 00:00:00")
    insert(conn, "backfill", id=4, name="weird", pipeline_uuid="p", status="WHO_KNOWS", interval_type="FORTNIGHT",
           interval_units="many", start_datetime="garbage", end_datetime=None)
    conn.close()
    before = digest(db)
    result = exercise_isolated(str(db), timeout=180)
    assert digest(db) == before
    assert result["elapsed"] < 90, result["elapsed"]
    assert result["available"]
    text = reasons(result)
    assert "EXPLODED" in text, text      # an unknown status is named
    assert result["problems"], "absurd values went unreported"
    assert all(p["reason"] and p["path"] for p in result["problems"])
