"""History analytics against histories built row by row, with hand-computed expectations."""
from __future__ import annotations

import json
from types import SimpleNamespace

import pandas as pd
import pytest

from auditkit.analytics import backfills, concurrency, retries, runs
from auditkit.readers.history import open_history
from auditkit.analytics.summary import history_summary
from history_support import empty_history_db, insert
from inventory_factory import make_inventory

T0 = "2026-03-01 "


def _run(conn, rid, pipeline="p", status="COMPLETED", start="00:00:00", end="00:10:00", *,
         schedule=1, execution=None, created=None, blocks=(), **extra):
    insert(conn, "pipeline_run", id=rid, pipeline_schedule_id=schedule, pipeline_uuid=pipeline,
           status=status, execution_date=T0 + (execution or start) + ".000000",
           created_at=T0 + (created or start), started_at=T0 + start + ".000000" if start else None,
           completed_at=T0 + end + ".000000" if end and status == "COMPLETED" else None,
           updated_at=T0 + (end or start or "00:00:00"), **extra)
    for i, (block, bstatus, bstart, bend, metrics) in enumerate(blocks):
        insert(conn, "block_run", id=rid * 100 + i, pipeline_run_id=rid, block_uuid=block, status=bstatus,
               started_at=T0 + bstart + ".000000" if bstart else None,
               completed_at=T0 + bend + ".000000" if bend and bstatus == "COMPLETED" else None,
               updated_at=T0 + (bend or bstart or "00:00:00"), metrics=metrics)


@pytest.fixture
def db(tmp_path):
    conn = empty_history_db(tmp_path / "mage-ai.db")
    insert(conn, "pipeline_schedule", id=1, name="hourly", pipeline_uuid="p", schedule_type="TIME",
           schedule_interval="@hourly", status="ACTIVE", start_time=T0 + "00:00:00.000000", sla=300,
           settings={"pipeline_run_limit": 2})
    insert(conn, "pipeline_schedule", id=2, name="old", pipeline_uuid="gone", schedule_type="TIME",
           schedule_interval="@daily", status="INACTIVE", settings=None)
    return conn, tmp_path / "mage-ai.db"


def test_three_overlapping_runs_peak_at_three(db):
    conn, path = db
    _run(conn, 1, start="00:00:00", end="00:30:00")
    _run(conn, 2, start="00:10:00", end="00:40:00")
    _run(conn, 3, start="00:20:00", end="00:50:00", status="FAILED")   # ends at updated_at
    _run(conn, 4, start="00:50:00", end="01:00:00")                      # starts as 3 ends: no overlap
    _run(conn, 5, pipeline="q", start="00:15:00", end="00:25:00")
    conn.close()
    h = open_history(str(path))
    peaks = concurrency.observed_peaks(h).set_index("pipeline")
    assert peaks.loc["p", "peak"] == 3
    assert peaks.loc["q", "peak"] == 1
    assert concurrency.overall_peaks(h)["pipeline_runs"] == 4     # p1, p2, q and p3 at 00:20
    assert history_summary(h)["max_concurrent_pipeline_runs"] == {"p": 3, "q": 1}


def test_block_concurrency_and_overview_against_limits(db):
    conn, path = db
    _run(conn, 1, end="00:05:00", blocks=[("a", "COMPLETED", "00:00:01", "00:05:00", "{}"),
                          ("b:0", "COMPLETED", "00:01:00", "00:04:00", "{}"),
                          ("b:1", "COMPLETED", "00:02:00", "00:03:00", "{}")])
    _run(conn, 2, start="00:05:00", end="00:06:00")
    _run(conn, 3, start="00:05:30", end="00:07:00")
    _run(conn, 4, start="00:05:40", end="00:08:00")
    conn.close()
    h = open_history(str(path))
    assert concurrency.observed_peaks(h, "block").set_index("pipeline").loc["p", "peak"] == 3
    inv = {"pipelines": pd.DataFrame([{"project": "x", "pipeline": "p", "pipeline_type": "python",
                                       "concurrency_config": {"block_run_limit": 2}}]),
           "projects": pd.DataFrame([{"project": "x", "queue_config": {"concurrency": 4}}])}
    overview = concurrency.concurrency_overview(h, inv).set_index("pipeline")
    assert overview.loc["p", "trigger_run_limit"] == 2        # from the DB trigger settings
    assert overview.loc["p", "queue_concurrency"] == 4
    assert overview.loc["p", "peak_pipeline_runs"] == 3
    assert bool(overview.loc["p", "over_limit"]) and bool(overview.loc["p", "block_over_limit"])


