"""Named SQL queries over Mage's run history, written once for SQLite and PostgreSQL.

Every query aggregates in the database (GROUP BY, window functions both engines support) so
that a history of millions of runs comes back as a small frame. The few spots where the two
dialects differ (epoch seconds, day/week buckets, JSON probes, splitting a block-run uuid)
go through :class:`Dialect`. Columns an older Mage lacks are replaced by NULL (see
``History.col``), so each query runs on any schema version that has its table.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Dialect:
    """SQL fragments that differ between SQLite (text timestamps, JSON1) and PostgreSQL."""

    name: str  # "sqlite" or "postgresql"

    @property
    def pg(self) -> bool:
        return self.name == "postgresql"

    def epoch(self, expr: str) -> str:
        """Seconds since 1970 as a float (NULL stays NULL)."""
        if self.pg:
            return f"CAST(EXTRACT(EPOCH FROM {expr}) AS DOUBLE PRECISION)"
        return f"((julianday({expr}) - 2440587.5) * 86400.0)"

    def seconds(self, later: str, earlier: str) -> str:
        return f"({self.epoch(later)} - {self.epoch(earlier)})"

    def day(self, expr: str) -> str:
        """'YYYY-MM-DD' (UTC) of a timestamp."""
        return f"to_char({expr}, 'YYYY-MM-DD')" if self.pg else f"date({expr})"

    def week(self, expr: str) -> str:
        """'YYYY-MM-DD' of the Monday starting the timestamp's ISO week."""
        if self.pg:
            return f"to_char(date_trunc('week', {expr}), 'YYYY-MM-DD')"
        return f"date({expr}, 'weekday 0', '-6 days')"

    def bucket(self, expr: str, period: str) -> str:
        return self.week(expr) if period == "week" else self.day(expr)

    def text(self, expr: str) -> str:
        """Enum or text as plain text (Postgres enums need a cast for string functions)."""
        return f"CAST({expr} AS TEXT)"

    def base_uuid(self, expr: str) -> str:
        """Block uuid without Mage's ``:<suffix>`` (dynamic child, replica, stream)."""
        if self.pg:
            return f"split_part({expr}, ':', 1)"
        return f"(CASE WHEN instr({expr}, ':') > 0 THEN substr({expr}, 1, instr({expr}, ':') - 1) ELSE {expr} END)"

    def json_has(self, expr: str, key: str) -> str:
        """1 when the JSON object in ``expr`` has ``key`` (malformed JSON and 'null' give 0)."""
        if self.pg:
            return f"(CASE WHEN json_typeof({expr}) = 'object' AND ({expr} -> '{key}') IS NOT NULL THEN 1 ELSE 0 END)"
        # instr() first: parsing JSON only where the key text occurs keeps 10M rows fast.
        return (f"(CASE WHEN instr({expr}, '\"{key}\"') = 0 THEN 0 "
                f"WHEN json_valid({expr}) AND json_type({expr}) = 'object' "
                f"AND json_type({expr}, '$.{key}') IS NOT NULL THEN 1 ELSE 0 END)")

    def json_text(self, expr: str, key: str) -> str:
        """The value at ``key`` of a JSON object as text, else NULL."""
        if self.pg:
            return f"(CASE WHEN json_typeof({expr}) = 'object' THEN {expr} ->> '{key}' END)"
        return (f"(CASE WHEN json_valid({expr}) AND json_type({expr}) = 'object' "
                f"THEN CAST(json_extract({expr}, '$.{key}') AS TEXT) END)")

    def json_as_text(self, expr: str) -> str:
        return f"CAST({expr} AS TEXT)"

    def agg_text(self, expr: str, separator_code: int) -> str:
        """Concatenate ``expr`` over a group, separated by the character with that code."""
        if self.pg:
            return f"string_agg({expr}, chr({separator_code}))"
        return f"group_concat({expr}, char({separator_code}))"

    def char(self, code: int) -> str:
        return f"chr({code})" if self.pg else f"char({code})"

    def round_ms(self, expr: str) -> str:
        """Epoch seconds as integer milliseconds."""
        return f"CAST(ROUND({expr} * 1000) AS BIGINT)" if self.pg else f"CAST(ROUND({expr} * 1000) AS INTEGER)"

    def floor_div(self, expr: str, by: int) -> str:
        """Integer floor of ``expr / by`` (a Postgres cast would round, not truncate)."""
        return f"FLOOR({expr} / {by})" if self.pg else f"CAST({expr} / {by} AS INTEGER)"

    def greatest(self, a: str, b: str) -> str:
        return f"GREATEST({a}, {b})" if self.pg else f"MAX({a}, {b})"

    def is_true(self, expr: str) -> str:
        return f"COALESCE(CAST({expr} AS INTEGER), 0) = 1" if not self.pg else f"COALESCE({expr}, FALSE)"


