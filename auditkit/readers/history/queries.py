"""Named SQL queries over Mage's run history, written once for SQLite and PostgreSQL.

Small tables are aggregated in the database (GROUP BY). The two big tables are each read by
one query that needs no sort in the database (``run_facts``, ``block_signatures``; see
frames.py for why and how they are reduced). The few spots where the two dialects differ
(epoch seconds, buckets, JSON probes, string aggregation) go through :class:`Dialect`.
Columns an older Mage lacks are replaced by NULL (see ``History.col``), so each query runs on
any schema version that has its table.
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
        """Enum or text as plain text (Postgres enums need a cast; SQLite stores text)."""
        return f"CAST({expr} AS TEXT)" if self.pg else expr

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

    def json_mentions(self, expr: str, key: str) -> str:
        """1 when the JSON text contains the quoted key (a cheap textual test for hot paths)."""
        if self.pg:
            return f"(CASE WHEN CAST({expr} AS TEXT) LIKE '%\"{key}\"%' THEN 1 ELSE 0 END)"
        return f"(CASE WHEN instr({expr}, '\"{key}\"') > 0 THEN 1 ELSE 0 END)"

    def greatest(self, a: str, b: str) -> str:
        return f"GREATEST({a}, {b})" if self.pg else f"MAX({a}, {b})"

    def is_true(self, expr: str) -> str:
        return f"COALESCE(CAST({expr} AS INTEGER), 0) = 1" if not self.pg else f"COALESCE({expr}, FALSE)"


# --- pipeline runs -------------------------------------------------------------------------

def negative_intervals(h, later: str, earlier: str) -> str:
    return (f"SELECT COUNT(*) FROM pipeline_run pr WHERE {h.in_window('pr')} "
            f"AND {h.d.seconds(later, earlier)} < 0")


def skipped_runs(h) -> str:
    """CANCELLED runs that never got a block run (skip_if_previous_running, run limits)."""
    exists = ("NOT EXISTS (SELECT 1 FROM block_run br WHERE br.pipeline_run_id = pr.id)"
              if "block_run" in h.tables else "1 = 1")
    return (f"SELECT pr.pipeline_uuid, COUNT(*) AS skipped_runs FROM pipeline_run pr "
            f"WHERE {h.in_window('pr')} AND {h.d.text('pr.status')} = 'CANCELLED' AND {exists} "
            f"GROUP BY pr.pipeline_uuid")


# --- block runs ----------------------------------------------------------------------------

def negative_block_durations(h) -> str:
    completed = h.col("block_run", "completed_at", "br")
    return (f"SELECT COUNT(*) FROM block_run br WHERE {completed} IS NOT NULL "
            f"AND {completed} < br.started_at")


# --- concurrency ---------------------------------------------------------------------------

def run_end_raw(h, alias: str, table: str) -> str:
    """When a run stopped holding a slot, before clipping to its start: completed_at, else
    (FAILED/CANCELLED, whose completed_at Mage leaves NULL) the last update, else the end of
    the window (still running)."""
    completed = h.col(table, "completed_at", alias)
    updated = h.col(table, "updated_at", alias)
    status = h.d.text(f"{alias}.status")
    return (f"COALESCE({completed}, CASE WHEN {status} IN ('FAILED', 'CANCELLED', 'UPSTREAM_FAILED', "
            f"'CONDITION_FAILED') THEN {updated} ELSE :window_end END)")


def _run_end(h, alias: str, table: str) -> str:
    """:func:`run_end_raw`, never before the start."""
    completed = h.col(table, "completed_at", alias)
    updated = h.col(table, "updated_at", alias)
    started = h.col(table, "started_at", alias)
    status = h.d.text(f"{alias}.status")
    end = (f"COALESCE({completed}, CASE WHEN {status} IN ('FAILED', 'CANCELLED', 'UPSTREAM_FAILED', "
           f"'CONDITION_FAILED') THEN {updated} ELSE :window_end END)")
    return h.d.greatest(end, started)


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


# --- the two passes over the big tables (see frames.py) ------------------------------------

def codes(values: list[str], expr: str) -> str:
    """CASE mapping known text values to their index (unknown -> -1)."""
    if not values:
        return "-1"
    whens = " ".join(f"WHEN '{v.replace(chr(39), chr(39) * 2)}' THEN {i}" for i, v in enumerate(values))
    return f"(CASE {expr} {whens} ELSE -1 END)"


def run_facts(h, pipelines: list[str], statuses: list[str]) -> str:
    """One numeric row per pipeline run in the window: id, pipeline code, status code,
    schedule id, created/started/completed/execution/end as epoch seconds, passed_sla,
    backfill id, manual (API or "run now": has an execution_partition, not CANCELLED).
    Columns follow frames.RUN_COLUMNS."""
    d = h.d
    col = lambda name: h.col("pipeline_run", name, "pr")  # noqa: E731
    # Textual test: parsing 1M JSON documents costs more than the rest of the query.
    partition = d.json_mentions(col("variables"), "execution_partition")
    status = d.text("pr.status")
    manual = f"(CASE WHEN {partition} = 1 AND {status} <> 'CANCELLED' THEN 1 ELSE 0 END)"
    return (f"SELECT pr.id, {codes(pipelines, 'pr.pipeline_uuid')}, {codes(statuses, status)}, "
            f"pr.pipeline_schedule_id, {d.epoch(col('created_at'))}, {d.epoch(col('started_at'))}, "
            f"{d.epoch(col('completed_at'))}, {d.epoch('pr.execution_date')}, "
            f"{d.epoch(_run_end(h, 'pr', 'pipeline_run'))}, "
            f"CASE WHEN {d.is_true(col('passed_sla'))} THEN 1 ELSE 0 END, {col('backfill_id')}, {manual} "
            f"FROM pipeline_run pr WHERE {h.in_window('pr')}")


def block_signatures(h, unit: int = 31, record: int = 30) -> str:
    """block_run grouped by pipeline_run_id (streams along ix_block_run_pipeline_run_id).

    Per run: the signature (``uuid US status [US 1 when metrics.error]`` joined by RS) and
    the spans of started block runs (``start,end`` pairs; SQLite: the stored text, parsed in
    numpy, which costs less than julianday() here; Postgres: epoch milliseconds). Per-row
    SQL is kept to concatenation: this is the query that meets 10M rows."""
    d = h.d
    metrics = h.col("block_run", "metrics", "br")
    unit, record = (f"chr({unit})", f"chr({record})") if d.pg else (f"'{chr(unit)}'", f"'{chr(record)}'")
    error = (f"CASE WHEN {d.json_has(metrics, 'error')} = 1 THEN {unit} || '1' ELSE '' END")
    item = f"br.block_uuid || {unit} || COALESCE({d.text('br.status')}, '') || {error}"
    end = f"COALESCE({run_end_raw(h, 'br', 'block_run')}, br.started_at)"
    if d.pg:
        span = (f"CAST(FLOOR({d.epoch('br.started_at')} * 1000) AS BIGINT) || ',' || "
                f"CAST(FLOOR({d.epoch(end)} * 1000) AS BIGINT)")
        spans = f"string_agg({span}, ',')"
        sig = f"string_agg({item}, {record})"
    else:
        spans = f"group_concat(br.started_at || ',' || {end}, ',')"   # NULL start: skipped
        sig = f"group_concat({item}, {record})"
    return f"SELECT br.pipeline_run_id, {sig}, {spans} FROM block_run br GROUP BY br.pipeline_run_id"
