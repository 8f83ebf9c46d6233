"""The run-history reader on hand-built Mage DBs: opening, read-only, bad input."""
from __future__ import annotations

import hashlib
import sqlite3
import time

import pytest

from auditkit.readers.history import open_history
from auditkit.analytics.summary import history_summary
from history_support import empty_history_db, insert


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _small_db(path, **drop):
    conn = empty_history_db(path, drop=drop or None)
    insert(conn, "pipeline_schedule", id=1, name="daily", pipeline_uuid="p1", schedule_type="TIME",
           schedule_interval="@daily", status="ACTIVE", settings="null", token="t0ken")
    insert(conn, "pipeline_run", id=1, pipeline_schedule_id=1, pipeline_uuid="p1",
           execution_date="2026-01-01 00:00:00.000000", status="COMPLETED",
           created_at="2026-01-01 00:00:01", started_at="2026-01-01 00:00:02.000000",
           completed_at="2026-01-01 00:01:02.000000", updated_at="2026-01-01 00:01:02")
    insert(conn, "pipeline_run", id=2, pipeline_schedule_id=1, pipeline_uuid="p1",
           execution_date="2026-01-02 00:00:00.000000", status="FAILED",
           created_at="2026-01-02 00:00:01", started_at="2026-01-02 00:00:02.000000",
           updated_at="2026-01-02 00:00:30")
    insert(conn, "block_run", id=1, pipeline_run_id=1, block_uuid="load", status="COMPLETED",
           metrics="{}", started_at="2026-01-01 00:00:03.000000", completed_at="2026-01-01 00:00:30.000000")
    insert(conn, "block_run", id=2, pipeline_run_id=2, block_uuid="load", status="FAILED",
           metrics={"error": {"error": "boom"}}, started_at="2026-01-02 00:00:03.000000")
    conn.close()
    return path


def test_opens_by_path_url_and_data_folder(tmp_path):
    (tmp_path / "proj").mkdir()
    db = _small_db(tmp_path / "proj" / "mage-ai.db")
    for history in (open_history(str(db)), open_history(f"sqlite:///{db}"),
                    open_history(mage_data=str(tmp_path)), open_history(mage_data=str(tmp_path), project="proj")):
        assert history.available, history.problems
        counts = history.pipeline_run_counts()
        assert dict(zip(counts["status"], counts["runs"])) == {"COMPLETED": 1, "FAILED": 1}
        assert history.problems == []
    assert open_history() is None


def test_reading_leaves_the_file_byte_identical(tmp_path):
    db = _small_db(tmp_path / "mage-ai.db")
    before = _digest(db)
    history = open_history(str(db))
    history_summary(history)
    history.block_run_stats()
    history.data_checks()
    history.close()
    assert _digest(db) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mage-ai.db"]  # no journal/wal left


def test_session_is_read_only(tmp_path):
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError
    history = open_history(str(_small_db(tmp_path / "mage-ai.db")))
    with pytest.raises(OperationalError):
        with history.engine.begin() as db:
            db.execute(text("DELETE FROM pipeline_run"))
    assert history.pipeline_run_counts()["runs"].sum() == 2


def test_missing_table_and_column_are_input_problems(tmp_path):
    db = _small_db(tmp_path / "mage-ai.db", backfill=None, pipeline_run=["passed_sla"])
    history = open_history(str(db))
    reasons = [p.reason for p in history.problems]
    assert "table backfill is missing" in reasons
    assert any("pipeline_run.passed_sla" in r for r in reasons)
    # Queries adapt: the SLA query runs with NULL in place of the missing column.
    from auditkit.analytics import backfills, runs
    assert runs.sla_misses(history).empty
    assert backfills.backfill_inventory(history).empty
    assert history_summary(history)["backfills"] == []


def test_not_a_mage_db_and_corrupt_file(tmp_path):
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(b"this is not a database at all" * 100)
    missing = tmp_path / "nope.db"
    for path, expected in ((other, "not a Mage run-history DB"), (corrupt, "cannot read"),
                           (missing, "not found")):
        history = open_history(str(path))
        assert not history.available
        assert any(expected in p.reason for p in history.problems), history.problems
        assert history.pipeline_run_counts().empty
        assert history_summary(history)["pipeline_runs"] == {}
    assert not missing.exists()     # opening never creates a DB


