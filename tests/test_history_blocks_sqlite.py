"""The SQLite block pass (readers/history/blocks_sqlite.py) against a brute force: block counts
per (pipeline, block, status) with errors, and block-level peaks, on generated histories full
of the rows its fast path treats apart (not COMPLETED, NULL or odd statuses, no completed_at,
NULL or empty uuids, metrics naming "error" with and without an error key, malformed JSON,
block runs without a run or with a run outside the window, deleted ids), read in ranges of a
few block runs so that runs straddle ranges, and with values that force a range onto the
row-by-row path (a separator inside a uuid or a time, a number where a time belongs)."""
from __future__ import annotations

import json
import random
from collections import Counter
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditkit.readers.history import blocks_sqlite, open_history
from history_support import empty_history_db, insert
from test_history_sweep import assert_exact, brute_peak, make_history

T0 = datetime(2026, 3, 1)
UNTIL = T0 + timedelta(days=2)
STATUSES = ["COMPLETED", "COMPLETED", "COMPLETED", "FAILED", "CANCELLED", "UPSTREAM_FAILED", "RUNNING",
            "weird", None]
UUIDS = ["load", "load", "clean:0", "clean:1", "api/x:acct:0", "", None]
METRICS = [None, "{}", "{}", json.dumps({"error": "boom"}), json.dumps({"note": "error"}),
           json.dumps({"error": None}), '{"error": ', json.dumps(["error"])]
FAILED_LIKE = {"FAILED", "CANCELLED", "UPSTREAM_FAILED", "CONDITION_FAILED"}


def _stamp(t: datetime | None) -> str | None:
    return None if t is None else t.strftime("%Y-%m-%d %H:%M:%S.%f")


def _has_error(metrics: str | None) -> bool:
    try:
        value = json.loads(metrics) if metrics else None
    except ValueError:
        return False
    return isinstance(value, dict) and "error" in value


def make_blocks(path, rng: random.Random, *, odd_values: bool = False):
    """A history and its brute-force block counts {(pipeline, block, status): [runs, errors]}
    and block spans [(pipeline, start, end)] (runs created before ``since`` left out)."""
    conn = empty_history_db(path)
    counts: dict = {}
    spans = []
    since = T0 + timedelta(hours=1)
    block_id = 0
    for rid in range(1, rng.randint(1, 30) + 1):
        pipeline = rng.choice(["p", "q", None])
        created = T0 + timedelta(minutes=rng.randint(0, 600))
        insert(conn, "pipeline_run", id=rid, pipeline_uuid=pipeline, status="COMPLETED",
               created_at=_stamp(created), started_at=_stamp(created), completed_at=_stamp(created))
        for _ in range(rng.randint(0, 6)):
            block_id += rng.choice([1, 1, 1, 3])                  # some ids never used (deleted rows)
            status, uuid, metrics = rng.choice(STATUSES), rng.choice(UUIDS), rng.choice(METRICS)
            start = None if rng.random() < 0.1 else created + timedelta(minutes=rng.randint(0, 30),
                                                                         microseconds=rng.randint(0, 999_999))
            done = start + timedelta(minutes=rng.randint(0, 20)) if start and rng.random() < 0.8 else None
            updated = None if rng.random() < 0.2 else created + timedelta(minutes=rng.randint(0, 50))
            run_id = rng.choice([rid] * 8 + [None, 999])              # block runs without a run
            started_text = _stamp(start)
            if odd_values and start is not None and rng.random() < 0.2:
                started_text = rng.choice(["not, a time", started_text[:19]])
            if odd_values and uuid and rng.random() < 0.2:
                uuid = uuid + chr(30) + "x"
            insert(conn, "block_run", id=block_id, pipeline_run_id=run_id, block_uuid=uuid, status=status,
                   started_at=started_text, completed_at=_stamp(done), metrics=metrics,
                   updated_at=updated.strftime("%Y-%m-%d %H:%M:%S") if updated else None)
            if run_id != rid or pipeline is None or created < since:
                continue
            if uuid is not None:
                key = (pipeline, uuid.split(":", 1)[0], status or "")
                entry = counts.setdefault(key, [0, 0])
                entry[0] += 1
                entry[1] += _has_error(metrics)
            if start is not None and "," not in started_text:
                read_start = datetime.strptime(started_text, "%Y-%m-%d %H:%M:%S.%f") \
                    if len(started_text) > 19 else datetime.strptime(started_text, "%Y-%m-%d %H:%M:%S")
                end = done if done is not None else (updated.replace(microsecond=0) if updated else None) \
                    if status in FAILED_LIKE else UNTIL
                spans.append((pipeline, read_start, read_start if end is None else max(end, read_start)))
    conn.close()
    return counts, spans, since


def check_blocks(path, counts, spans, since) -> None:
    history = open_history(str(path), since=since, until=UNTIL)
    stats = history.block_run_stats()
    got = {(p, b, s): [n, e] for p, b, s, n, e in stats.itertuples(index=False)}
    assert got == counts
    assert list(stats.columns) == ["pipeline_uuid", "block", "status", "block_runs", "with_error"]
    result = history.block_pass()
    by_pipeline = {p: brute_peak([(s, e) for q, s, e in spans if q == p]) for p in {p for p, _, _ in spans}}
    assert result.peaks == by_pipeline
    assert result.overall_peak == brute_peak([(s, e) for _, s, e in spans])
    history.close()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(0, 2**32), st.sampled_from([1, 3, 7, 10_000]))
def test_sqlite_block_pass_is_the_brute_force(tmp_path_factory, monkeypatch, seed, width):
    monkeypatch.setattr(blocks_sqlite, "BLOCK_RANGE_IDS", width)
    path = tmp_path_factory.mktemp("blocks") / "mage-ai.db"
    check_blocks(path, *make_blocks(path, random.Random(seed)))


@pytest.mark.parametrize("seed", range(8))
def test_ranges_with_separators_in_values_are_read_row_by_row(tmp_path, monkeypatch, seed):
    monkeypatch.setattr(blocks_sqlite, "BLOCK_RANGE_IDS", 4)
    calls = Counter()
    plain = blocks_sqlite._from_rows
    monkeypatch.setattr(blocks_sqlite, "_from_rows", lambda *a: calls.update(["plain"]) or plain(*a))
    counts, spans, since = make_blocks(tmp_path / "mage-ai.db", random.Random(seed), odd_values=True)
    check_blocks(tmp_path / "mage-ai.db", counts, spans, since)
    assert calls["plain"] > 0


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(0, 2**32))
def test_streamed_in_small_ranges_the_peaks_stay_exact(tmp_path_factory, monkeypatch, seed):
    """The sweep histories (starts before their run's creation: the stream's second pass)
    read a few block runs at a time."""
    monkeypatch.setattr(blocks_sqlite, "BLOCK_RANGE_IDS", 3)
    path = tmp_path_factory.mktemp("sweep_ranges") / "mage-ai.db"
    expected = make_history(path, random.Random(seed))
    from test_history_sweep import UNTIL as SWEEP_UNTIL
    history = open_history(str(path), until=SWEEP_UNTIL)
    assert_exact(history, expected)
    history.close()
