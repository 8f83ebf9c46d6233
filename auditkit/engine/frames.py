"""Small helpers rules share for reading inventory frames safely.

Frames come from readers that may leave a value missing (None, NaN) or a column absent
(an older reader); rules treat both as "unknown" and report nothing rather than guess.

Speed: inside :func:`shared_lookups` (the engine opens one per rule run) the row dicts of a
frame and the lookups built from an inventory are made once and shared by every rule, instead
of once per rule (or per finding). Outside it every call builds afresh, as before.
"""
from __future__ import annotations

import math
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Callable, Iterator

import numpy as np
import pandas as pd

# Block types whose files hold pipeline logic (the guide's size/naming/testing advice is for these).
LOGIC_BLOCK_TYPES = ("data_loader", "transformer", "data_exporter", "custom")
CODE_LANGUAGES = ("python", "sql", "r")


# (kind, id(obj), ...) -> (objs, value). Holding the objects keeps their ids from being reused
# while the scope is open, and the identity check below makes a stale hit impossible.
_SHARED: ContextVar[dict | None] = ContextVar("auditkit_rule_lookups", default=None)


@contextmanager
def shared_lookups() -> Iterator[None]:
    """Share rows and lookups between rules for the duration of the block.

    Rules only read the inventory, so what one rule derived from a frame object is valid for
    the next; the cache is dropped when the block ends, so a later run (or a new inventory)
    never sees values derived from earlier data.
    """
    token = _SHARED.set({})
    try:
        yield
    finally:
        _SHARED.reset(token)


def shared(kind: str, objs: tuple, build: Callable[[], Any]) -> Any:
    """``build()``, computed once per ``kind`` and identity of the objects ``objs`` it derives
    from, inside :func:`shared_lookups` (outside, every call builds).

    Callers must treat the value as read-only: other rules receive the same object.
    """
    cache = _SHARED.get()
    if cache is None:
        return build()
    key = (kind, *map(id, objs))
    hit = cache.get(key)
    if hit is not None and all(a is b for a, b in zip(hit[0], objs)):
        return hit[1]
    value = build()
    cache[key] = (objs, value)
    return value


def frame_of(inventory: Any, name: str) -> pd.DataFrame:
    """``inventory.<name>`` or an empty frame when the reader did not provide it."""
    frame = getattr(inventory, name, None)
    return frame if isinstance(frame, pd.DataFrame) else pd.DataFrame()


def rows(frame: pd.DataFrame) -> Iterator[dict]:
    """Rows as plain dicts (missing values become None). The dicts may be shared: read only."""
    return iter(records(frame))


def records(frame: pd.DataFrame) -> list[dict]:
    """The rows of ``frame`` as a list of dicts (missing values become None), built once per
    frame inside :func:`shared_lookups`. The dicts may be shared: read only."""
    return shared("records", (frame,), lambda: _to_records(frame))


def _to_records(frame: pd.DataFrame) -> list[dict]:
    if not frame.columns.is_unique or frame.shape[1] == 0:
        return [{k: (None if is_missing(v) else v) for k, v in record.items()}
                for record in frame.to_dict("records")]
    # Column by column, then zipped into rows: the same values as to_dict("records") but
    # several times faster on frames of many string columns.
    names = list(frame.columns)
    columns = [_column_values(frame.iloc[:, i]) for i in range(len(names))]
    return [dict(zip(names, row)) for row in zip(*columns)]


# Exact types to_dict() passes through unchanged (its maybe_box_native only touches numpy
# scalars, Python numbers and pd.NA); anything else goes through _native().
_PLAIN_TYPES = frozenset({str, dict, list, tuple, type(None), bool})


def _column_values(column: pd.Series) -> list:
    """A column's values as to_dict("records") gives them, missing values as None."""
    dtype = column.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "biu":
        return column.to_numpy().tolist()            # cannot hold a missing value
    if isinstance(dtype, np.dtype) and dtype.kind == "f":
        return [None if v != v else v for v in column.to_numpy().tolist()]
    if isinstance(dtype, pd.StringDtype):
        values = column.to_numpy(dtype=object).tolist()      # str, or NaN / pd.NA when missing
        return [v if v.__class__ is str else None if is_missing(v) else v for v in values]
    if dtype == object:
        return [v if v.__class__ in _PLAIN_TYPES else _native(v) for v in column.to_numpy().tolist()]
    values = column.to_frame(name="v").to_dict("list")["v"]   # datetimes, categoricals, ...: pandas boxes them
    return [None if is_missing(v) else v for v in values]