def nearest_rank(q: int, count: str) -> str:
    """Row number of the q-th percentile by the nearest-rank method, integer SQL only."""
    return f"(({q} * {count} + 99) / 100)"


# --- pipeline runs -------------------------------------------------------------------------

def pipeline_run_status_counts(h) -> str:
    return (f"SELECT pipeline_uuid, {h.d.text('status')} AS status, COUNT(*) AS runs "
            f"FROM pipeline_run pr WHERE {h.in_window('pr')} GROUP BY pipeline_uuid, status")


def run_outcomes(h, period: str) -> str:
    created = h.col("pipeline_run", "created_at", "pr")
    return (f"SELECT pipeline_uuid, {h.d.bucket(created, period)} AS period, "
            f"{h.d.text('status')} AS status, COUNT(*) AS runs FROM pipeline_run pr "
            f"WHERE {h.in_window('pr')} GROUP BY pipeline_uuid, period, status")


def percentiles(h, value: str, where: str, keys: dict[str, str]) -> str:
    """n/mean/p50/p95/max of ``value`` over pipeline_run rows, per ``keys`` (alias -> SQL)."""
    select_keys = ", ".join(f"{expr} AS {alias}" for alias, expr in keys.items())
    key_list = ", ".join(keys)
    return f"""
WITH v AS (
  SELECT {select_keys}, {value} AS x FROM pipeline_run pr
  WHERE {h.in_window('pr')} AND ({where})
), ranked AS (
  SELECT {key_list}, x,
         ROW_NUMBER() OVER (PARTITION BY {key_list} ORDER BY x) AS rn,
         COUNT(*) OVER (PARTITION BY {key_list}) AS n
  FROM v WHERE x IS NOT NULL AND x >= 0
)
SELECT {key_list}, MAX(n) AS n, AVG(x) AS mean_s,
       MAX(CASE WHEN rn = {nearest_rank(50, 'n')} THEN x END) AS p50_s,
       MAX(CASE WHEN rn = {nearest_rank(95, 'n')} THEN x END) AS p95_s,
       MAX(x) AS max_s
FROM ranked GROUP BY {key_list}"""


def negative_intervals(h, later: str, earlier: str) -> str:
    return (f"SELECT COUNT(*) FROM pipeline_run pr WHERE {h.in_window('pr')} "
            f"AND {h.d.seconds(later, earlier)} < 0")


def sla_counts(h) -> str:
    passed = h.col("pipeline_run", "passed_sla", "pr")
    sla = h.col("pipeline_schedule", "sla", "ps")
    return (f"SELECT pr.pipeline_uuid, COUNT(*) AS runs_with_sla, "
            f"SUM(CASE WHEN {h.d.is_true(passed)} THEN 1 ELSE 0 END) AS sla_misses "
            f"FROM pipeline_run pr JOIN pipeline_schedule ps ON ps.id = pr.pipeline_schedule_id "
            f"WHERE {h.in_window('pr')} AND {sla} IS NOT NULL AND {sla} > 0 GROUP BY pr.pipeline_uuid")


def skipped_runs(h) -> str:
    """CANCELLED runs that never got a block run (skip_if_previous_running, run limits)."""
    exists = ("NOT EXISTS (SELECT 1 FROM block_run br WHERE br.pipeline_run_id = pr.id)"
              if "block_run" in h.tables else "1 = 1")
    return (f"SELECT pr.pipeline_uuid, COUNT(*) AS skipped_runs FROM pipeline_run pr "
            f"WHERE {h.in_window('pr')} AND {h.d.text('pr.status')} = 'CANCELLED' AND {exists} "
            f"GROUP BY pr.pipeline_uuid")


