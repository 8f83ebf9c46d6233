"""The same history on a real PostgreSQL (Mage's Postgres schema) and on SQLite must give the
same analytics; the Postgres session is read-only; bad credentials are input problems."""
from __future__ import annotations

import pandas as pd
import pytest

from auditkit.analytics import backfills, concurrency, retries, runs, upkeep
from auditkit.demo.history import generate_history
from auditkit.readers.history import open_history
from auditkit.analytics.summary import history_summary
from history_support import write_tiny_project

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def histories(tmp_path_factory):
    from pg import PgServer, PgUnavailable, load_mage_history
    root = tmp_path_factory.mktemp("pg_history")
    project = write_tiny_project(root)
    db = generate_history(root / "data", project, days=100, scale=0.5)
    try:
        server = PgServer.start(root)
    except PgUnavailable as exc:
        pytest.skip(str(exc))
    try:
        copied = load_mage_history(server.url, db)
        # Postgres holds the DB; the block logs stay in the Mage data folder.
        pg = open_history(server.url, mage_data=str(db.parent.parent))
        lite = open_history(str(db))
        yield {"pg": pg, "sqlite": lite, "server": server, "copied": copied, "db": db}
        pg.close()
        lite.close()
    finally:
        server.stop()


ANALYTICS = {
    "pipeline_run_counts": lambda h: h.pipeline_run_counts(),
    "block_run_stats": lambda h: h.block_run_stats(),
    "run_outcomes_day": lambda h: runs.run_outcomes(h, "day"),
    "run_outcomes_week": lambda h: runs.run_outcomes(h, "week"),
    "duration_stats": runs.duration_stats,
    "duration_trend": runs.duration_trend,
    "queue_wait": runs.queue_wait,
    "sla_misses": runs.sla_misses,
    "skipped_runs": runs.skipped_runs,
    "run_health": runs.run_health,
    "expected_vs_actual": runs.expected_vs_actual,
    "peaks_pipeline": lambda h: concurrency.observed_peaks(h, "pipeline"),
    "peaks_block": lambda h: concurrency.observed_peaks(h, "block"),
    "timeline": concurrency.concurrency_timeline,
    "block_outcomes": retries.block_outcomes,
    "retried_pipeline_runs": retries.retried_pipeline_runs,
    "backfill_inventory": backfills.backfill_inventory,
    "backfill_gaps": backfills.backfill_gaps,
    "data_checks": lambda h: h.data_checks(),
    "schedules": lambda h: h.schedules().drop(columns=["settings"]).assign(
        variable_keys=lambda f: f["variable_keys"].map(lambda keys: None if keys is None else ",".join(keys))),
    # issue 18: the upkeep queries (open runs, run creation times, the history's size)
    "open_runs": lambda h: h.open_runs(),
    "hung_runs": lambda h: upkeep.hung_runs(h),
    "scheduler_stalls": lambda h: upkeep.scheduler_stalls(h).assign(schedules=lambda f: f["schedules"].map(",".join)),
    "volume_tables": lambda h: h.volume()["tables"].drop(columns=["bytes"]),
    "volume_months": lambda h: h.volume()["months"],
    # the views for people (issue 16): same rows, names and instants on both engines
    "runs_view": lambda h: h.runs,
    "block_runs_view": lambda h: h.block_runs(),
    "runs_view_last_30d": lambda h: h.between("30d").runs,
}


def _normalise(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    for column in frame.columns:
        values = frame[column]
        textual = values.dtype == object or pd.api.types.is_string_dtype(values)
        if values.dtype == object and values.map(lambda v: hasattr(v, "tzinfo")).any():
            frame[column] = pd.to_datetime(values, utc=True, format="mixed").dt.tz_localize(None)
        elif textual:
            numbers = pd.to_numeric(values, errors="coerce")
            if numbers.notna().sum() == values.notna().sum() and values.notna().any():
                frame[column] = numbers
            else:
                # SQLite returns timestamps as text: compare as instants when they parse.
                parsed = pd.to_datetime(values, errors="coerce", utc=True, format="mixed")
                if parsed.notna().sum() == values.notna().sum() and values.notna().any():
                    frame[column] = parsed.dt.tz_localize(None)
        elif str(values.dtype).startswith("datetime64") and getattr(values.dt, "tz", None) is not None:
            frame[column] = values.dt.tz_convert("UTC").dt.tz_localize(None)
    keys = [c for c in frame.columns if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c])]
    keys = keys or list(frame.columns)
    return frame.sort_values(keys).reset_index(drop=True)