def test_locked_database_is_a_problem_not_a_hang(tmp_path):
    db = _small_db(tmp_path / "mage-ai.db")
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        start = time.monotonic()
        history = open_history(str(db))
        assert time.monotonic() - start < 15
        assert not history.available
        assert any("locked" in p.reason for p in history.problems)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_unreachable_postgres_masks_password_and_times_out():
    start = time.monotonic()
    history = open_history("postgresql+psycopg2://mage:s3cr3t-pw@127.0.0.1:1/mage")
    assert time.monotonic() - start < 15
    assert not history.available
    text_out = repr(history.problems) + history.label
    assert "s3cr3t-pw" not in text_out
    assert "***" in history.label
    assert history.problems and history.problems[0].kind == "history"


def test_json_null_sql_null_unknown_status_and_odd_timestamps(tmp_path):
    conn = empty_history_db(tmp_path / "mage-ai.db")
    insert(conn, "pipeline_schedule", id=1, name="a", pipeline_uuid="p", schedule_type="TIME",
           status="ACTIVE", settings="null", variables=None)
    rows = [  # id, status, started, completed, metrics
        (1, "COMPLETED", "2026-01-01 00:00:10.000000", "2026-01-01 00:00:05.000000", "null"),  # ends before start
        (2, "PAUSED", None, None, None),                                                        # unknown status
        (3, "COMPLETED", None, "2026-01-01 00:10:00.000000", "not json {"),                    # NULL start
        (4, "COMPLETED", "2026-01-01 01:00:00.000000", "2026-01-01 01:00:40.000000", '{"error": {"error": "x"}}'),
    ]
    for rid, status, started, completed, metrics in rows:
        insert(conn, "pipeline_run", id=rid, pipeline_schedule_id=1, pipeline_uuid="p", status=status,
               execution_date="2026-01-01 00:00:00.000000", created_at="2026-01-01 00:00:00",
               started_at=started, completed_at=completed, updated_at="2026-01-01 02:00:00")
        insert(conn, "block_run", id=rid, pipeline_run_id=rid, block_uuid="b", status=status,
               started_at=started, completed_at=completed, metrics=metrics)
    conn.close()
    history = open_history(str(tmp_path / "mage-ai.db"))
    from auditkit.analytics import retries, runs
    durations = runs.duration_stats(history)
    # Only run 4 has a usable duration (run 1 is negative, run 3 has no start).
    assert durations["n"].tolist() == [1] and durations["p50_s"].iloc[0] == pytest.approx(40, abs=1e-3)
    outcomes = retries.block_outcomes(history)
    # metrics 'null', malformed JSON and SQL NULL are "no error"; only run 4 kept an error.
    assert outcomes["retried_block_runs"].tolist() == [1]
    checks = history.data_checks().set_index("check")["rows"]
    assert checks["pipeline runs ending before they start"] == 1
    kinds = {(p.kind, p.reason.split(" ")[0]) for p in history.problems}
    assert any("PAUSED" in p.reason for p in history.problems)
    assert ("history_data", "1") in kinds
    assert history_summary(history)["pipeline_runs"]["p"]["PAUSED"] == 1


def test_window_limits_runs(tmp_path):
    db = _small_db(tmp_path / "mage-ai.db")
    history = open_history(str(db), since="2026-01-02", until="2026-01-03")
    counts = history.pipeline_run_counts()
    assert dict(zip(counts["status"], counts["runs"])) == {"FAILED": 1}
    assert history.window[0].isoformat() == "2026-01-02T00:00:00"


def test_schedules_never_expose_tokens(tmp_path):
    history = open_history(str(_small_db(tmp_path / "mage-ai.db")))
    schedules = history.schedules()
    assert schedules["has_token"].tolist() == [1]
    assert "t0ken" not in schedules.to_string()
    assert "token" not in schedules.columns