def test_duration_percentiles_nearest_rank(db):
    conn, path = db
    minutes = [1, 2, 3, 4, 5, 6, 7, 8, 9, 100]
    for i, m in enumerate(minutes, start=1):
        _run(conn, i, start=f"{i:02d}:00:00", end=f"{i:02d}:{m:02d}:00" if m < 60 else f"{i + 1:02d}:40:00")
    _run(conn, 50, start="20:00:00", end=None, status="FAILED")           # not a completed duration
    conn.close()
    stats = runs.duration_stats(open_history(str(path))).set_index("pipeline")
    # Nearest rank: p50 is the 5th of 10 sorted values, p95 the 10th.
    assert stats.loc["p", "n"] == 10
    assert stats.loc["p", "p50_s"] == pytest.approx(300, abs=1e-3)
    assert stats.loc["p", "p95_s"] == pytest.approx(6000, abs=1e-3)


def test_skipped_sla_retried_runs_and_blocks(db):
    conn, path = db
    err = json.dumps({"error": {"error": "boom"}})
    _run(conn, 1, blocks=[("load", "COMPLETED", "00:00:01", "00:00:20", err)], passed_sla=1)   # retry-blocks
    _run(conn, 2, status="CANCELLED", start=None, end=None, execution="01:00:00", created="01:00:01")  # skipped
    _run(conn, 3, status="CANCELLED", start="02:00:00", end="02:00:10", blocks=[
        ("load", "CANCELLED", None, None, None)])                              # cancelled, not skipped
    _run(conn, 4, status="FAILED", start="03:00:00", end="03:01:00", blocks=[
        ("load", "FAILED", "03:00:01", "03:01:00", err)])
    _run(conn, 5, start="05:00:00", end="05:01:00", execution="03:00:00")    # retry-run of run 4
    conn.close()
    h = open_history(str(path))
    assert runs.skipped_runs(h)["skipped_runs"].tolist() == [1]
    sla = runs.sla_misses(h).set_index("pipeline")
    assert (sla.loc["p", "runs_with_sla"], sla.loc["p", "sla_misses"]) == (5, 1)
    retried = retries.retried_pipeline_runs(h).set_index("pipeline")
    assert retried.loc["p", ["retried_executions", "extra_runs", "recovered"]].tolist() == [1, 1, 1]
    outcomes = retries.block_outcomes(h).set_index("block")
    assert outcomes.loc["load", ["block_runs", "completed", "failed", "retried_block_runs"]].tolist() == [3, 1, 1, 1]
    health = runs.run_health(h).set_index("pipeline")
    assert health.loc["p", "skipped_runs"] == 1 and health.loc["p", "sla_misses"] == 1
    assert health.loc["p", "success_rate"] == pytest.approx(2 / 3, abs=1e-3)


def test_expected_vs_actual_counts_cron_ticks_and_ignores_manual_runs(db):
    conn, path = db
    # Hourly trigger from 00:00; newest run at 05:00 -> ticks 00..05 = 6 expected.
    for hour in (0, 1, 2, 5):
        _run(conn, hour + 1, start=f"{hour:02d}:00:30", end=f"{hour:02d}:05:00", execution=f"{hour:02d}:00:00",
             created=f"{hour:02d}:00:01", variables={})
    _run(conn, 20, start="03:30:00", end="03:31:00", variables={"execution_partition": "1/20260301T033000_000000"})
    conn.close()
    frame = runs.expected_vs_actual(open_history(str(path))).set_index("name")
    row = frame.loc["hourly"]
    assert (row["expected_runs"], row["actual_runs"], row["missing_runs"], row["manual_runs"]) == (6, 4, 2, 1)
    assert row["p50_late_s"] == pytest.approx(30, abs=1e-3)
    assert "old" not in frame.index                                   # inactive


