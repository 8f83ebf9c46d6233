"""The data-only codec behind the per-file cache and the saved audit: exact round trips, no code."""
from __future__ import annotations

import datetime as dt
import json
import pickle
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import NamedTuple

import numpy as np
import pandas as pd
import pytest

from auditkit.datacodec import DataCodec


@dataclass(frozen=True)
class Record:
    name: str
    tags: list = field(default_factory=list)

    def __post_init__(self):   # must not run on decoding
        if self.name == "boom":
            raise RuntimeError("__post_init__ ran")


class Pair(NamedTuple):
    left: object
    right: object


class Bag(list):
    def __init__(self, items=(), note=""):
        super().__init__(items)
        self.note = note


CODEC = DataCodec([Record, Pair, Bag])


def _frame() -> pd.DataFrame:
    return pd.DataFrame({
        "i": [1, 2, 3], "f": [1.5, float("nan"), -0.0], "b": [True, False, True],
        "nullable": pd.array([1, None, 3], dtype="Int64"), "flag": pd.array([True, None, False], dtype="boolean"),
        "text": pd.array(["a", None, "c"], dtype="str"),
        "obj": [[1, (2, 3)], {"k": {"x"}}, None],
        "when": pd.to_datetime(["2024-01-01 10:00", None, "2024-03-01 00:00"]).as_unit("us"),
        "when_utc": pd.to_datetime(["2024-01-01 10:00", "2024-02-01 00:00", None], utc=True),
        "took": pd.to_timedelta(["1s", None, "3min"]),
        "cat": pd.Categorical(["x", "y", "x"]),
    })


def _same(a, b):
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b)
    elif isinstance(a, pd.Series):
        pd.testing.assert_series_equal(a, b)
    else:
        assert type(a) is type(b) and a == b


@pytest.mark.parametrize("value", [
    None, True, 0, -7, 2**70, 1.25, "text", "", [1, "a", None], (1, (2, "x")), {"a": [1, {"b": 2}]},
    {"$looks_like_a_tag": 1, "x": 2}, {("tuple", "key"): 1, 3: "int key"}, {1, 2}, frozenset({"a"}),
    b"\x00\xffbytes", PurePosixPath("a/b.py"), dt.date(2024, 2, 29), dt.datetime(2024, 2, 29, 12, 30, 1, 5),
    dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc), dt.time(8, 15), dt.timedelta(days=2, microseconds=3),
    pd.Timestamp("2024-05-01 12:00", tz="Europe/Paris"), pd.Timestamp("2024-05-01"), pd.Timedelta("90s"),
    np.int64(5), np.float32(0.5), np.bool_(True),
    Record("r", ["t"]), Pair(1, Record("inner")), _frame(), _frame().set_index(["i", "b"]),
    _frame().iloc[0:0], pd.DataFrame(), pd.Series([1.0, None], name="s", index=["x", "y"]),
], ids=lambda v: type(v).__name__)
def test_round_trip_is_exact(value):
    back = CODEC.loads(CODEC.dumps(value))
    _same(value, back)


def test_missing_values_and_list_subclasses_survive():
    assert CODEC.loads(CODEC.dumps(pd.NaT)) is pd.NaT
    assert CODEC.loads(CODEC.dumps(pd.NA)) is pd.NA
    bag = CODEC.loads(CODEC.dumps(Bag([Record("a")], note="n")))
    assert type(bag) is Bag and bag == [Record("a")] and bag.note == "n"


def test_decoding_never_runs_the_class_code():
    text = json.dumps({"$obj": ["Record", {"name": "boom", "tags": []}]})
    assert CODEC.loads(text).name == "boom"      # no __post_init__, no __init__


@pytest.mark.parametrize("text", [
    json.dumps({"$obj": ["Popen", {"args": ["touch", "x"]}]}),            # a class not allowed
    json.dumps({"$obj": ["Record", {"name": "a", "__class__": "x"}]}),    # a field it does not have
    json.dumps({"$obj": ["Bag", {"items": [], "attrs": {"__dict__": {}}}]}),
    json.dumps({"$reduce": ["os.system", ["touch x"]]}),                  # a tag nobody writes
    json.dumps({"$tuple": [1], "extra": 2}),                              # a tag with company
    json.dumps({"$np": ["|O", "x"]}),                                     # numpy object scalar
    json.dumps({"$frame": {"columns": ["a"], "data": [["|O8", [1]]], "index": {"range": [0, 1, 1], "name": None},
                           "rows": 1}}),
    "[" * 100_000,                                                        # nesting bomb
    pickle.dumps({"a": 1}).decode("latin-1"),
])
def test_anything_it_did_not_write_is_a_value_error(text):
    with pytest.raises(ValueError):
        CODEC.loads(text)


def test_unknown_types_are_refused_when_encoding():
    with pytest.raises(TypeError):
        CODEC.dumps({"x": object()})
    with pytest.raises(TypeError):
        DataCodec().dumps(Record("not allowed here"))
