"""The row dicts rules read (engine/frames.py) are exactly pandas' own ``to_dict("records")``
with missing values as None.

``_to_records`` builds them column by column, several times faster than ``to_dict`` on wide
frames of strings (benchmarks/bench_records.py); this shortcut is allowed only because it is
compared with the library on generated frames of every dtype the readers produce.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from auditkit.engine.frames import _to_records, is_missing


def reference(frame: pd.DataFrame) -> list[dict]:
    return [{k: (None if is_missing(v) else v) for k, v in row.items()} for row in frame.to_dict("records")]


def same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and np.isnan(a) and np.isnan(b):
        return True
    return type(a) is type(b) and a == b


columns = {
    "ints": st.lists(st.integers(-10**9, 10**9)),
    "floats": st.lists(st.one_of(st.floats(allow_infinity=False, allow_nan=False), st.none())),
    "strings": st.lists(st.one_of(st.text(max_size=8), st.none())),
    "objects": st.lists(st.one_of(st.none(), st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
                                  st.text(max_size=5), st.booleans(), st.integers())),
    "bools": st.lists(st.booleans()),
    "nullable_ints": st.lists(st.one_of(st.integers(-100, 100), st.none())),
    "times": st.lists(st.one_of(st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2030, 1, 1)), st.none())),
}


@st.composite
def frames(draw):
    n = draw(st.integers(0, 12))
    data = {}
    for name, strategy in columns.items():
        values = draw(strategy.map(lambda v: (v * (n // max(len(v), 1) + 1))[:n] if v else [None] * n))
        data[name] = values
    frame = pd.DataFrame(data)
    frame["nullable_ints"] = frame["nullable_ints"].astype("Int64")
    frame["strings_dtype"] = frame["strings"].astype("string")
    frame["category"] = frame["strings"].astype("category")
    frame["times"] = pd.to_datetime(frame["times"])
    frame["deltas"] = frame["times"] - pd.Timestamp("2000-01-01")
    return frame


@settings(max_examples=200, deadline=None)
@given(frames())
def test_rows_equal_pandas_to_dict_records(frame):
    ours, theirs = _to_records(frame), reference(frame)
    assert len(ours) == len(theirs)
    for mine, expected in zip(ours, theirs):
        assert list(mine) == list(expected)
        for key in expected:
            assert same(mine[key], expected[key]), (key, mine[key], expected[key])


def test_real_inventory_frames_give_the_same_rows(fixtures_dir):
    from auditkit.readers.repo import read_repo

    inv = read_repo(fixtures_dir / "repos" / "rich_repo", cache=False)
    for name in ("projects", "pipelines", "blocks", "block_files", "edges", "triggers", "io_config"):
        frame = getattr(inv, name)
        assert [list(r.items()) for r in _to_records(frame)] == [list(r.items()) for r in reference(frame)], name