def _native(value: Any) -> Any:
    """maybe_box_native() of to_dict(), then missing values as None."""
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return None if value != value else value
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    elif isinstance(value, np.timedelta64):
        value = pd.Timedelta(value)
    return None if is_missing(value) else value


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


def logic_files(inventory: Any, *, include_unused: bool = False) -> Iterator[dict]:
    """``block_files`` rows of code files that hold the team's pipeline logic and were read.

    Untouched Mage templates are left out (not the team's code; MAGE-BLK-013 reports them once),
    and so are files no pipeline uses unless ``include_unused``: MAGE-BLK-010 already reports
    those, and findings piled on dead code are noise.
    """
    frame = frame_of(inventory, "block_files")
    rows_ = shared("logic_files", (frame,), lambda: _logic_rows(frame))
    if include_unused:
        return iter(rows_)
    return iter(row for row in rows_ if row.get("referenced") is not False)


def _logic_rows(frame: pd.DataFrame) -> list[dict]:
    return [row for row in records(frame)
            if not row.get("skipped") and not row.get("template")
            and row.get("block_type") in LOGIC_BLOCK_TYPES and row.get("language") in CODE_LANGUAGES]


def template_files(inventory: Any) -> set[tuple[str, str]]:
    """(project, path) of block files that are untouched Mage templates."""
    frame = frame_of(inventory, "block_files")
    return shared("template_files", (frame,), lambda: {
        (row["project"], row["path"]) for row in records(frame) if row.get("template")})


def pipeline_condition(inventory: Any) -> dict[tuple[str, str], str]:
    """(project, pipeline) -> why the pipeline is not live team work, for pipelines that are not:

    * ``scaffolding``: every block with a file is an untouched Mage template (``example_pipeline``
      of ``mage init``, or a pipeline of fresh template blocks);
    * ``empty``: no executable block (MAGE-PIP-007 reports it);
    * ``broken``: a block's file is missing (MAGE-BLK-009 reports it) or is not valid Python
      (an input problem says so).

    Pipeline-level advice (retries, descriptions, data checks, ...) is noise on these: the
    finding that matters is the one saying what is wrong with the pipeline itself.
    """
    blocks = frame_of(inventory, "blocks")
    pipelines = frame_of(inventory, "pipelines")
    return shared("pipeline_condition", (blocks, pipelines, frame_of(inventory, "block_files")),
                  lambda: _pipeline_condition(inventory, blocks, pipelines))


def _pipeline_condition(inventory: Any, blocks: pd.DataFrame, pipelines: pd.DataFrame) -> dict:
    templates = template_files(inventory)
    problems = frame_of(inventory, "input_problems")
    unparsable = set(problems.loc[problems["kind"] == "syntax", "path"]) if "kind" in problems else set()
    members: dict[tuple[str, str], list[dict]] = {}
    for row in records(blocks):
        if row.get("section") in (None, "blocks"):
            members.setdefault((row["project"], row["pipeline"]), []).append(row)
    out: dict[tuple[str, str], str] = {}
    for p in records(pipelines):
        key = (p["project"], p["pipeline"])
        entries = [b for b in members.get(key, []) if b.get("block_type") not in ("markdown", "chart", "scratchpad")]
        with_file = [b for b in entries if b.get("path_source") != "none" and b.get("path")]
        if not entries:
            out[key] = "empty"
        elif any(b.get("file_exists") is False or b["path"] in unparsable for b in with_file):
            out[key] = "broken"
        elif with_file and all((b["project"], b["path"]) in templates for b in with_file):
            out[key] = "scaffolding"
    return out


def short_list(values: Any, limit: int = 5) -> str:
    values = [str(v) for v in values]
    more = f", ... (+{len(values) - limit})" if len(values) > limit else ""
    return ", ".join(values[:limit]) + more


def plural(count: int, word: str, many: str | None = None) -> str:
    """``1 block``, ``3 blocks`` (``many`` for irregular plurals): messages read as English."""
    return f"{count} {word if count == 1 else (many or word + 's')}"


def file_place(row: dict) -> dict:
    """Where a finding about a ``block_files`` row points: its project, block uuid and path."""
    return {"project": row["project"], "block": row.get("block"), "path": row["path"]}
