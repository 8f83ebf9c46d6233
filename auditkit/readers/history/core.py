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

from . import blocks_sqlite, frames, passes, tidy, upkeep
from . import queries as q
from .logs import LogScan, scan_logs
from .runs_local import LocalRuns
from .runs_server import ServerRuns
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
        self._conn = conn                   # for between(): the same connection, another window
        self.window = (None, None)
        self.d = q.Dialect(self.engine.dialect.name if self.engine is not None else "sqlite")
        # Postgres aggregates in the server; the run frame (every run in the client) is for
        # SQLite, whose GROUP BY sorts. Tests switch pushdown off to compare the two.
        self.pushdown = self.d.pg
        self._cache: dict[str, pd.DataFrame] = {}
        # Analytics computed on this history, by (function, arguments): filled by
        # auditkit.analytics._common.history_cached, saved and restored with the audit.
        self.analytics_memo: dict[tuple, Any] = {}
        self._reported: set[str] = set()
        if tidy.relative_span(since) is not None:
            since, until = tidy.resolve_window(self, since, until)
        self.window = (_naive_utc(since), _naive_utc(until))

    # -- plumbing -------------------------------------------------------------------------
    @property
    def available(self) -> bool:
        """Whether the DB could be opened (else every frame is empty and ``problems`` says why)."""
        return self.engine is not None

    @property
    def api_mirror(self) -> str | None:
        """The temporary mirror file of a history read through Mage's API (else None)."""
        return self._conn.mirror

    def has(self, *tables: str) -> bool:
        """Whether the DB was opened and holds every one of ``tables``."""
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
        """Start of the window (naive UTC), or None for the whole history."""
        return self.window[0]

    @property
    def until(self) -> datetime | None:
        """End of the window (naive UTC, excluded), or None for up to now."""
        return self.window[1]

    def _param(self, value: datetime | None):
        if value is None:
            return None
        if self.d.pg:
            return value.replace(tzinfo=timezone.utc)
        # SQLite compares the stored text: "…:02" sorts before "…:02.000000", so a bound on a
        # whole second is written without a fraction (stored seconds-only times tie with it).
        return value.strftime("%Y-%m-%d %H:%M:%S.%f" if value.microsecond else "%Y-%m-%d %H:%M:%S")

    def params(self) -> dict:
        """Bind values: window bounds and the 'still running' end (until, else now)."""
        end = self.until or datetime.now(timezone.utc).replace(tzinfo=None)
        return {"since": self._param(self.since), "until": self._param(self.until),
                "window_end": self._param(end)}

    def query(self, sql: str, name: str, *, needs: tuple[str, ...] = ("pipeline_run",),
              columns: list[str] | None = None, extra: dict | None = None) -> pd.DataFrame:
        """Run one named query; a failure is an input problem and gives an empty frame."""
        if not self.has(*needs):
            return pd.DataFrame(columns=columns or [])
        try:
            with self.engine.connect() as db:
                # Server-side cursor on Postgres: rows arrive in batches, never all at once.
                result = db.execution_options(stream_results=self.d.pg, max_row_buffer=10_000) \
                    .execute(text(sql), {**self.params(), **(extra or {})})
                frame = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
        except SQLAlchemyError as exc:
            self._problem(name, f"query {name} failed: {_describe(exc)}")
            return pd.DataFrame(columns=columns or [])
        return frame

    def column_arrays(self, sql: str, name: str, converters: list, extra: dict | None = None, *,
                      needs: tuple[str, ...] = ("pipeline_run",), chunk: int = 100_000) -> list[np.ndarray]:
        """One array per result column, each made by its converter from the column's values,
        fetched in chunks from the DB-API cursor (no per-row Python objects kept); empty
        arrays when the tables are missing or the query fails (an input problem)."""
        parts: list[list[np.ndarray]] = []
        if self.has(*needs):
            try:
                with self.engine.connect() as db:
                    result = db.execute(text(sql), {**self.params(), **(extra or {})})
                    cursor = result.cursor
                    while rows := cursor.fetchmany(chunk):
                        parts.append([convert(values) for convert, values in zip(converters, zip(*rows))])
                    result.close()
            except (SQLAlchemyError, TypeError, ValueError, self.engine.dialect.dbapi.Error) as exc:  # raw cursor: DB-API errors
                self._problem(name, f"query {name} failed: {_describe(exc)}")
                parts = []
        if not parts:
            return [np.empty(0) for _ in converters]
        return [np.concatenate([part[i] for part in parts]) for i in range(len(converters))]

    def cached_value(self, name: str, build):
        """``build()`` once per History (shared: callers do not modify it)."""
        if name not in self._cache:
            self._cache[name] = build()
        return self._cache[name]

    def cached(self, name: str, build) -> pd.DataFrame:
        """A copy of frame ``name``, built once by ``build()`` for this history and window."""
        if name not in self._cache:
            self._cache[name] = build()
        return self._cache[name].copy()

    def _problem(self, key: str, reason: str, kind: str = "history") -> None:
        if key not in self._reported:
            self._reported.add(key)
            self.problems.append(InputProblem(self.label, kind, reason))

    def problems_frame(self) -> pd.DataFrame:
        """``problems`` as an input-problem frame (path, kind, reason, project)."""
        from auditkit.model import ProblemLog
        log = ProblemLog()
        log.extend(self.problems)
        return log.frame()

    def close(self) -> None:
        """Release the DB connections (a History sharing them through ``between`` too) and
        remove the temporary mirror of a history read through Mage's API."""
        if self.engine is not None:
            self.engine.dispose()
        if self._conn.cleanup is not None:
            self._conn.cleanup()

    # -- base frames ------------------------------------------------------------------------
    @cached_property
    def run_stats(self) -> LocalRuns | ServerRuns:
        """Pipeline-run aggregates (counts, durations, peaks...): computed by Postgres, or
        locally from the run frame (see runs_local / runs_server)."""
        return ServerRuns(self) if self.pushdown else LocalRuns(self)

    # -- views for people -------------------------------------------------------------------
    @property
    def runs(self) -> pd.DataFrame:
        """One row per pipeline run of the window: ``run_id, pipeline, status, trigger,
        trigger_type, backfill_id, execution_date, created_at, started_at, completed_at``
        (timezone-aware UTC), ``duration`` and ``queue_wait`` (timedeltas), ``passed_sla``."""
        return self.cached("runs_view", lambda: tidy.runs_view(self))

    def block_runs(self, pipeline: str | None = None) -> pd.DataFrame:
        """One row per block run of the window's pipeline runs, of ``pipeline`` only when given:
        ``block_run_id, run_id, pipeline, block, status, created_at, started_at,
        completed_at`` (UTC) and ``duration``."""
        return tidy.block_runs_view(self, pipeline)

    def between(self, since=None, until=None) -> "History":
        """The same history seen through another window, without re-reading the repo.

        ``since``/``until`` are dates, datetimes or ISO strings; ``since`` may also be a span
        such as ``"90d"``, ``"12w"`` or ``"36h"``, counted back from ``until`` or else from the
        newest run in the history. Returns a new History sharing this one's connection.
        """
        since, until = tidy.resolve_window(self, since, until)
        other = History(self._conn, since, until)
        other.pushdown = self.pushdown
        return other

    def __repr__(self) -> str:
        since, until = (f"{t:%Y-%m-%d %H:%M}" if t else "…" for t in self.window)
        state = "open" if self.available else "unavailable"
        return (f"<History {self.label} ({state}; window {since} to {until}; "
                f"{len(self.problems)} input problem{'s' if len(self.problems) != 1 else ''})>")

    def run_frame(self) -> pd.DataFrame:
        """Compact numeric frame of the window's pipeline runs (see :mod:`frames`); shared,
        do not modify it in place. Only the local aggregates use it."""
        if "run_frame" not in self._cache:
            self._cache["run_frame"] = frames.run_frame(self) if self.has("pipeline_run") \
                else pd.DataFrame(columns=frames.RUN_COLUMNS)
        return self._cache["run_frame"]

    def block_pass(self) -> passes.BlockPass:
        """The one streamed pass over block_run: per-block stats and block-level peaks."""
        if "block_pass" not in self._cache:
            if not self.has("pipeline_run", "block_run"):
                self._cache["block_pass"] = passes.BlockPass()
            elif self.d.pg:
                self._cache["block_pass"] = passes.block_pass(self, frames.distinct_values(self, "pipeline_uuid"))
            else:
                runs = self.run_frame()
                self._cache["block_pass"] = blocks_sqlite.block_pass(self, runs.attrs.get("pipelines", []), runs)
        return self._cache["block_pass"]

    def pipeline_run_counts(self) -> pd.DataFrame:
        """Pipeline runs per pipeline and status: ``pipeline_uuid, status, runs``."""
        frame = self.cached("run_counts", lambda: self.run_stats.counts())
        if frame.empty:
            return pd.DataFrame(columns=["pipeline_uuid", "status", "runs"])
        frame["runs"] = frame["runs"].astype(np.int64)
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
        """Triggers in the DB (never their tokens: ``has_token`` only; of ``variables`` only the
        sorted keys, ``variable_keys``); times as naive UTC."""
        return self.cached("schedules", lambda: tidy.variable_keys(_utc_columns(self.query(
            q.schedules(self), "schedules", needs=("pipeline_schedule",),
            columns=["schedule_id", "name", "pipeline_uuid", "schedule_type", "schedule_interval",
                     "status", "start_time", "sla", "settings", "repo_path", "has_token",
                     "created_at", "last_enabled_at", "variables"]),
            ["start_time", "created_at", "last_enabled_at"])))

    def open_runs(self) -> pd.DataFrame:
        """Runs still RUNNING or INITIAL that were created before the window's end (also
        before its start), with the last start of their pipeline in the window
        (``last_started_at``); times as naive UTC."""
        def build():
            runs = upkeep.open_runs(self)
            starts = upkeep.latest_starts(self) if len(runs) else pd.DataFrame(
                columns=["pipeline_uuid", "last_started_at"])
            runs = runs.merge(starts, on="pipeline_uuid", how="left")
            return _utc_columns(runs, ["created_at", "started_at", "updated_at", "last_started_at"])
        return self.cached("open_runs", build)

    def run_creation_seconds(self):
        """Sorted epoch seconds at which the window's pipeline runs were created (numpy)."""
        return self.cached_value("run_creation_seconds", lambda: upkeep.creation_seconds(self))

    def volume(self) -> dict:
        """The size of the whole history (not the window): ``tables`` (rows, id range, oldest
        and newest row, bytes), ``months`` (pipeline and block runs per month of creation) and
        ``db_bytes`` (None for a history read through Mage's API: the mirror's size says nothing
        of the server's DB). Read-only counts and MIN/MAX; see :mod:`upkeep`."""
        def build() -> dict:
            mirrored = self.api_mirror is not None      # read through Mage's API: our copy, not its DB
            if mirrored and self.window != (None, None):
                self._problem("volume_api", "history size through the API counts only the runs read for the "
                                            "window (and its backfills), not the server's whole history", "history_api")
            return {"tables": upkeep.table_figures(self), "months": upkeep.monthly_growth(self),
                    "db_bytes": None if mirrored else upkeep.database_bytes(self)}
        return self.cached_value("volume", build)

    @cached_property
    def logs(self) -> LogScan:
        """Block logs read once (streamed), limited to the window."""
        scan = scan_logs(self.log_root, since=self.since, until=self.until)
        self.problems.extend(scan.problems)
        return scan

    # -- summary ----------------------------------------------------------------------------
