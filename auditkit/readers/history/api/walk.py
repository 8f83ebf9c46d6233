"""Walk Mage's list endpoints in bounded pages.

Pipeline runs (the big list) are walked in windows of ``created_at``: each page is ordered by
``created_at asc, id asc`` and starts at the whole second of the last run already read
(``start_timestamp``), skipping with a small ``_offset`` only the runs of that one second read
before, minus one: the first run of every page must be the last run of the previous one. So a
page never sits behind a deep offset, and runs inserted while the walk goes on cannot shift it.
Mage has no ``id`` filter on this list, hence the time cursor.

Time zone: Mage turns ``start_timestamp``/``end_timestamp`` (Unix seconds) into naive
server-local time and compares them with ``created_at``, which it stores as naive UTC. The walk
guesses a server in UTC (Mage's Docker image), and checks the guess on every page through that
overlapping run. When the check fails (another time zone, or rows deleted meanwhile) the walk
goes on with plain ``_offset`` paging ordered by id, which is right in any time zone, and says
so. The ``since``/``until`` bounds are pushed widened by 14 hours (the largest UTC offset); the
History's own window filter then makes the result exact.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from .client import ApiError, MageClient

MAX_UTC_OFFSET = timedelta(hours=14)
DEFAULT_PAGE_SIZE = 200
MAX_PAGE_SIZE = 1000
RUN_ORDER = "created_at asc,id asc"


def parse_time(value) -> datetime | None:
    """An API timestamp (``'2026-11-21 23:35:11'``, ISO, with or without offset) as naive UTC."""
    if not value or not isinstance(value, str):
        return None
    try:
        stamp = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(timezone.utc).replace(tzinfo=None)
    return stamp


def epoch(value: datetime) -> float:
    """Unix seconds of a naive UTC datetime."""
    return value.replace(tzinfo=timezone.utc).timestamp()


@dataclass
class WalkStats:
    """What a walk did, for the reader's problems and the benchmark."""

    pages: int = 0
    rows: int = 0
    reported_count: int | None = None
    fell_back: str | None = None
    notes: list[str] = field(default_factory=list)


def list_all(client: MageClient, path: str, key: str, *, page_size: int = DEFAULT_PAGE_SIZE,
             params: dict | None = None) -> Iterator[list[dict]]:
    """Every page of a small list (schedules, backfills) by ``_limit``/``_offset``."""
    offset = 0
    while True:
        body = client.get(path, {**(params or {}), "_limit": page_size, "_offset": offset})
        rows = _rows(body, key, path)
        if rows:
            yield rows
        offset += len(rows)
        if not _has_next(body) or not rows:
            return


def _rows(body: dict, key: str, path: str) -> list[dict]:
    rows = body.get(key)
    if not isinstance(rows, list):
        raise ApiError(f"GET {path}: the answer has no list {key!r}")
    return [r for r in rows if isinstance(r, dict)]


def _has_next(body: dict) -> bool:
    meta = body.get("metadata")
    return bool(meta.get("next")) if isinstance(meta, dict) else False


def _count(body: dict) -> int | None:
    meta = body.get("metadata")
    value = meta.get("count") if isinstance(meta, dict) else None
    return value if isinstance(value, int) else None


def run_bounds(since: datetime | None, until: datetime | None) -> dict:
    """``start_timestamp``/``end_timestamp`` for a window, widened by the largest UTC offset."""
    params = {}
    if since is not None:
        params["start_timestamp"] = max(0, math.floor(epoch(since - MAX_UTC_OFFSET)))
    if until is not None:
        params["end_timestamp"] = math.ceil(epoch(until + MAX_UTC_OFFSET))
    return params


def walk_runs(client: MageClient, *, since: datetime | None = None, until: datetime | None = None,
              page_size: int = DEFAULT_PAGE_SIZE, extra: dict | None = None, stats: WalkStats | None = None,
              on_total: Callable[[int], None] | None = None) -> Iterator[list[dict]]:
    """Pages of pipeline runs (new runs only; a run may repeat after a fallback: key by id)."""
    stats = stats if stats is not None else WalkStats()
    page_size = max(2, min(page_size, MAX_PAGE_SIZE))     # 2: a page holds the overlap run and a new one
    base = {"include_all_pipeline_schedules": "true", "disable_retries_grouping": "true",
            "_limit": page_size, **run_bounds(since, until), **(extra or {})}
    floor_param = base.get("start_timestamp")
    cursor: int | None = None          # whole second (Unix) of the last run read
    overlap = 0                        # runs read so far in that second
    last_id = None
    while True:
        params = dict(base, **{"order_by[]": RUN_ORDER})
        if cursor is not None:
            params["start_timestamp"] = max(cursor, floor_param or 0)
            params["_offset"] = overlap - 1
        body = client.get("/api/pipeline_runs", params)
        rows = _rows(body, "pipeline_runs", "/api/pipeline_runs")
        stats.pages += 1
        if stats.reported_count is None:
            stats.reported_count = _count(body)
            if on_total is not None and stats.reported_count is not None:
                on_total(stats.reported_count)
        if cursor is not None:
            if not rows or rows[0].get("id") != last_id:
                stats.fell_back = ("the server's created_at filter did not match UTC (another server "
                                   "time zone, or runs deleted while reading); read with _offset paging instead")
                yield from _walk_by_offset(client, base, page_size, stats)
                return
            rows = rows[1:]
        if rows:
            stats.rows += len(rows)
            yield rows
        if not _has_next(body) or not rows:
            return
        second = _second(rows[-1])
        if second is None:
            stats.fell_back = "a run without a readable created_at; read with _offset paging instead"
            yield from _walk_by_offset(client, base, page_size, stats)
            return
        overlap = (overlap if second == cursor else 0) + sum(1 for r in rows if _second(r) == second)
        cursor, last_id = second, rows[-1].get("id")


def _second(run: dict) -> int | None:
    created = parse_time(run.get("created_at"))
    return math.floor(epoch(created)) if created is not None else None


def _walk_by_offset(client: MageClient, base: dict, page_size: int, stats: WalkStats) -> Iterator[list[dict]]:
    """The slow, always-right walk: ``order_by[]=id asc`` with growing ``_offset``."""
    offset = 0
    while True:
        body = client.get("/api/pipeline_runs", dict(base, **{"order_by[]": "id asc", "_offset": offset}))
        rows = _rows(body, "pipeline_runs", "/api/pipeline_runs")
        stats.pages += 1
        if rows:
            stats.rows += len(rows)
            yield rows
        offset += len(rows)
        if not _has_next(body) or not rows:
            return


def walk_runs_by_offset(client: MageClient, *, since: datetime | None = None, until: datetime | None = None,
                        page_size: int = DEFAULT_PAGE_SIZE, stats: WalkStats | None = None) -> Iterator[list[dict]]:
    """Naive deep-offset paging (for the benchmark's comparison only)."""
    stats = stats if stats is not None else WalkStats()
    base = {"include_all_pipeline_schedules": "true", "disable_retries_grouping": "true",
            "_limit": max(1, min(page_size, MAX_PAGE_SIZE)), **run_bounds(since, until)}
    yield from _walk_by_offset(client, base, base["_limit"], stats)
