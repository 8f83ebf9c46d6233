"""Primary-key ranges of pipeline_run, fetched in order on a few connections.

The big tables are read one id range at a time: each range is one short statement, two
connections fetch ranges ahead while the caller consumes them in order, and at most
:data:`AHEAD` ranges wait in memory. So the client holds a few ranges, never the history, and
no statement runs long enough to meet the statement timeout, whatever the history's size.
"""
from __future__ import annotations

from collections import deque
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from itertools import islice

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .source import _describe

RANGE_IDS = 20_000          # pipeline runs per statement (~200k block runs at ten blocks a run)
WORKERS = 2
AHEAD = 4


class PassFailed(Exception):
    """A range statement failed; the reason is already an input problem."""


def _errors(h) -> tuple:
    dbapi = getattr(h.engine.dialect, "dbapi", None)
    return (SQLAlchemyError, ValueError, TypeError) + ((dbapi.Error,) if dbapi is not None else ())


def ordered_ranges(h, name: str, low: int, high: int, fetch, *, width: int | None = None,
                   workers: int | None = None, ahead: int | None = None):
    """Yield ``fetch(db, low, high)`` for consecutive id ranges covering [low, high], in
    order, computed on ``workers`` connections with at most ``ahead`` ranges in flight.
    A failing statement (timeout, lost connection) becomes an input problem and ends the
    pass with :class:`PassFailed`."""
    width, workers, ahead = width or RANGE_IDS, workers or WORKERS, ahead or AHEAD
    bounds = [(a, min(a + width, high + 1)) for a in range(low, high + 1, width)]

    def task(a: int, b: int):
        with h.engine.connect() as db:
            return fetch(db, a, b)

    pending: deque = deque()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        todo = iter(bounds)
        pending.extend(pool.submit(task, a, b) for a, b in islice(todo, ahead))
        try:
            while pending:
                result = pending.popleft().result()
                pending.extend(pool.submit(task, a, b) for a, b in islice(todo, 1))
                yield result
        except _errors(h) as exc:
            h._problem(name, f"query {name} failed: {_describe(exc)}")
            raise PassFailed(name) from exc
        finally:
            for future in pending:
                future.cancel()


def id_bounds(h) -> tuple[int, int] | None:
    """Smallest and largest pipeline_run id (read from the primary key), or None."""
    # Two subqueries: SQLite reads MIN and MAX from the primary key alone only one per SELECT.
    frame = h.query("SELECT (SELECT MIN(id) FROM pipeline_run), (SELECT MAX(id) FROM pipeline_run)", "id_bounds",
                    columns=["low", "high"])
    if frame.empty or frame.iloc[0].isna().any():
        return None
    return int(frame.iloc[0, 0]), int(frame.iloc[0, 1])




@contextmanager
def sqlite_bytes_cursor(db):
    """A raw SQLite cursor whose text comes back as bytes: decoded once per value a caller
    needs (invalid UTF-8 replaced, never fatal) instead of through a Python callback per
    value. The connection's text factory is restored afterwards."""
    raw = db.connection.dbapi_connection
    before = raw.text_factory
    raw.text_factory = bytes
    cursor = raw.cursor()
    try:
        yield cursor
    finally:
        cursor.close()
        raw.text_factory = before


def text_row(h, db, sql: str, params: dict) -> tuple | None:
    """The one row of an aggregate statement, its text values as str."""
    params = {**h.params(), **params}
    if h.d.pg:
        return tuple(db.execute(text(sql), params).one())
    with sqlite_bytes_cursor(db) as cursor:
        row = cursor.execute(sql, params).fetchone()
    return None if row is None else tuple(v.decode("utf-8", "replace") if isinstance(v, bytes) else v for v in row)
