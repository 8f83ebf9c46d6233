"""Data-only JSON encoding of auditkit's results: nothing read back can run code.

``pickle`` rebuilds whatever its input names, so a crafted file runs code when it is loaded. The
per-file cache (which CI caches share between runs) and the saved audit (read back by the
report's notebooks) are stored as JSON text instead. Plain values are themselves; everything
else is a one-key object whose key starts with ``$``:

* ``$tuple``, ``$set``, ``$frozenset``: lists of items; ``$dict``: ``[key, value]`` pairs, for
  dicts whose keys are not all strings or that have a key starting with ``$``;
* ``$frame`` / ``$series``: pandas data column by column, each with its dtype (numbers, dates
  and nullable columns as plain lists, object columns item by item);
* ``$ts``, ``$dt``, ``$date``, ``$time``, ``$td``, ``$pytd``, ``$nat``, ``$na``, ``$np``,
  ``$bytes``, ``$path``: timestamps, durations, missing values, numpy scalars, bytes, paths;
* ``$obj``: ``[name, fields]`` for one of the record classes the caller allows (dataclasses,
  named tuples, list subclasses). They are rebuilt by setting their fields; none of their code
  runs, and a name outside the caller's allow-list is an error.

:meth:`DataCodec.loads` raises ``ValueError`` on anything this module did not write (an unknown
tag, a class not allowed, a field the class does not have), so callers treat it as a miss.
"""
from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json
from pathlib import PurePath, PurePosixPath
from typing import Any, Callable, Iterable

import numpy as np
import pandas as pd
from pandas.api.types import pandas_dtype

_NAT_I8 = np.iinfo(np.int64).min