def runs_per_schedule(h) -> str:
    """Actual runs and lateness (started - execution_date) per trigger."""
    lateness = h.d.seconds(h.col("pipeline_run", "started_at", "pr"), "pr.execution_date")
    # API and "run now" runs carry variables.execution_partition; scheduler ticks do not,
    # except ticks skipped by skip_if_previous_running (CANCELLED, partition set): still ticks.
    has_partition = h.d.json_has(h.col("pipeline_run", "variables", "pr"), "execution_partition")
    manual = f"(CASE WHEN {has_partition} = 1 AND {h.d.text('pr.status')} <> 'CANCELLED' THEN 1 ELSE 0 END)"
    return f"""
WITH v AS (
  SELECT pipeline_schedule_id AS schedule_id, execution_date, {manual} AS manual,
         CASE WHEN {manual} = 0 THEN {lateness} END AS late_s
  FROM pipeline_run pr WHERE {h.in_window('pr')} AND pipeline_schedule_id IS NOT NULL
), ranked AS (
  SELECT schedule_id, late_s,
         ROW_NUMBER() OVER (PARTITION BY schedule_id ORDER BY late_s) AS rn,
         COUNT(*) OVER (PARTITION BY schedule_id) AS n_late
  FROM v WHERE late_s IS NOT NULL
)
SELECT r.schedule_id, r.runs, r.manual_runs, r.execution_dates, r.first_execution, r.last_execution,
       l.p50_late_s, l.p95_late_s, l.max_late_s
FROM (SELECT schedule_id, COUNT(*) AS runs, SUM(manual) AS manual_runs,
             COUNT(DISTINCT CASE WHEN manual = 0 THEN execution_date END) AS execution_dates,
             MIN(execution_date) AS first_execution, MAX(execution_date) AS last_execution
      FROM v GROUP BY schedule_id) r
LEFT JOIN (SELECT schedule_id,
                  MAX(CASE WHEN rn = {nearest_rank(50, 'n_late')} THEN late_s END) AS p50_late_s,
                  MAX(CASE WHEN rn = {nearest_rank(95, 'n_late')} THEN late_s END) AS p95_late_s,
                  MAX(late_s) AS max_late_s
           FROM ranked WHERE late_s IS NOT NULL GROUP BY schedule_id) l
  ON l.schedule_id = r.schedule_id"""


def retried_pipeline_runs(h) -> str:
    """Several runs sharing (trigger, execution_date): Mage's 'retry run' makes a new row."""
    return f"""
SELECT pipeline_uuid, COUNT(*) AS retried_executions, SUM(n - 1) AS extra_runs,
       SUM(last_completed) AS recovered
FROM (
  SELECT pipeline_uuid, pipeline_schedule_id, execution_date, COUNT(*) AS n,
         MAX(CASE WHEN {h.d.text('status')} = 'COMPLETED' THEN 1 ELSE 0 END) AS last_completed
  FROM pipeline_run pr WHERE {h.in_window('pr')} AND pipeline_schedule_id IS NOT NULL
  GROUP BY pipeline_uuid, pipeline_schedule_id, execution_date HAVING COUNT(*) > 1
) g GROUP BY pipeline_uuid"""


# --- block runs ----------------------------------------------------------------------------

def block_run_stats(h) -> str:
    """One pass over block_run: counts and retried-after-failure per (pipeline, block, status).
    Kept to cheap per-row expressions: this is the query that meets 10M rows."""
    metrics = h.col("block_run", "metrics", "br")
    return f"""
SELECT pr.pipeline_uuid, {h.d.base_uuid('br.block_uuid')} AS block, {h.d.text('br.status')} AS status,
       COUNT(*) AS block_runs, SUM({h.d.json_has(metrics, 'error')}) AS with_error
FROM block_run br JOIN pipeline_run pr ON pr.id = br.pipeline_run_id
WHERE {h.in_window('pr')}
GROUP BY pr.pipeline_uuid, {h.d.base_uuid('br.block_uuid')}, {h.d.text('br.status')}"""


def negative_block_durations(h) -> str:
    completed = h.col("block_run", "completed_at", "br")
    return (f"SELECT COUNT(*) FROM block_run br WHERE {completed} IS NOT NULL "
            f"AND {completed} < br.started_at")


def orphan_block_runs(h) -> str:
    return ("SELECT COUNT(*) FROM block_run br WHERE NOT EXISTS "
            "(SELECT 1 FROM pipeline_run pr WHERE pr.id = br.pipeline_run_id)")


# --- concurrency ---------------------------------------------------------------------------

def _run_end(h, alias: str, table: str) -> str:
    """When a run stopped holding a slot: completed_at, else (FAILED/CANCELLED, whose
    completed_at Mage leaves NULL) the last update, else the end of the window (still running)."""
    completed = h.col(table, "completed_at", alias)
    updated = h.col(table, "updated_at", alias)
    started = h.col(table, "started_at", alias)
    status = h.d.text(f"{alias}.status")
    end = (f"COALESCE({completed}, CASE WHEN {status} IN ('FAILED', 'CANCELLED', 'UPSTREAM_FAILED', "
           f"'CONDITION_FAILED') THEN {updated} ELSE :window_end END)")
    return h.d.greatest(end, started)


