"""History analytics on the history a real Mage 0.9.80 left (tests/fixtures/mage_0_9_80),
checked against direct SQL and hand computation on the same rows."""
from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

import pytest

from auditkit.analytics import backfills, concurrency, retries, runs
from auditkit.readers.history import open_history
from auditkit.analytics.summary import history_summary

MAGE_DATA = Path(__file__).resolve().parent / "fixtures" / "mage_0_9_80" / "mage_data"
DB = MAGE_DATA / "mage_fixture" / "mage-ai.db"
pytestmark = pytest.mark.skipif(not DB.is_file(), reason="real Mage fixture not present")


@pytest.fixture(scope="module")
def con():
    conn = sqlite3.connect(f"file:{DB}?mode=ro", uri=True)
    yield conn
    conn.close()


@pytest.fixture(scope="module")
def history():
    opened = open_history(mage_data=str(MAGE_DATA))
    yield opened
    opened.close()


def _stamp(text: str | None) -> float | None:
    return datetime.fromisoformat(text).timestamp() if text else None


def test_pipeline_peaks_match_a_python_sweep(history, con):
    rows = con.execute("SELECT pipeline_uuid, started_at, completed_at, status, updated_at FROM pipeline_run "
                       "WHERE started_at IS NOT NULL").fetchall()
    newest = con.execute("SELECT MAX(created_at) FROM pipeline_run").fetchone()[0]
    by_pipeline: dict[str, list] = {}
    for pipeline, started, completed, status, updated in rows:
        end = completed or (updated if status in ("FAILED", "CANCELLED") else None)
        # A still-running run holds its slot to the window end (now, later than anything here).
        by_pipeline.setdefault(pipeline, []).append((_stamp(started), _stamp(end) if end else float("inf")))
    expected = {}
    for pipeline, spans in by_pipeline.items():
        events = sorted([(s, 1) for s, _ in spans] + [(max(e, s), -1) for s, e in spans], key=lambda x: (x[0], x[1]))
        running = peak = 0
        for _, delta in events:
            running += delta
            peak = max(peak, running)
        expected[pipeline] = peak
    assert newest is not None
    assert history_summary(history)["max_concurrent_pipeline_runs"] == expected
    # numbers_etl's every-minute trigger sleeps 75 s: consecutive runs overlap.
    assert expected["numbers_etl"] >= 2


def test_retries_skips_and_backfill_match_direct_sql(history, con):
    retried = retries.retried_pipeline_runs(history).set_index("pipeline")
    direct = con.execute("SELECT pipeline_uuid, COUNT(*) FROM (SELECT pipeline_uuid FROM pipeline_run "
                         "GROUP BY pipeline_schedule_id, execution_date HAVING COUNT(*) > 1) GROUP BY 1").fetchall()
    assert {p: int(retried.loc[p, "retried_executions"]) for p, _ in direct} == dict(direct)
    skipped = runs.skipped_runs(history).set_index("pipeline")["skipped_runs"].to_dict()
    direct_skipped = dict(con.execute(
        "SELECT pipeline_uuid, COUNT(*) FROM pipeline_run r WHERE status='CANCELLED' AND NOT EXISTS "
        "(SELECT 1 FROM block_run b WHERE b.pipeline_run_id = r.id) GROUP BY 1").fetchall())
    assert skipped == direct_skipped and direct_skipped
    fill = backfills.backfill_inventory(history).iloc[0]
    assert (fill["expected_runs"], fill["completed_runs"], fill["progress"]) == (3, 3, 1.0)
    assert backfills.backfill_gaps(history).empty


def test_expected_vs_actual_counts_skipped_ticks_as_ticks(history, con):
    frame = runs.expected_vs_actual(history).set_index("name")
    row = frame.loc["every_minute_overlapping"]
    ticks = con.execute("SELECT COUNT(DISTINCT execution_date) FROM pipeline_run WHERE pipeline_schedule_id = 5") \
        .fetchone()[0]
    # Skipped ticks carry an execution_partition like API runs do, yet they are ticks.
    assert row["actual_runs"] == ticks and row["manual_runs"] == 0


def test_block_outcomes_and_concurrency(history, con):
    outcomes = retries.block_outcomes(history).set_index(["pipeline", "block"])
    # Dynamic children (summarize_region:eu, ...) count under their block.
    children = con.execute("SELECT COUNT(*) FROM block_run WHERE block_uuid LIKE 'summarize_region%'").fetchone()[0]
    assert outcomes.loc[("branching_dynamic", "summarize_region"), "block_runs"] == children == 4
    assert outcomes.loc[("flaky_retry", "flaky_enrich"), "retried_block_runs"] == 1
    peaks = concurrency.observed_peaks(history, "block").set_index("pipeline")["peak"]
    assert peaks["branching_dynamic"] >= 3                 # the three dynamic children ran together