class DataCodec:
    """JSON encoding and decoding limited to plain data and the ``types`` given by the caller."""

    def __init__(self, types: Iterable[type] = ()) -> None:
        self.by_name: dict[str, type] = {}
        for cls in types:
            if cls.__name__ in self.by_name and self.by_name[cls.__name__] is not cls:
                raise ValueError(f"two allowed classes are named {cls.__name__}")
            self.by_name[cls.__name__] = cls
        self.names = {cls: name for name, cls in self.by_name.items()}
        self._tags: dict[str, Callable[[Any], Any]] = {
            "$tuple": tuple, "$set": set, "$frozenset": frozenset, "$dict": _pairs_to_dict,
            "$frame": _decode_frame, "$series": _decode_series, "$ts": _decode_timestamp,
            "$dt": _decode_datetime, "$date": dt.date.fromisoformat, "$time": dt.time.fromisoformat,
            "$td": lambda ns: pd.Timedelta(int(ns), unit="ns"),
            "$pytd": lambda us: dt.timedelta(microseconds=int(us)),
            "$nat": lambda _: pd.NaT, "$na": lambda _: pd.NA, "$np": _decode_numpy,
            "$bytes": lambda text: base64.b64decode(text.encode("ascii"), validate=True),
            "$path": PurePosixPath, "$obj": self._decode_object,
        }

    # --- encoding -------------------------------------------------------------------------
    def dumps(self, value: Any) -> str:
        """JSON text of ``value``; ``TypeError`` for a value of a type this codec cannot hold."""
        return json.dumps(self.encode(value), separators=(",", ":"), ensure_ascii=False)

    def encode(self, value: Any) -> Any:
        """``value`` as plain JSON-ready data (see the module docstring)."""
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, np.generic):
            return value
        cls = type(value)
        if cls in self.names:
            return {"$obj": [self.names[cls], self._fields_of(value)]}
        if isinstance(value, dict):
            if all(isinstance(k, str) and not k.startswith("$") for k in value):
                return {k: self.encode(v) for k, v in value.items()}
            return {"$dict": [[self.encode(k), self.encode(v)] for k, v in value.items()]}
        if cls is list:
            return [self.encode(v) for v in value]
        if cls is tuple:
            return {"$tuple": [self.encode(v) for v in value]}
        if cls in (set, frozenset):
            return {"$" + cls.__name__: [self.encode(v) for v in value]}
        if isinstance(value, pd.DataFrame):
            return {"$frame": self._encode_frame(value)}
        if isinstance(value, pd.Series):
            return {"$series": {"data": self._encode_column(value), "index": self._encode_index(value.index),
                                "name": self.encode(value.name)}}
        return self._encode_scalar(value)

    def _encode_scalar(self, value: Any) -> Any:
        if value is pd.NaT:
            return {"$nat": 0}
        if value is pd.NA:
            return {"$na": 0}
        if isinstance(value, pd.Timestamp):
            return {"$ts": [value.isoformat(), str(value.tz) if value.tz is not None else None, value.unit]}
        if isinstance(value, pd.Timedelta):
            return {"$td": int(value.value)}
        if isinstance(value, dt.datetime):
            return {"$dt": value.isoformat()}
        if isinstance(value, dt.date):
            return {"$date": value.isoformat()}
        if isinstance(value, dt.time):
            return {"$time": value.isoformat()}
        if isinstance(value, dt.timedelta):
            return {"$pytd": (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds}
        if isinstance(value, np.generic) and value.dtype.kind in "biuf":
            return {"$np": [value.dtype.str, value.item()]}
        if isinstance(value, (bytes, bytearray)):
            return {"$bytes": base64.b64encode(bytes(value)).decode("ascii")}
        if isinstance(value, PurePath):
            return {"$path": value.as_posix()}
        raise TypeError(f"cannot encode a {type(value).__name__} as data")

    def _fields_of(self, value: Any) -> dict:
        if dataclasses.is_dataclass(value):
            return {f.name: self.encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if isinstance(value, tuple):   # a NamedTuple
            return {name: self.encode(item) for name, item in zip(value._fields, value)}
        if isinstance(value, list):    # a list subclass with plain attributes
            return {"items": [self.encode(v) for v in value],
                    "attrs": {k: self.encode(v) for k, v in vars(value).items()}}
        raise TypeError(f"cannot encode a {type(value).__name__} as a record")

    def _encode_frame(self, frame: pd.DataFrame) -> dict:
        return {"columns": [self.encode(c) for c in frame.columns],
                "data": [self._encode_column(frame.iloc[:, i]) for i in range(frame.shape[1])],
                "index": self._encode_index(frame.index), "rows": len(frame)}

    def _encode_index(self, index: pd.Index) -> Any:
        if isinstance(index, pd.RangeIndex):
            return {"range": [index.start, index.stop, index.step], "name": self.encode(index.name)}
        if isinstance(index, pd.MultiIndex):
            return {"tuples": [self.encode(tuple(t)) for t in index], "names": [self.encode(n) for n in index.names]}
        return {"values": self._encode_column(pd.Series(index, copy=False)), "name": self.encode(index.name)}

    def _encode_column(self, series: pd.Series) -> list:
        """``[dtype description, values]`` of one column."""
        dtype = series.dtype
        if isinstance(dtype, pd.CategoricalDtype):
            return [{"category": [self.encode(c) for c in dtype.categories], "ordered": bool(dtype.ordered)},
                    [self.encode(v) for v in series.astype(object)]]
        if dtype.kind in "mM" and isinstance(dtype, (np.dtype, pd.DatetimeTZDtype)):
            tz = getattr(dtype, "tz", None)
            naive = series.dt.tz_convert("UTC").dt.tz_localize(None) if tz is not None else series
            array = naive.to_numpy()
            ints = [None if v == _NAT_I8 else v for v in array.view("i8").tolist()]
            return [{"kind": dtype.kind, "unit": np.datetime_data(array.dtype)[0],
                     "tz": str(tz) if tz is not None else None}, ints]
        if isinstance(dtype, np.dtype) and dtype.kind in "biuf":
            return [dtype.str, series.tolist()]
        if isinstance(dtype, np.dtype) and dtype.kind == "O":
            return ["object", [self.encode(v) for v in series.tolist()]]
        # pandas extension dtypes holding plain values: Int64, boolean, Float64, str/string.
        values = [None if (v is pd.NA or (isinstance(v, float) and v != v)) else v for v in series.tolist()]
        if not all(v is None or isinstance(v, (bool, int, float, str)) for v in values):
            return ["object", [self.encode(v) for v in series.astype(object).tolist()]]
        return [{"extension": str(dtype)}, values]

    # --- decoding -------------------------------------------------------------------------
    def loads(self, text: str | bytes) -> Any:
        """The value ``text`` encodes; ``ValueError`` for anything :meth:`dumps` would not write."""
        try:
            return json.loads(text, object_hook=self._hook)
        except (KeyError, TypeError, AttributeError, IndexError, OverflowError, RecursionError) as exc:
            raise ValueError(f"not auditkit data: {type(exc).__name__}") from None

    def _hook(self, obj: dict) -> Any:
        tagged = [k for k in obj if k.startswith("$")]
        if not tagged:
            return obj
        if len(obj) != 1 or tagged[0] not in self._tags:
            raise ValueError(f"not auditkit data: unknown tag {tagged[0][:20]!r}")
        return self._tags[tagged[0]](obj[tagged[0]])

    def _decode_object(self, payload: list) -> Any:
        name, fields = payload
        cls = self.by_name.get(name) if isinstance(name, str) else None
        if cls is None or not isinstance(fields, dict):
            raise ValueError(f"not auditkit data: {str(name)[:40]!r} is not an allowed record")
        if dataclasses.is_dataclass(cls):
            return _build_dataclass(cls, fields)
        if issubclass(cls, tuple):
            if set(fields) != set(cls._fields):
                raise ValueError(f"not auditkit data: fields of {name} differ")
            return cls(**fields)
        if issubclass(cls, list):
            attrs = fields.get("attrs") or {}
            if set(fields) - {"items", "attrs"} or any(not k.isidentifier() or k.startswith("_") for k in attrs):
                raise ValueError(f"not auditkit data: attributes of {name}")
            made = cls.__new__(cls)
            list.extend(made, fields.get("items") or [])
            made.__dict__.update(attrs)
            return made
        raise ValueError(f"not auditkit data: {name} is not a record class")


def _build_dataclass(cls: type, fields: dict) -> Any:
    """A dataclass instance with ``fields`` set directly (no ``__init__``/``__post_init__``)."""
    declared = {f.name: f for f in dataclasses.fields(cls)}
    if set(fields) - set(declared):
        raise ValueError(f"not auditkit data: {cls.__name__} has no field {sorted(set(fields) - set(declared))[0]!r}")
    made = cls.__new__(cls)
    for name, spec in declared.items():
        if name in fields:
            value = fields[name]
        elif spec.default is not dataclasses.MISSING:
            value = spec.default
        elif spec.default_factory is not dataclasses.MISSING:
            value = spec.default_factory()
        else:
            raise ValueError(f"not auditkit data: {cls.__name__}.{name} is missing")
        object.__setattr__(made, name, value)
    return made


def _pairs_to_dict(pairs: list) -> dict:
    return {_hashable(k): v for k, v in pairs}


def _hashable(key: Any) -> Any:
    return tuple(_hashable(k) for k in key) if isinstance(key, list) else key


def _decode_numpy(payload: list) -> Any:
    dtype, value = payload
    kind = np.dtype(dtype)
    if kind.kind not in "biuf":
        raise ValueError("not auditkit data: numpy scalar kind")
    return kind.type(value)


def _decode_timestamp(payload: list) -> pd.Timestamp:
    text, tz, unit = payload
    stamp = pd.Timestamp(text)
    if tz is not None:
        stamp = stamp.tz_convert(tz)
    return stamp.as_unit(unit) if unit else stamp


def _decode_datetime(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def _decode_column(spec: list) -> pd.Series:
    dtype, values = spec
    if isinstance(dtype, str):
        if dtype == "object":
            array = np.empty(len(values), dtype=object)
            for i, value in enumerate(values):
                array[i] = value
            return pd.Series(array, dtype=object)
        kind = np.dtype(dtype)
        if kind.kind not in "biuf":
            raise ValueError("not auditkit data: column dtype")
        return pd.Series(np.array(values, dtype=kind))
    if "category" in dtype:
        return pd.Series(pd.Categorical(values, categories=dtype["category"], ordered=dtype["ordered"]))
    if "kind" in dtype:
        ints = np.array([_NAT_I8 if v is None else v for v in values], dtype="i8")
        unit = str(dtype["unit"])
        if dtype["kind"] == "m":
            return pd.Series(ints.view(f"m8[{unit}]"))
        series = pd.Series(ints.view(f"M8[{unit}]"))
        return series.dt.tz_localize("UTC").dt.tz_convert(dtype["tz"]) if dtype["tz"] else series
    return pd.Series(values, dtype=pandas_dtype(str(dtype["extension"])))


def _decode_index(spec: Any) -> pd.Index:
    if "range" in spec:
        start, stop, step = spec["range"]
        return pd.RangeIndex(start, stop, step, name=spec["name"])
    if "tuples" in spec:
        return pd.MultiIndex.from_tuples(spec["tuples"], names=spec["names"])
    return pd.Index(_decode_column(spec["values"]), name=spec["name"])


def _decode_frame(spec: dict) -> pd.DataFrame:
    columns = [_hashable(c) for c in spec["columns"]]
    data = [_decode_column(c) for c in spec["data"]]
    if any(len(s) != spec["rows"] for s in data):
        raise ValueError("not auditkit data: column lengths differ")
    index = _decode_index(spec["index"])
    if not data:
        return pd.DataFrame(index=index, columns=pd.Index(columns, dtype=object) if columns else None)
    frame = pd.concat([s.reset_index(drop=True) for s in data], axis=1, ignore_index=True)
    frame.columns = pd.Index(columns, tupleize_cols=False) if columns else frame.columns
    frame.index = index
    return frame


def _decode_series(spec: dict) -> pd.Series:
    series = _decode_column(spec["data"])
    series.index = _decode_index(spec["index"])
    series.name = _hashable(spec["name"])
    return series