def test_expected_vs_actual_compares_the_same_window_on_both_sides(db):
    conn, path = db
    # Re-enabled at 03:00: runs before that must not hide the ticks missing after it.
    conn.execute("UPDATE pipeline_schedule SET last_enabled_at = ? WHERE id = 1", (T0 + "03:00:00.000000",))
    for hour in (0, 1, 2, 3, 6):
        _run(conn, hour + 1, start=f"{hour:02d}:00:30", end=f"{hour:02d}:05:00", execution=f"{hour:02d}:00:00",
             created=f"{hour:02d}:00:01", variables={})
    conn.commit()
    conn.close()
    row = runs.expected_vs_actual(open_history(str(path))).set_index("name").loc["hourly"]
    # ticks 03, 04, 05, 06 expected; 03 and 06 ran in that window (00-02 ran before it)
    assert (row["expected_runs"], row["actual_runs"], row["missing_runs"]) == (4, 2, 2)


def test_failure_rate_has_one_definition(db):
    """Failed over finished runs, wherever it is shown: per pipeline, in the rules and in the
    key figures of summary.json (cancelled and unfinished runs do not count)."""
    from auditkit.audit import key_figures

    conn, path = db
    for rid, status in enumerate(["COMPLETED", "COMPLETED", "COMPLETED", "FAILED", "CANCELLED", "RUNNING"], 1):
        _run(conn, rid, status=status, start=f"0{rid}:00:00", end=f"0{rid}:01:00")
    conn.commit()
    conn.close()
    history = open_history(str(path))
    health = runs.run_health(history).set_index("pipeline")
    assert health.loc["p", "failure_rate"] == pytest.approx(0.25)
    assert health.loc["p", "success_rate"] == pytest.approx(0.75)
    audit = SimpleNamespace(inventory=make_inventory(), security=None, thresholds={})
    assert key_figures(audit, history_summary(history))["failure_rate"] == pytest.approx(0.25)
    assert runs.failure_rate(0, 0) is None


def test_trigger_drift_with_plain_frames(db):
    conn, path = db
    insert(conn, "pipeline_schedule", id=3, name="Backfill x", pipeline_uuid="p", schedule_type=None,
           schedule_interval="@once", status="ACTIVE")
    conn.close()
    inv = {"pipelines": pd.DataFrame([{"pipeline": "p"}]),
           "triggers": pd.DataFrame([{"pipeline": "p", "name": "hourly"}, {"pipeline": "p", "name": "nightly"}])}
    drift = runs.trigger_drift(open_history(str(path)), inv)
    assert sorted(zip(drift["name"], drift["issue"])) == [("nightly", "yaml_not_in_db"),
                                                          ("old", "pipeline_missing")]


def test_backfill_progress_and_gaps(db):
    conn, path = db
    insert(conn, "backfill", id=1, name="bf", pipeline_uuid="p", pipeline_schedule_id=1, status="RUNNING",
           interval_type="DAY", interval_units=1, start_datetime="2026-01-01 00:00:00.000000",
           end_datetime="2026-01-10 00:00:00.000000", started_at=T0 + "00:00:00.000000",
           settings={"pipeline_run_limit": 3})
    insert(conn, "backfill", id=2, name="draft", pipeline_uuid="p", status=None, interval_type="CUSTOM",
           settings="null")
    day_status = {1: "COMPLETED", 2: "COMPLETED", 3: "FAILED", 6: "COMPLETED", 7: "INITIAL", 10: "RUNNING"}
    for rid, (day, status) in enumerate(day_status.items(), start=1):
        insert(conn, "pipeline_run", id=rid, pipeline_uuid="p", backfill_id=1, pipeline_schedule_id=1,
               status=status, execution_date=f"2026-01-{day:02d} 00:00:00.000000", created_at=T0 + "00:00:00",
               started_at=T0 + "00:00:00.000000",
               completed_at=T0 + "00:01:00.000000" if status == "COMPLETED" else None)
    conn.close()
    h = open_history(str(path))
    inv = backfills.backfill_inventory(h).set_index("backfill_id")
    assert inv.loc[1, ["expected_runs", "runs", "completed_runs", "failed_runs", "run_limit"]].tolist() == [10, 6, 3, 1, 3]
    assert inv.loc[1, "progress"] == pytest.approx(0.3)
    assert inv.loc[2, "expected_runs"] is None or pd.isna(inv.loc[2, "expected_runs"])
    gaps = backfills.backfill_gaps(h)
    assert gaps[["missing_intervals"]].values.ravel().tolist() == [2, 2]   # days 4-5 and 8-9
    assert str(gaps["gap_start"].iloc[0].date()) == "2026-01-04"
    summary = history_summary(h)["backfills"]
    assert summary[0] == {"id": 1, "name": "bf", "pipeline_uuid": "p", "status": "RUNNING", "runs": 6,
                          "failed_runs": 1}
    assert summary[1]["status"] is None


