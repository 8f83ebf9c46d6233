"""Pipeline-run aggregates computed by PostgreSQL (the twin of :mod:`runs_local`).

A production history lives in Postgres and only grows, so the server counts, groups and takes
percentiles (``percentile_disc`` is the nearest-rank percentile of :func:`runs_local.nearest_rank`)
and the client receives a few rows per pipeline. Timestamps outside 1900-2200 are treated as
unknown, as the run frame does. Concurrency needs a sweep in time order, which Postgres can
only do with a window sort over every start and end; streaming the runs in primary-key order
and sweeping them here costs less (see :mod:`passes`).
"""
from __future__ import annotations

import pandas as pd

from .passes import run_concurrency
from .runs_local import RETRIED_COLUMNS, SCHEDULE_COLUMNS, STAT_COLUMNS

PLAUSIBLE = "'1900-01-01 00:00:00+00' AND '2200-01-01 00:00:00+00'"


class ServerRuns:
    """Aggregates over pipeline_run computed in the database."""

    def __init__(self, history) -> None:
        self.h = history
        self._checked = False

    # -- SQL fragments ------------------------------------------------------------------------
    def t(self, column: str) -> str:
        """A pipeline_run timestamp, NULL when missing or outside 1900-2200."""
        expr = self.h.col("pipeline_run", column, "pr")
        return f"(CASE WHEN {expr} BETWEEN {PLAUSIBLE} THEN {expr} END)"

    def interval(self, later: str, earlier: str) -> str:
        """``later - earlier`` as an interval (NULL when either is missing or implausible)."""
        return f"({self.t(later)} - {self.t(earlier)})"

    def where(self, *extra: str) -> str:
        return " AND ".join([self.h.in_window("pr"), *extra])

    def period(self, period: str) -> str:
        """The start of the run's UTC day or ISO week (named as text by :meth:`_named_periods`:
        to_char on a million rows costs more than the grouping)."""
        return f"date_trunc('{'week' if period == 'week' else 'day'}', {self.t('created_at')})"

    def manual(self) -> str:
        partition = self.h.d.json_mentions(self.h.col("pipeline_run", "variables", "pr"), "execution_partition")
        return f"(CASE WHEN {partition} = 1 AND {self.h.d.text('pr.status')} <> 'CANCELLED' THEN 1 ELSE 0 END)"

    def run(self, sql: str, name: str, columns: list[str]) -> pd.DataFrame:
        self._check_times()
        frame = self.h.query(sql, name, columns=columns)
        if frame.empty:
            return pd.DataFrame(columns=columns)
        frame.columns = columns
        return frame

    def _check_times(self) -> None:
        """Report runs with timestamps outside 1900-2200 once, as the run frame does."""
        if self._checked:
            return
        self._checked = True
        columns = [c for c in ("created_at", "started_at", "completed_at", "execution_date")
                   if c in self.h.columns.get("pipeline_run", set())]
        if not columns:
            return
        odd = " OR ".join(f"(pr.{c} IS NOT NULL AND pr.{c} NOT BETWEEN {PLAUSIBLE})" for c in columns)
        frame = self.h.query(f"SELECT COUNT(*) FROM pipeline_run pr WHERE {self.where(f'({odd})')}",
                             "implausible_times", columns=["n"])
        count = int(frame.iloc[0, 0] or 0) if not frame.empty else 0
        if count:
            self.h._problem("implausible_times", f"{count} pipeline runs have timestamps outside 1900-2200; "
                                                 "those times are ignored", "history_data")

    # -- aggregates ---------------------------------------------------------------------------
    def counts(self, period: str | None = None) -> pd.DataFrame:
        keys = ["pipeline_uuid"] + (["period"] if period else []) + ["status"]
        period_sql = f"{self.period(period)} AS period, " if period else ""
        extra = [f"{self.t('created_at')} IS NOT NULL"] if period else []
        sql = (f"SELECT pr.pipeline_uuid, {period_sql}pr.status, COUNT(*) AS runs FROM pipeline_run pr "
               f"WHERE {self.where('pr.pipeline_uuid IS NOT NULL', *extra)} "
               f"GROUP BY {', '.join(str(i + 1) for i in range(len(keys)))}")
        frame = _numbers(self.run(sql, "run_counts", keys + ["runs"]), ["runs"])
        frame["status"] = frame["status"].map(lambda s: "UNKNOWN" if s is None else str(s))
        return _named_periods(frame) if period else frame

    def stats(self, measure: str, period: str | None = None) -> pd.DataFrame:
        keys = ["pipeline_uuid"] + (["period"] if period else [])
        if measure == "duration":
            value, extra = self.interval("completed_at", "started_at"), ["pr.status = 'COMPLETED'"]
        else:
            value, extra = self.interval("started_at", "created_at"), []
        period_sql = f", {self.period(period)} AS period" if period else ""
        if period:
            extra.append(f"{self.t('created_at')} IS NOT NULL")
        # Intervals, not seconds, are sorted and averaged (cheap, exact to the microsecond; the
        # order is that of seconds): only the few results become seconds. Byte order ("C")
        # for the group key keeps the sort percentile_disc needs cheap.
        inner = (f"SELECT pr.pipeline_uuid COLLATE \"C\" AS pipeline_uuid{period_sql}, {value} AS x "
                 f"FROM pipeline_run pr WHERE {self.where('pr.pipeline_uuid IS NOT NULL', *extra)}")
        group = ", ".join(keys)
        grouped = (f"SELECT {group}, COUNT(x) AS n, AVG(x) AS mean_x, MAX(x) AS max_x, "
                   f"percentile_disc(ARRAY[0.5, 0.95]) WITHIN GROUP (ORDER BY x) AS pct "
                   f"FROM ({inner}) s WHERE x >= INTERVAL '0' GROUP BY {group}")
        seconds = "CAST(EXTRACT(EPOCH FROM {}) AS DOUBLE PRECISION)"
        sql = (f"SELECT {group}, n, {seconds.format('mean_x')}, {seconds.format('pct[1]')}, "
               f"{seconds.format('pct[2]')}, {seconds.format('max_x')} FROM ({grouped}) g")
        frame = _numbers(self.run(sql, f"run_{measure}", keys + STAT_COLUMNS), STAT_COLUMNS)
        frame = _named_periods(frame) if period else frame
        return frame[keys + STAT_COLUMNS].sort_values(keys, ignore_index=True)

    def sla(self, schedule_ids: set[float]) -> pd.DataFrame:
        cols = ["pipeline_uuid", "runs_with_sla", "sla_misses"]
        ids = sorted({int(i) for i in schedule_ids if pd.notna(i)})
        if not ids:
            return pd.DataFrame(columns=cols)
        passed = f"CASE WHEN {self.h.d.is_true(self.h.col('pipeline_run', 'passed_sla', 'pr'))} THEN 1 ELSE 0 END"
        sql = (f"SELECT pr.pipeline_uuid, COUNT(*) AS runs_with_sla, SUM({passed}) AS sla_misses "
               f"FROM pipeline_run pr WHERE {self.where('pr.pipeline_uuid IS NOT NULL')} "
               f"AND pr.pipeline_schedule_id IN ({', '.join(map(str, ids))}) GROUP BY pr.pipeline_uuid")
        return _numbers(self.run(sql, "sla_misses", cols), cols[1:])

    def per_schedule(self) -> pd.DataFrame:
        late = self.interval("started_at", "execution_date")     # sorted as intervals, see stats()
        inner = (f"SELECT pr.pipeline_schedule_id AS sid, {self.manual()} AS manual, "
                 f"{self.t('execution_date')} AS execution, {late} AS late FROM pipeline_run pr "
                 f"WHERE {self.where('pr.pipeline_schedule_id IS NOT NULL')}")
        tick, on_time = "manual = 0", "manual = 0 AND late >= INTERVAL '0'"
        grouped = (f"SELECT sid, COUNT(*) AS runs, SUM(manual) AS manual_runs, "
                   f"COUNT(DISTINCT execution) FILTER (WHERE {tick}) AS execution_dates, "
                   f"percentile_disc(ARRAY[0.5, 0.95]) WITHIN GROUP (ORDER BY late) FILTER (WHERE {on_time}) AS pct, "
                   f"MAX(late) FILTER (WHERE {on_time}) AS max_late FROM ({inner}) s GROUP BY sid")
        seconds = "CAST(EXTRACT(EPOCH FROM {}) AS DOUBLE PRECISION)"
        sql = (f"SELECT sid, runs, manual_runs, execution_dates, {seconds.format('pct[1]')}, "
               f"{seconds.format('pct[2]')}, {seconds.format('max_late')} FROM ({grouped}) g")
        return _numbers(self.run(sql, "per_schedule", SCHEDULE_COLUMNS), SCHEDULE_COLUMNS)[SCHEDULE_COLUMNS]

    def ticks_between(self, bounds: dict[float, tuple[float, float]]) -> dict[float, int]:
        if not bounds:
            return {}
        stamp = "(TIMESTAMPTZ 'epoch' + {} * INTERVAL '1 microsecond')"
        values = ", ".join(f"({int(sid)}, {stamp.format(int(low))}, {stamp.format(int(high))})"
                           for sid, (low, high) in bounds.items())
        execution = self.t("execution_date")
        sql = (f"SELECT b.sid, COUNT(DISTINCT {execution}) AS n FROM pipeline_run pr "
               f"JOIN (VALUES {values}) AS b(sid, low, high) ON pr.pipeline_schedule_id = b.sid "
               f"WHERE {self.where(f'{self.manual()} = 0', f'{execution} BETWEEN b.low AND b.high')} GROUP BY b.sid")
        frame = self.run(sql, "ticks_between", ["sid", "n"])
        counts = {float(sid): int(n) for sid, n in zip(frame["sid"], frame["n"])}
        return {sid: counts.get(float(sid), 0) for sid in bounds}

    def newest_created(self) -> float | None:
        sql = (f"SELECT CAST(EXTRACT(EPOCH FROM MAX({self.t('created_at')})) * 1000000 AS BIGINT) "
               f"FROM pipeline_run pr WHERE {self.where()}")
        frame = self.run(sql, "newest_created", ["newest"])
        value = frame.iloc[0, 0] if not frame.empty else None
        return None if value is None or pd.isna(value) else float(value)

    def retried(self) -> pd.DataFrame:
        execution = self.t("execution_date")
        done = f"MAX(CASE WHEN {self.h.d.text('pr.status')} = 'COMPLETED' THEN 1 ELSE 0 END)"
        inner = (f"SELECT pr.pipeline_uuid, COUNT(*) AS n, {done} AS done FROM pipeline_run pr "
                 f"WHERE {self.where('pr.pipeline_uuid IS NOT NULL', 'pr.pipeline_schedule_id IS NOT NULL', f'{execution} IS NOT NULL')} "
                 f"GROUP BY pr.pipeline_uuid, pr.pipeline_schedule_id, {execution} HAVING COUNT(*) > 1")
        sql = (f"SELECT pipeline_uuid, COUNT(*) AS retried_executions, SUM(n - 1) AS extra_runs, "
               f"SUM(done) AS recovered FROM ({inner}) g GROUP BY pipeline_uuid")
        return _numbers(self.run(sql, "retried_runs", RETRIED_COLUMNS), RETRIED_COLUMNS[1:])

    def concurrency(self, bucket_seconds: int):
        self._check_times()
        return run_concurrency(self.h, bucket_seconds)


def _named_periods(frame: pd.DataFrame) -> pd.DataFrame:
    """Period starts (timestamps) as 'YYYY-MM-DD' text, like the local aggregates."""
    stamps = pd.to_datetime(frame["period"], utc=True, errors="coerce").dt.tz_localize(None)
    return frame.assign(period=stamps.dt.strftime("%Y-%m-%d"))


def _numbers(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    for column in columns:
        if column in frame.columns:
            frame[column] = pd.to_numeric(frame[column], errors="coerce")
    return frame
