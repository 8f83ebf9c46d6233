"""Small helpers rules share for reading inventory frames safely.

Frames come from readers that may leave a value missing (None, NaN) or a column absent
(an older reader); rules treat both as "unknown" and report nothing rather than guess.
"""
from __future__ import annotations

import math
from typing import Any, Iterator

import pandas as pd

# Block types whose files hold pipeline logic (the guide's size/naming/testing advice is for these).
LOGIC_BLOCK_TYPES = ("data_loader", "transformer", "data_exporter", "custom")
CODE_LANGUAGES = ("python", "sql", "r")


def frame_of(inventory: Any, name: str) -> pd.DataFrame:
    """``inventory.<name>`` or an empty frame when the reader did not provide it."""
    frame = getattr(inventory, name, None)
    return frame if isinstance(frame, pd.DataFrame) else pd.DataFrame()


def rows(frame: pd.DataFrame) -> Iterator[dict]:
    """Rows as plain dicts (missing values become None)."""
    for record in frame.to_dict("records"):
        yield {k: (None if is_missing(v) else v) for k, v in record.items()}


def is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return value is pd.NA or value is pd.NaT


def number(value: Any) -> float | None:
    """A numeric value or None when unknown."""
    if is_missing(value) or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def fact(row: dict, key: str) -> Any:
    """A code fact of a ``block_files`` row, or None when the reader did not record it."""
    facts = row.get("facts")
    if not isinstance(facts, dict):
        return None
    return facts.get(key)


def first_line(items: Any) -> int | None:
    """The first line number of a fact list such as ``[[12, "..."], [30, "..."]]`` or ``[12, 30]``."""
    lines = fact_lines(items)
    return min(lines) if lines else None


def fact_lines(items: Any) -> list[int]:
    lines: list[int] = []
    for item in items or []:
        value = item[0] if isinstance(item, (list, tuple)) and item else item
        if isinstance(value, int) and not isinstance(value, bool):
            lines.append(value)
    return sorted(lines)


def leaf(uuid: str) -> str:
    """The last segment of a (possibly nested) block uuid: ``api/load_stripe`` -> ``load_stripe``."""
    return str(uuid).rsplit("/", 1)[-1]


def logic_files(inventory: Any) -> Iterator[dict]:
    """``block_files`` rows of code files that hold pipeline logic and were read."""
    for row in rows(frame_of(inventory, "block_files")):
        if row.get("skipped"):
            continue
        if row.get("block_type") in LOGIC_BLOCK_TYPES and row.get("language") in CODE_LANGUAGES:
            yield row


def short_list(values: Any, limit: int = 5) -> str:
    values = [str(v) for v in values]
    more = f", ... (+{len(values) - limit})" if len(values) > limit else ""
    return ", ".join(values[:limit]) + more
