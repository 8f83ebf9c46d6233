"""Small helpers shared by the history analytics (inventory access, JSON cells, numbers)."""
from __future__ import annotations

import json
from typing import Any

import pandas as pd

NON_EXECUTABLE_BLOCK_TYPES = {"markdown", "chart", "scratchpad"}
# Mage's column names in the raw history frames -> the names of every public frame (docs/columns.md)
MAGE_NAMES = {"pipeline_uuid": "pipeline", "block_uuid": "block"}


def tidy_names(frame: pd.DataFrame) -> pd.DataFrame:
    """A raw history frame (Mage's column names) with the public names: ``pipeline``, ``block``."""
    return frame.rename(columns=MAGE_NAMES)


def inventory_frame(inv: Any, name: str, columns: list[str]) -> pd.DataFrame:
    """Frame ``name`` of a RepoInventory (attribute) or of a plain dict; empty when absent."""
    if inv is None:
        return pd.DataFrame(columns=columns)
    frame = inv.get(name) if isinstance(inv, dict) else getattr(inv, name, None)
    if frame is None:
        return pd.DataFrame(columns=columns)
    frame = pd.DataFrame(frame).copy()
    for column in columns:
        if column not in frame.columns:
            frame[column] = None
    return frame


def as_dict(value: Any) -> dict:
    """A JSON/dict cell as a dict: SQL NULL, JSON 'null', malformed text and non-objects -> {}."""
    if isinstance(value, dict):
        return value
    if isinstance(value, (str, bytes)):
        try:
            parsed = json.loads(value)
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}
    return {}


def to_int(value: Any) -> int | None:
    """An int from a config value, or None (absent, Jinja text, nonsense)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if pd.notna(number) else None


def numeric(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Coerce columns to numbers in place (drivers return Decimal/None/str)."""
    for column in columns:
        if column in frame.columns:
            frame[column] = pd.to_numeric(frame[column], errors="coerce")
    return frame


def timestamps(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Coerce columns to naive UTC timestamps (SQLite text and Postgres timestamptz alike)."""
    for column in columns:
        if column in frame.columns:
            values = pd.to_datetime(frame[column], errors="coerce", utc=True, format="mixed")
            frame[column] = values.dt.tz_localize(None)
    return frame


def history_cached(func):
    """Compute an analytic once per History object and argument set.

    Rules and notebooks ask for the same tables (run health, retries, peaks) several times in one
    audit; the history can hold millions of runs. Callers get a copy, so the cached frame
    cannot be changed by accident.
    """
    import functools

    @functools.wraps(func)
    def wrapper(history, *args, **kwargs):
        if history is None:
            return func(history, *args, **kwargs)
        # Only plain, hashable arguments (periods, sizes) make a key; an inventory does not.
        key = (func.__qualname__, args, tuple(sorted(kwargs.items())))
        cache = getattr(history, "analytics_memo", None)
        try:
            hash(key)
        except TypeError:
            cache = None
        if cache is None:       # unhashable arguments, or a stand-in without a memo
            return func(history, *args, **kwargs)
        if key not in cache:
            cache[key] = func(history, *args, **kwargs)
        value = cache[key]
        return value.copy() if hasattr(value, "copy") else value

    return wrapper
