"""The ``History`` object: one open run-history DB, its block logs and a time window.

Methods return small aggregated DataFrames computed by the named queries in
:mod:`queries`; expensive results are cached on the instance so several analytics and the
summary share one pass over the big tables. A History whose DB could not be opened is still
a History: ``available`` is False, every frame is empty and ``problems`` says why.
"""
from __future__ import annotations

from datetime import datetime, timezone
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from auditkit.model import InputProblem

from . import frames
from . import queries as q
from .logs import LogScan, scan_logs
from .schema import ENUMS
from .source import Connection, _describe

KNOWN_STATUSES = {
    "pipeline_run": set(ENUMS["pipelinerunstatus"]),
    "block_run": set(ENUMS["blockrunstatus"]),
}


def _naive_utc(value) -> datetime | None:
    if value is None:
        return None
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp.to_pydatetime()


def _utc_columns(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """SQLite text and Postgres timestamptz alike become naive UTC timestamps."""
    for column in columns:
        if column in frame.columns:
            frame[column] = pd.to_datetime(frame[column], errors="coerce", utc=True,
                                           format="mixed").dt.tz_localize(None)
    return frame


class History:
    """An opened Mage run history. See :func:`auditkit.readers.history.open_history`."""

    def __init__(self, conn: Connection, since=None, until=None) -> None:
        self.engine = conn.engine
        self.label = conn.label
        self.log_root = conn.log_root
        self.tables: set[str] = set(conn.tables)
        self.columns: dict[str, set[str]] = {k: set(v) for k, v in conn.columns.items()}
        self.alembic_version = conn.alembic_version
        self.problems: list[InputProblem] = list(conn.problems)
        self.window = (_naive_utc(since), _naive_utc(until))
        self.d = q.Dialect(self.engine.dialect.name if self.engine is not None else "sqlite")
        self._cache: dict[str, pd.DataFrame] = {}
        # Analytics computed on this history, by (function, arguments): filled by
        # auditkit.analytics._common.history_cached, saved and restored with the audit.
        self.analytics_memo: dict[tuple, Any] = {}
        self._reported: set[str] = set()

    # -- plumbing -------------------------------------------------------------------------
    @property
    def available(self) -> bool:
        return self.engine is not None

    def has(self, *tables: str) -> bool:
        return self.available and all(t in self.tables for t in tables)

    def col(self, table: str, column: str, alias: str | None = None) -> str:
        """``alias.column`` when the column exists, else ``NULL`` (older Mage schemas)."""
        if column in self.columns.get(table, set()):
            return f"{alias}.{column}" if alias else column
        return "NULL"

    def in_window(self, alias: str) -> str:
        """WHERE fragment limiting pipeline runs to the window (by ``created_at``)."""
        parts = []
        if self.since is not None:
            parts.append(f"{alias}.created_at >= :since")
        if self.until is not None:
            parts.append(f"{alias}.created_at < :until")
        return " AND ".join(parts) or "1 = 1"

    @property
    def since(self) -> datetime | None:
        return self.window[0]

    @property
    def until(self) -> datetime | None:
        return self.window[1]

    def _param(self, value: datetime | None):
        if value is None:
            return None
        if self.d.pg:
            return value.replace(tzinfo=timezone.utc)
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")

    def params(self) -> dict:
        """Bind values: window bounds and the 'still running' end (until, else now)."""
        end = self.until or datetime.now(timezone.utc).replace(tzinfo=None)
        return {"since": self._param(self.since), "until": self._param(self.until),
                "window_end": self._param(end)}

    def query(self, sql: str, name: str, *, needs: tuple[str, ...] = ("pipeline_run",),
              columns: list[str] | None = None) -> pd.DataFrame:
        """Run one named query; a failure is an input problem and gives an empty frame."""
        if not self.has(*needs):
            return pd.DataFrame(columns=columns or [])
        try:
            with self.engine.connect() as db:
                result = db.execute(text(sql), self.params())
                frame = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
        except SQLAlchemyError as exc:
            self._problem(name, f"query {name} failed: {_describe(exc)}")
            return pd.DataFrame(columns=columns or [])
        return frame

    def numeric_rows(self, sql: str, name: str, extra: dict | None = None, *,
                     needs: tuple[str, ...] = ("pipeline_run",), width: int = 2,
                     chunk: int = 500_000) -> np.ndarray:
        """A compact float64 array (n, width) from a query of numeric columns, fetched in
        chunks straight from the DB-API cursor (no per-row Python objects kept)."""
        empty = np.empty((0, width))
        if not self.has(*needs):
            return empty
        parts = []
        try:
            with self.engine.connect() as db:
                result = db.execute(text(sql), {**self.params(), **(extra or {})})
                cursor = result.cursor
                while rows := cursor.fetchmany(chunk):
                    parts.append(np.array(rows, dtype=np.float64).reshape(-1, width))
                result.close()
        except (SQLAlchemyError, TypeError, ValueError, self.engine.dialect.dbapi.Error) as exc:  # raw cursor: DB-API errors
            self._problem(name, f"query {name} failed: {_describe(exc)}")
            return empty
        return np.concatenate(parts) if parts else empty

    def cached(self, name: str, build) -> pd.DataFrame:
        if name not in self._cache:
            self._cache[name] = build()
        return self._cache[name].copy()

    def _problem(self, key: str, reason: str, kind: str = "history") -> None:
        if key not in self._reported:
            self._reported.add(key)
            self.problems.append(InputProblem(self.label, kind, reason))

    def problems_frame(self) -> pd.DataFrame:
        from auditkit.model import ProblemLog
        log = ProblemLog()
        log.extend(self.problems)
        return log.frame()

    def close(self) -> None:
        if self.engine is not None:
            self.engine.dispose()

    # -- base frames ------------------------------------------------------------------------
    def run_frame(self) -> pd.DataFrame:
        """Compact numeric frame of the window's pipeline runs (see :mod:`frames`); shared,
        do not modify it in place."""
        if "run_frame" not in self._cache:
            self._cache["run_frame"] = frames.run_frame(self) if self.has("pipeline_run") \
                else pd.DataFrame(columns=frames.RUN_COLUMNS)
        return self._cache["run_frame"]

    def block_pass(self) -> frames.BlockPass:
        """The one streamed pass over block_run: per-block stats and block-level peaks."""
        if "block_pass" not in self._cache:
            self._cache["block_pass"] = frames.block_pass(self, self.run_frame())
        return self._cache["block_pass"]

    def pipeline_run_counts(self) -> pd.DataFrame:
        """Pipeline runs per pipeline and status: ``pipeline_uuid, status, runs``."""
        runs = self.run_frame()
        if runs.empty:
            return pd.DataFrame(columns=["pipeline_uuid", "status", "runs"])
        named = frames.with_names(runs)
        frame = (named.groupby(["pipeline_uuid", "status_name"], observed=True).size()
                 .reset_index(name="runs").rename(columns={"status_name": "status"}))
        frame["pipeline_uuid"] = frame["pipeline_uuid"].astype(str)
        self._check_statuses(frame, "pipeline_run")
        return frame.sort_values(["pipeline_uuid", "status"], ignore_index=True)

    def block_run_stats(self) -> pd.DataFrame:
        """Block runs per (pipeline, block, status) with ``with_error`` (metrics.error kept);
        block uuids lose Mage's ``:<suffix>``."""
        frame = self.block_pass().stats.copy()
        self._check_statuses(frame, "block_run")
        return frame

    def data_checks(self) -> pd.DataFrame:
        """Counts of implausible rows (end before start, started before created); each
        non-zero count is also an input problem. Such rows are left out of durations."""
        checks = {
            "pipeline runs ending before they start": (q.negative_intervals(
                self, "pr.completed_at", self.col("pipeline_run", "started_at", "pr")), ("pipeline_run",)),
            "block runs ending before they start": (q.negative_block_durations(self),
                                                    ("pipeline_run", "block_run")),
        }
        rows = []
        for label, (sql, needs) in checks.items():
            frame = self.cached(f"check_{label}", lambda sql=sql, needs=needs: self.query(
                sql, "data_checks", needs=needs, columns=["n"]))
            count = int(pd.to_numeric(frame.iloc[0, 0], errors="coerce") or 0) if not frame.empty else 0
            if count:
                self._problem(label, f"{count} {label}; left out of durations", "history_data")
            rows.append({"check": label, "rows": count})
        return pd.DataFrame(rows, columns=["check", "rows"])

    def _check_statuses(self, frame: pd.DataFrame, table: str) -> None:
        seen = set(frame["status"].dropna().astype(str)) if not frame.empty else set()
        unknown = sorted(s for s in seen if s.upper() not in KNOWN_STATUSES[table])
        if unknown:
            self._problem(f"status_{table}", f"{table} has unknown status values {unknown}; "
                                             "they are counted but not interpreted", "history_data")

    def schedules(self) -> pd.DataFrame:
        """Triggers in the DB (never their tokens: ``has_token`` only); times as naive UTC."""
        return self.cached("schedules", lambda: _utc_columns(self.query(
            q.schedules(self), "schedules", needs=("pipeline_schedule",),
            columns=["schedule_id", "name", "pipeline_uuid", "schedule_type", "schedule_interval",
                     "status", "start_time", "sla", "settings", "repo_path", "has_token",
                     "created_at", "last_enabled_at"]), ["start_time", "created_at", "last_enabled_at"]))

    @cached_property
    def logs(self) -> LogScan:
        """Block logs read once (streamed), limited to the window."""
        scan = scan_logs(self.log_root, since=self.since, until=self.until)
        self.problems.extend(scan.problems)
        return scan

    # -- summary ----------------------------------------------------------------------------
