"""Concurrency peaks and timelines stay exact at scale: the streamed sweeps against a brute-force
count on generated histories with ties, zero-length and NULL-ended runs, runs still open at the
window end, and block runs that start before their pipeline run was created (the stream's
second pass). Brute force: the open count at an instant t is the number of runs with
start <= t < end, and a peak is the largest open count at any run's start."""
from __future__ import annotations

import random
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditkit.analytics import concurrency
from auditkit.readers.history import open_history
from auditkit.readers.history.sweep import StreamSweep, bucket_peaks, peak_concurrency
from history_support import empty_history_db, insert

US = 1_000_000
T0 = datetime(2026, 3, 1)
UNTIL = T0 + timedelta(hours=30)                    # the window end: runs still open end here
FAILED_LIKE = {"FAILED", "CANCELLED", "UPSTREAM_FAILED", "CONDITION_FAILED"}


# --- brute force ------------------------------------------------------------------------------

def brute_open(spans, t) -> int:
    return sum(1 for s, e in spans if s <= t < e)


def brute_peak(spans) -> int:
    return max((brute_open(spans, s) for s, _ in spans), default=0)


def brute_timeline(spans, bucket) -> dict:
    """{bucket start: most open at a start inside it}."""
    out: dict = {}
    for s, _ in spans:
        key = (s // bucket) * bucket
        out[key] = max(out.get(key, 0), brute_open(spans, s))
    return out


# --- the sweeps themselves --------------------------------------------------------------------

spans_strategy = st.lists(st.tuples(st.integers(0, 40), st.integers(0, 12)).map(
    lambda p: (p[0] * US, (p[0] + p[1]) * US)), max_size=60)     # few instants: many ties


@settings(max_examples=200, deadline=None)
@given(spans_strategy)
def test_peak_concurrency_is_the_brute_force_peak(spans):
    starts = np.array([s for s, _ in spans], dtype=float)
    ends = np.array([e for _, e in spans], dtype=float)
    assert peak_concurrency(starts, ends) == brute_peak(spans)
    buckets, running = bucket_peaks(np.array(spans, dtype=float).reshape(-1, 2), 5 * US)
    assert dict(zip(buckets.tolist(), running.tolist())) == brute_timeline(spans, 5 * US)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 40), st.integers(-6, 6), st.integers(0, 12),
                          st.integers(1, 4)), max_size=60),
       st.integers(0, 8))
def test_stream_sweep_in_chunks_is_the_brute_force(rows, slack_s):
    """Runs (group, created, start offset from created, duration, chunk) arrive in creation
    order in chunks; starts may precede the creation time (then a too-small slack makes the
    first pass invalid and the second pass, with the measured slack, exact)."""
    rows = sorted(rows, key=lambda r: r[1])
    runs = [(g, c * US, (c + o) * US, (c + o + d) * US, k) for g, c, o, d, k in rows]

    def one_pass(sweep):
        chunk = []
        for i, run in enumerate(runs):
            chunk.append(run)
            if i == len(runs) - 1 or run[4] == 1:
                codes, created, starts, ends, _ = (np.array(v, dtype=float) for v in zip(*chunk))
                sweep.feed(codes.astype(np.int64), starts, ends, created)
                chunk = []
        return sweep.finish()

    sweep = StreamSweep(3, slack=slack_s * US, bucket=7 * US)
    if not one_pass(sweep):
        sweep = StreamSweep(3, slack=sweep.needed_slack, bucket=7 * US)
        assert one_pass(sweep)
    spans = {g: [(s, e) for gg, _, s, e, _ in runs if gg == g] for g in range(3)}
    assert sweep.overall == brute_peak([(s, e) for _, _, s, e, _ in runs])
    assert sweep.peak_of() == {g: brute_peak(v) for g, v in spans.items() if v}
    codes, buckets, running = sweep.timeline()
    got = {(int(c), b): int(r) for c, b, r in zip(codes, buckets.tolist(), running)}
    assert got == {(g, b): r for g, v in spans.items() for b, r in brute_timeline(v, 7 * US).items()}


# --- whole histories, through the readers -----------------------------------------------------

def _stamp(t: datetime | None, short: bool = False) -> str | None:
    """Mage's text forms: 26 characters, or updated_at's CURRENT_TIMESTAMP 19."""
    if t is None:
        return None
    return t.strftime("%Y-%m-%d %H:%M:%S" if short else "%Y-%m-%d %H:%M:%S.%f")


def _end(status: str, completed, updated, start):
    """When a run stopped holding its slot (see queries.run_end_raw), clipped to its start."""
    end = completed if completed is not None else updated if status in FAILED_LIKE else UNTIL
    return start if end is None else max(end, start)


