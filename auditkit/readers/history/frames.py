"""The run frame: one compact numeric row per pipeline run, for analytics computed locally.

SQLite sorts for every GROUP BY and window (no hash aggregation), so on SQLite the pipeline_run
table is read once, in primary-key order with no sort in the database, into a numeric frame
from which every pipeline-level analytic derives (see :mod:`runs_local`). PostgreSQL computes
the same analytics in the server instead (:mod:`runs_server`) and never builds this frame.

Times are epoch **microseconds** in float64, exact (float64 holds integers exactly below
2**53, past the year 2200): SQLite's own date functions keep milliseconds only, so its text
timestamps are parsed here by numpy; Postgres sends integer microseconds.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from . import queries as q
from .ranges import PassFailed, id_bounds, ordered_ranges, text_row
from .schema import ENUMS

STATUSES = list(ENUMS["pipelinerunstatus"])
RUN_COLUMNS = ["id", "pipeline", "status", "schedule_id", "passed_sla", "backfill_id", "manual",
               "created", "started", "completed", "execution", "end"]
TIME_COLUMNS = ["created", "started", "completed", "execution", "end"]
RUN_RANGE_IDS = 100_000                                # runs per statement
US = 1_000_000                                         # microseconds per second
EARLIEST, LATEST = -2_208_988_800 * US, 7_258_118_400 * US   # 1900-01-01 .. 2200-01-01


def distinct_values(h, column: str) -> list[str]:
    """Distinct pipeline_run values of an indexed column (cheap: reads the index)."""
    frame = h.query(f"SELECT DISTINCT {h.d.text(column)} AS v FROM pipeline_run WHERE {column} IS NOT NULL",
                    f"distinct_{column}", columns=["v"])
    return sorted(str(v) for v in frame["v"])


def times_us(values: list) -> np.ndarray:
    """SQLite timestamp texts (or None) as float64 epoch microseconds, NaN when missing or
    unreadable. numpy parses Mage's own forms exactly; anything else goes through pandas'
    lenient parser, and bare numbers are Julian days, as SQLite's date functions read them."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")              # a time zone numpy would drop: lenient path
            stamps = np.array(values, dtype="datetime64[us]")
        return np.where(np.isnat(stamps), np.nan, stamps.astype(np.int64).astype(np.float64))
    except (ValueError, TypeError, UserWarning, DeprecationWarning, OverflowError):
        return _lenient_times(values)


STAMP = np.dtype([("stamp", "S26"), ("comma", "S1")])     # 'YYYY-MM-DD HH:MM:SS.ffffff,'


def joined_times_us(joined: bytes) -> np.ndarray:
    """Comma-separated SQLite timestamps as epoch microseconds. When every value has Mage's
    own 26-character form (the usual case) numpy reads them in place, with no Python string
    per value; otherwise they are split and read by :func:`times_us`."""
    if (len(joined) + 1) % STAMP.itemsize == 0:
        fixed = np.frombuffer(joined + b",", dtype=STAMP)
        if (fixed["comma"] == b",").all():
            try:
                stamps = fixed["stamp"].astype("datetime64[us]")
                return np.where(np.isnat(stamps), np.nan, stamps.astype(np.int64).astype(np.float64))
            except ValueError:
                pass
    return times_us(joined.decode("utf-8", "replace").split(",")) if joined else np.empty(0)


def _lenient_times(values: list) -> np.ndarray:
    series = pd.Series(values, dtype=object)
    julian = pd.to_numeric(series, errors="coerce")
    parsed = pd.to_datetime(series.where(julian.isna()), utc=True, format="mixed", errors="coerce")
    stamps = parsed.dt.tz_localize(None).to_numpy(dtype="datetime64[us]")
    out = np.where(np.isnat(stamps), np.nan, stamps.astype(np.int64).astype(np.float64))
    days = julian.to_numpy(dtype=np.float64)
    from_days = np.round((days - 2440587.5) * 86400.0 * 1000) * 1000   # SQLite keeps milliseconds
    return np.where(np.isnan(days), out, from_days)