def test_effective_retry_config_merges_project_under_block():
    inv = {"projects": pd.DataFrame([{"project": "x", "retry_config": {"retries": 1, "delay": 30}}]),
           "blocks": pd.DataFrame([
               {"project": "x", "pipeline": "p", "block": "a", "block_type": "data_loader", "section": "blocks",
                "retry_config": {"retries": 3}},
               {"project": "x", "pipeline": "p", "block": "b", "block_type": "transformer", "section": "blocks",
                "retry_config": None},
               {"project": "x", "pipeline": "p", "block": "n", "block_type": "markdown", "section": "blocks",
                "retry_config": None},
               {"project": "x", "pipeline": "p", "block": "cb", "block_type": "callback", "section": "callbacks",
                "retry_config": None},
               {"project": "x", "pipeline": "p", "block": "j", "block_type": "data_exporter", "section": "blocks",
                "retry_config": '{"delay": 7}'},
               {"project": "other", "pipeline": "q", "block": "o", "block_type": "data_loader", "section": "blocks",
                "retry_config": None}])}
    frame = retries.effective_retry_config(inv).set_index("block")
    assert sorted(frame.index) == ["a", "b", "j", "o"]
    assert frame.loc["a", ["retries", "delay", "source"]].tolist() == [3, 30, "block"]
    assert frame.loc["b", ["retries", "delay", "max_delay", "source"]].tolist() == [1, 30, 60, "project"]
    # a block setting only delay keeps the project's retries; a project without retry_config: defaults
    assert frame.loc["j", ["retries", "delay", "source"]].tolist() == [1, 7, "project"]
    assert frame.loc["o", ["retries", "delay", "max_delay", "exponential_backoff", "source"]].tolist() == \
        [0, 5, 60, True, "default"]
    assert frame.loc["o", "pipeline"] == "q" and frame.loc["j", "project"] == "x"


def test_retry_overview_flags_flaky_and_unprotected_blocks(db, tmp_path):
    conn, path = db
    err = json.dumps({"error": {"error": "boom"}})
    _run(conn, 1, blocks=[("a", "COMPLETED", "00:00:01", "00:00:20", err), ("b", "COMPLETED", "00:00:21", "00:00:30", "{}")])
    _run(conn, 2, status="FAILED", start="01:00:00", blocks=[("a", "COMPLETED", "01:00:01", "01:00:20", "{}"),
                                                             ("b", "FAILED", "01:00:21", None, err)])
    conn.close()
    inv = {"projects": pd.DataFrame([{"project": "x", "retry_config": None}]),
           "blocks": pd.DataFrame([{"project": "x", "pipeline": "p", "block": blk, "block_type": "transformer",
                                    "section": "blocks", "retry_config": cfg}
                                   for blk, cfg in (("a", {"retries": 2}), ("b", None))])}
    overview = retries.retry_overview(open_history(str(path)), inv).set_index("block")
    assert bool(overview.loc["a", "flaky"]) and not bool(overview.loc["b", "flaky"])
    assert bool(overview.loc["b", "failed_without_retry"]) and not bool(overview.loc["a", "failed_without_retry"])