def run_spans(h, level: str) -> str:
    """Start and end (epoch seconds) of one pipeline's runs or block runs: two numeric columns,
    swept in numpy by the caller. Uses the pipeline_uuid and pipeline_run_id indexes."""
    alias, table = ("pr", "pipeline_run") if level == "pipeline" else ("br", "block_run")
    start = h.d.epoch(f"{alias}.started_at")
    end = f"COALESCE({h.d.epoch(_run_end(h, alias, table))}, {start})"   # unknown end: a point
    source = "pipeline_run pr" if level == "pipeline" else \
        "pipeline_run pr JOIN block_run br ON br.pipeline_run_id = pr.id"
    return (f"SELECT {start} AS s, {end} AS e FROM {source} WHERE pr.pipeline_uuid = :pipeline "
            f"AND {h.in_window('pr')} AND {alias}.started_at IS NOT NULL")


# --- schedules and backfills ---------------------------------------------------------------

def schedules(h) -> str:
    """Triggers in the DB. Never the token itself: only whether one is set."""
    c = lambda name: h.col("pipeline_schedule", name, "ps")  # noqa: E731
    settings = c("settings")
    return (f"SELECT ps.id AS schedule_id, {c('name')} AS name, ps.pipeline_uuid, "
            f"{h.d.text(c('schedule_type'))} AS schedule_type, {c('schedule_interval')} AS schedule_interval, "
            f"{h.d.text(c('status'))} AS status, {c('start_time')} AS start_time, {c('sla')} AS sla, "
            f"{h.d.json_as_text(settings)} AS settings, {c('repo_path')} AS repo_path, "
            f"CASE WHEN {c('token')} IS NOT NULL AND {c('token')} <> '' THEN 1 ELSE 0 END AS has_token, "
            f"{c('created_at')} AS created_at, {c('last_enabled_at')} AS last_enabled_at "
            f"FROM pipeline_schedule ps")


def backfills(h) -> str:
    c = lambda name: h.col("backfill", name, "b")  # noqa: E731
    return (f"SELECT b.id, {c('name')} AS name, {c('pipeline_uuid')} AS pipeline_uuid, "
            f"{h.d.text(c('status'))} AS status, {h.d.text(c('interval_type'))} AS interval_type, "
            f"{c('interval_units')} AS interval_units, {c('start_datetime')} AS start_datetime, "
            f"{c('end_datetime')} AS end_datetime, {c('started_at')} AS started_at, "
            f"{c('completed_at')} AS completed_at, {c('failed_at')} AS failed_at, "
            f"{c('created_at')} AS created_at, {c('pipeline_schedule_id')} AS pipeline_schedule_id, "
            f"{h.d.json_as_text(c('settings'))} AS settings FROM backfill b")


def backfill_runs(h) -> str:
    """Runs per backfill and status, with durations; no window: a backfill is one unit."""
    duration = h.d.seconds(h.col("pipeline_run", "completed_at", "pr"),
                           h.col("pipeline_run", "started_at", "pr"))
    return (f"SELECT pr.backfill_id, {h.d.text('pr.status')} AS status, COUNT(*) AS runs, "
            f"COUNT(DISTINCT pr.execution_date) AS execution_dates, "
            f"MIN(pr.execution_date) AS first_execution, MAX(pr.execution_date) AS last_execution, "
            f"MIN({h.col('pipeline_run', 'started_at', 'pr')}) AS first_started, "
            f"MAX({h.col('pipeline_run', 'completed_at', 'pr')}) AS last_completed, "
            f"SUM(CASE WHEN {duration} >= 0 THEN {duration} END) AS duration_sum_s "
            f"FROM pipeline_run pr WHERE pr.backfill_id IS NOT NULL "
            f"GROUP BY pr.backfill_id, {h.d.text('pr.status')}")


def backfill_execution_dates(h) -> str:
    return ("SELECT DISTINCT pr.backfill_id, pr.execution_date FROM pipeline_run pr "
            "WHERE pr.backfill_id IS NOT NULL")


def distinct_statuses(table: str, d: Dialect) -> str:
    return f"SELECT DISTINCT {d.text('status')} AS status FROM {table}"