def make_history(path, rng: random.Random):
    """A generated history and the (pipeline, start, end) spans the brute force counts:
    ({'pipeline': spans, 'block': spans})."""
    conn = empty_history_db(path)
    insert(conn, "pipeline_schedule", id=1, name="t", pipeline_uuid="p", schedule_type="TIME",
           schedule_interval="@hourly", status="ACTIVE", settings=None)
    minute = lambda n: T0 + timedelta(minutes=n)              # noqa: E731 - whole minutes: ties
    expected: dict[str, list] = {"pipeline": [], "block": []}
    block_id = 0
    for rid in range(1, rng.randint(1, 40) + 1):
        pipeline = rng.choice(["p", "q", "r"])
        status = rng.choice(["COMPLETED", "FAILED", "CANCELLED", "RUNNING", "INITIAL"])
        created = minute(rng.randint(0, 600))                 # not in id order: skew for the stream
        start = None if rng.random() < 0.1 else created + timedelta(minutes=rng.randint(0, 5))
        completed = start + timedelta(minutes=rng.randint(0, 90)) \
            if start and status == "COMPLETED" and rng.random() < 0.9 else None
        updated = None if rng.random() < 0.2 else (start or created) + timedelta(minutes=rng.randint(0, 90))
        insert(conn, "pipeline_run", id=rid, pipeline_schedule_id=1, pipeline_uuid=pipeline, status=status,
               created_at=_stamp(created), started_at=_stamp(start), completed_at=_stamp(completed),
               updated_at=_stamp(updated, short=True), execution_date=_stamp(created))
        if start is not None:
            expected["pipeline"].append((pipeline, start, _end(status, completed, updated, start)))
        for _ in range(rng.randint(0, 4)):
            block_id += 1
            bstatus = rng.choice(["COMPLETED", "FAILED", "UPSTREAM_FAILED", "RUNNING", "QUEUED"])
            bstart = None if rng.random() < 0.1 else created + timedelta(minutes=rng.randint(-500, 60))
            bdone = bstart + timedelta(minutes=rng.randint(0, 50)) \
                if bstart and bstatus == "COMPLETED" and rng.random() < 0.9 else None
            bupdated = None if rng.random() < 0.2 else (bstart or created) + timedelta(minutes=rng.randint(0, 50))
            insert(conn, "block_run", id=block_id, pipeline_run_id=rid, block_uuid=rng.choice(["a", "b:1"]),
                   status=bstatus, started_at=_stamp(bstart), completed_at=_stamp(bdone),
                   updated_at=_stamp(bupdated, short=True), metrics=None)
            if bstart is not None:
                expected["block"].append((pipeline, bstart, _end(bstatus, bdone, bupdated, bstart)))
    conn.close()
    return expected


def assert_exact(history, expected) -> None:
    """Peaks (both levels) and the hourly pipeline-run timeline equal the brute force."""
    for level in ("pipeline", "block"):
        spans = expected[level]
        peaks = concurrency.observed_peaks(history, level)
        by_pipeline = {p: brute_peak([(s, e) for q, s, e in spans if q == p]) for p in {p for p, _, _ in spans}}
        assert dict(zip(peaks["pipeline"], peaks["peak"].astype(int))) == by_pipeline, level
        overall = int(peaks["overall_peak"].iloc[0]) if len(peaks) else 0
        assert overall == brute_peak([(s, e) for _, s, e in spans]), level
    timeline = concurrency.concurrency_timeline(history)
    got = {(p, b.to_pydatetime()): int(r) for p, b, r in zip(timeline["pipeline"], timeline["bucket"],
                                                                timeline["running"])}
    hour = timedelta(hours=1)
    want = {}
    for pipeline in {p for p, _, _ in expected["pipeline"]}:
        spans = [(s, e) for p, s, e in expected["pipeline"] if p == pipeline]
        for s, _ in spans:
            key = (pipeline, T0 + ((s - T0) // hour) * hour)
            want[key] = max(want.get(key, 0), brute_open(spans, s))
    assert got == want
    assert history.problems == []


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(0, 2**32))
def test_sqlite_peaks_and_timeline_are_exact(tmp_path_factory, seed):
    path = tmp_path_factory.mktemp("sweep") / "mage-ai.db"
    expected = make_history(path, random.Random(seed))
    history = open_history(str(path), until=UNTIL)
    assert_exact(history, expected)
    history.close()


@pytest.mark.postgres
@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_postgres_peaks_and_timeline_are_exact(pg_server, tmp_path, seed):
    from pg import load_mage_history
    expected = make_history(tmp_path / "mage-ai.db", random.Random(seed))
    url = pg_server.createdb(f"sweep{seed}")
    load_mage_history(url, tmp_path / "mage-ai.db")
    history = open_history(url, until=UNTIL)
    assert_exact(history, expected)
    history.close()


@pytest.fixture(scope="module")
def pg_server(tmp_path_factory):
    from pg import PgServer, PgUnavailable
    try:
        server = PgServer.start(tmp_path_factory.mktemp("pg_sweep"))
    except PgUnavailable as exc:
        pytest.skip(str(exc))
    yield server
    server.stop()
