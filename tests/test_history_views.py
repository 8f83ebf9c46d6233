"""The history views a notebook user asks questions with: one row per run with names, real
(timezone-aware) datetimes and timedeltas; block runs for one pipeline; another window without
re-reading anything. Checked against the database itself, read with sqlite3."""
from __future__ import annotations

import sqlite3
from datetime import timedelta

import pandas as pd
import pytest

from auditkit.demo.history import generate_history
from auditkit.readers.history import open_history
from history_support import write_tiny_project


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    root = tmp_path_factory.mktemp("views")
    return generate_history(root / "data", write_tiny_project(root), days=60, scale=0.5)


def _sql(db, query: str, *args) -> list:
    with sqlite3.connect(db) as conn:
        return conn.execute(query, args).fetchall()


def test_runs_has_one_row_per_run_with_names_and_real_times(db):
    runs = open_history(str(db)).runs
    assert len(runs) == _sql(db, "SELECT COUNT(*) FROM pipeline_run")[0][0]
    assert str(runs["created_at"].dt.tz) == "UTC" and pd.api.types.is_timedelta64_dtype(runs["duration"])
    assert set(runs["status"].dropna()) <= {"INITIAL", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"}
    row = runs.dropna(subset=["completed_at"]).iloc[len(runs) // 3]
    [(pipeline, status, started, completed, trigger)] = _sql(
        db, "SELECT pr.pipeline_uuid, pr.status, pr.started_at, pr.completed_at, ps.name FROM pipeline_run pr "
            "LEFT JOIN pipeline_schedule ps ON ps.id = pr.pipeline_schedule_id WHERE pr.id = ?", int(row["run_id"]))
    assert (row["pipeline"], row["status"], row["trigger"]) == (pipeline, status, trigger)
    expected = pd.Timestamp(completed, tz="UTC") - pd.Timestamp(started, tz="UTC")
    assert abs(row["duration"] - expected) < timedelta(milliseconds=1)
    assert (runs["queue_wait"].dropna() >= timedelta(0)).all()


def test_block_runs_of_one_pipeline(db):
    history = open_history(str(db))
    pipeline = history.runs["pipeline"].value_counts().index[0]
    blocks = history.block_runs(pipeline)
    [(count,)] = _sql(db, "SELECT COUNT(*) FROM block_run br JOIN pipeline_run pr ON pr.id = br.pipeline_run_id "
                          "WHERE pr.pipeline_uuid = ?", pipeline)
    assert len(blocks) == count > 0 and set(blocks["pipeline"]) == {pipeline}
    assert len(history.block_runs()) == _sql(db, "SELECT COUNT(*) FROM block_run")[0][0]


def test_between_changes_the_window_and_leaves_the_original_alone(db):
    history = open_history(str(db))
    everything = history.runs
    newest = everything["created_at"].max()
    last = history.between("10d")
    assert last.window[0] is not None and history.window == (None, None)
    expected = everything[everything["created_at"] >= newest - pd.Timedelta(days=10)]
    assert sorted(last.runs["run_id"]) == sorted(expected["run_id"]) and 0 < len(expected) < len(everything)
    assert len(history.runs) == len(everything)                   # the original window is unchanged
    cut = (newest - pd.Timedelta(days=20)).tz_localize(None)
    assert len(history.between(since=cut.isoformat()).runs) == int((everything["created_at"] >= cut.tz_localize("UTC")).sum())
    assert open_history(str(db), since="10d").window == last.window   # the same span when opening
    assert "window" in repr(last) and len(repr(last)) < 300