@pytest.mark.parametrize("name", sorted(ANALYTICS))
def test_analytic_is_the_same_on_postgres(histories, name):
    pg_frame = ANALYTICS[name](histories["pg"])
    lite_frame = ANALYTICS[name](histories["sqlite"])
    assert len(lite_frame) > 0 or name in ("data_checks",), f"{name} empty on SQLite: weak comparison"
    pd.testing.assert_frame_equal(_normalise(pg_frame), _normalise(lite_frame), check_dtype=False,
                                  check_exact=False, atol=1e-3, rtol=1e-6)


def test_summary_is_the_same_on_postgres(histories):
    summary = history_summary(histories["pg"])
    assert summary == history_summary(histories["sqlite"])
    assert summary["retry_attempts"] and summary["backfills"] and summary["max_concurrent_pipeline_runs"]
    assert histories["pg"].problems == []
    pg_volume = histories["pg"].volume()
    assert pg_volume["db_bytes"] > 0 and pg_volume["tables"]["bytes"].gt(0).all()


def test_every_row_was_copied(histories):
    import sqlite3
    with sqlite3.connect(histories["db"]) as conn:
        for table, n in histories["copied"].items():
            assert conn.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0] == n
    assert histories["copied"]["block_run"] > 1000


def test_postgres_session_is_read_only(histories):
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError
    engine = histories["pg"].engine
    with pytest.raises(DBAPIError, match="read-only"):
        with engine.begin() as db:
            db.execute(text("UPDATE pipeline_run SET status = 'FAILED'"))
    with pytest.raises(DBAPIError, match="read-only"):
        with engine.begin() as db:
            db.execute(text('DELETE FROM "user"'))


def test_wrong_password_is_an_input_problem(histories):
    url = histories["server"].url.replace("auditkit-test-pw", "wrong-pw-123")
    history = open_history(url)
    assert not history.available
    reasons = " ".join(p.reason for p in history.problems) + history.label
    assert "authentication failed" in reasons
    assert "wrong-pw-123" not in reasons and "auditkit-test-pw" not in reasons


def test_unreachable_postgres_fails_fast(histories):
    import time
    port = histories["server"].port + 1
    start = time.monotonic()
    history = open_history(f"postgresql+psycopg2://postgres:pw@127.0.0.1:{port}/mage")
    assert time.monotonic() - start < 10
    assert not history.available and history.problems


def test_sessions_are_read_only_with_a_statement_timeout(histories):
    from sqlalchemy import text
    history = open_history(histories["server"].url, statement_timeout_s=1.5)
    with history.engine.connect() as db:
        assert db.execute(text("SHOW transaction_read_only")).scalar() == "on"
        assert db.execute(text("SHOW statement_timeout")).scalar() == "1500ms"
    history.close()


def _locked(url: str, tables: str, analytics):
    """Run ``analytics()`` while another session holds an exclusive lock on ``tables``."""
    from sqlalchemy import create_engine, text
    writer = create_engine(url)
    try:
        with writer.connect() as db:
            db.execute(text(f"LOCK TABLE {tables} IN ACCESS EXCLUSIVE MODE"))
            result = analytics()
            db.rollback()
    finally:
        writer.dispose()
    return result


def test_a_timed_out_statement_is_an_input_problem(histories):
    """Another session locks the big tables: the audit's statements wait for the lock until
    their statement timeout cancels them. Nothing raises; what timed out comes back empty and
    is an input problem naming the timeout; what did not still has its result."""
    url = histories["server"].url
    history = open_history(url, statement_timeout_s=0.5)
    assert history.available and history.problems == []
    health, block_peaks = _locked(url, "block_run", lambda: (
        runs.run_health(history), concurrency.observed_peaks(history, "block")))
    assert block_peaks.empty and not health.empty      # the block pass timed out, run health did not
    reasons = [p.reason for p in history.problems]
    assert len(reasons) >= 1 and all("statement timeout" in r for r in reasons), reasons
    assert any("block_pass" in r for r in reasons), reasons

    history = open_history(url, statement_timeout_s=0.5)
    health, run_peaks = _locked(url, "pipeline_run, block_run", lambda: (
        runs.run_health(history), concurrency.observed_peaks(history, "pipeline")))
    assert health.empty and run_peaks.empty
    reasons = [p.reason for p in history.problems]
    assert reasons and all("statement timeout" in r for r in reasons), reasons
    history.close()