def plausible(times: np.ndarray) -> np.ndarray:
    """True where a time is known and between 1900 and 2200."""
    return (times >= EARLIEST) & (times <= LATEST)


def _numbers(text: str) -> np.ndarray:
    """A comma-separated column of numbers (``nan`` for NULL); odd values become NaN."""
    if text is None:
        return np.empty(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            values = np.fromstring(text, sep=",")
    except (ValueError, DeprecationWarning):
        values = np.empty(0)
    if len(values) != text.count(",") + 1:       # a value fromstring cannot read
        values = pd.to_numeric(pd.Series(text.split(",")), errors="coerce").to_numpy(dtype=np.float64)
    return values


def _range_columns(h, db, sql: str, low: int, high: int) -> list[np.ndarray]:
    """One range of the run frame: 7 number columns and 5 time columns."""
    row = text_row(h, db, sql, {"low": low, "high": high})
    if row is None or row[0] is None:
        return [np.empty(0) for _ in RUN_COLUMNS]
    numbers = [_numbers(value) for value in row[:7]]
    parse = _numbers if h.d.pg else (lambda value: times_us(value.split(",")))
    times = [parse(value or "") for value in row[7:]]
    size = len(numbers[0])
    return [a if len(a) == size else np.full(size, np.nan) for a in numbers + times]


def run_frame(h) -> pd.DataFrame:
    """One row per pipeline run in the window (columns: RUN_COLUMNS); ``pipeline``/``status``
    are codes into ``frame.attrs['pipelines'|'statuses']``."""
    pipelines = distinct_values(h, "pipeline_uuid")
    statuses = STATUSES + [s for s in distinct_values(h, "status") if s not in STATUSES]
    bounds = id_bounds(h)
    parts = []
    if bounds is not None:
        sql = q.run_columns(h, pipelines, statuses)
        try:
            for part in ordered_ranges(h, "run_frame", *bounds, lambda db, a, b: _range_columns(h, db, sql, a, b),
                                       width=RUN_RANGE_IDS):
                parts.append(part)
        except PassFailed:
            parts = []
    arrays = [np.concatenate([p[i] for p in parts]) if parts else np.empty(0) for i in range(len(RUN_COLUMNS))]
    frame = pd.DataFrame(dict(zip(RUN_COLUMNS, arrays)))
    known = frame[TIME_COLUMNS].notna()
    implausible = known & ~frame[TIME_COLUMNS].apply(plausible)
    if implausible.to_numpy().any():
        # Years like 0001 or 9999 (or a Julian day number read as a date) would break every
        # time computation downstream; they are treated as unknown and reported.
        frame[TIME_COLUMNS] = frame[TIME_COLUMNS].mask(implausible)
        h._problem("implausible_times", f"{int(implausible.any(axis=1).sum())} pipeline runs have "
                                        "timestamps outside 1900-2200; those times are ignored", "history_data")
    # A run holds its slot until its end, never before its start (NaN end: from the start).
    frame["end"] = np.fmax(frame["end"].to_numpy(), frame["started"].to_numpy())
    for column in ("id", "pipeline", "status", "passed_sla", "manual"):
        frame[column] = frame[column].fillna(-1 if column in ("pipeline", "status") else 0).astype(np.int64)
    frame.attrs["pipelines"], frame.attrs["statuses"] = pipelines, statuses
    return frame


def with_names(frame: pd.DataFrame) -> pd.DataFrame:
    """Add ``pipeline_uuid`` and ``status_name`` (categorical) to a run frame."""
    pipelines = pd.Categorical.from_codes(frame["pipeline"], categories=frame.attrs["pipelines"]) \
        if frame.attrs.get("pipelines") else pd.Categorical([None] * len(frame))
    statuses = np.array(frame.attrs["statuses"] + ["UNKNOWN"], dtype=object)
    return frame.assign(pipeline_uuid=pipelines, status_name=statuses[frame["status"].to_numpy()])
