"""Named SQL queries over Mage's run history, written once for SQLite and PostgreSQL.

Small tables are aggregated in the database (GROUP BY). The two big tables are read one
primary-key range of pipeline runs at a time by statements that need no sort in the database
(``run_columns``, ``block_rows_sqlite``, ``block_range_pg``, ``run_range_pg``; see passes.py
and frames.py for how they are consumed). The few spots where the two dialects differ (epoch
seconds, JSON probes, string aggregation) go through :class:`Dialect`. Columns an older Mage
lacks are replaced by NULL (see ``History.col``), so each query runs on any schema version that
has its table.
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

    def json_as_text(self, expr: str) -> str:
        return f"CAST({expr} AS TEXT)"

    def agg_text(self, expr: str, separator_code: int) -> str:
        """Concatenate ``expr`` over a group, separated by the character with that code."""
        if self.pg:
            return f"string_agg({expr}, chr({separator_code}))"
        return f"group_concat({expr}, char({separator_code}))"

    def json_mentions(self, expr: str, key: str) -> str:
        """1 when the JSON text contains the quoted key (a cheap textual test for hot paths)."""
        if self.pg:
            return f"(CASE WHEN CAST({expr} AS TEXT) LIKE '%\"{key}\"%' THEN 1 ELSE 0 END)"
        return f"(CASE WHEN instr({expr}, '\"{key}\"') > 0 THEN 1 ELSE 0 END)"

    def time_value(self, expr: str) -> str:
        """A timestamp as the run frame reads it: Postgres, integer epoch microseconds; SQLite,
        its stored text (parsed exactly by numpy: SQLite's date functions keep milliseconds
        only; numbers are Julian days there, see frames.times_us)."""
        if self.pg:
            return f"CAST(EXTRACT(EPOCH FROM {expr}) * 1000000 AS BIGINT)"
        return expr

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

FAILED_LIKE = ("FAILED", "CANCELLED", "UPSTREAM_FAILED", "CONDITION_FAILED")   # end at updated_at


def run_end_raw(h, alias: str, table: str, updated: str | None = None) -> str:
    """When a run stopped holding a slot, before clipping to its start: completed_at, else
    (FAILED/CANCELLED, whose completed_at Mage leaves NULL) the last update, else the end of
    the window (still running)."""
    completed = h.col(table, "completed_at", alias)
    updated = updated or h.col(table, "updated_at", alias)
    status = h.d.text(f"{alias}.status")
    failed = ", ".join(f"'{s}'" for s in FAILED_LIKE)
    return f"COALESCE({completed}, CASE WHEN {status} IN ({failed}) THEN {updated} ELSE :window_end END)"


# --- schedules and backfills ---------------------------------------------------------------

def schedules(h) -> str:
    """Triggers in the DB. Never the token itself: only whether one is set. ``variables`` is
    read only for its keys (``tidy.variable_keys`` drops the values at once)."""
    c = lambda name: h.col("pipeline_schedule", name, "ps")  # noqa: E731
    settings = c("settings")
    return (f"SELECT ps.id AS schedule_id, {c('name')} AS name, ps.pipeline_uuid, "
            f"{h.d.text(c('schedule_type'))} AS schedule_type, {c('schedule_interval')} AS schedule_interval, "
            f"{h.d.text(c('status'))} AS status, {c('start_time')} AS start_time, {c('sla')} AS sla, "
            f"{h.d.json_as_text(settings)} AS settings, {c('repo_path')} AS repo_path, "
            f"CASE WHEN {c('token')} IS NOT NULL AND {c('token')} <> '' THEN 1 ELSE 0 END AS has_token, "
            f"{c('created_at')} AS created_at, {c('last_enabled_at')} AS last_enabled_at, "
            f"{h.d.json_as_text(c('variables'))} AS variables "
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


def run_columns(h, pipelines: list[str], statuses: list[str]) -> str:
    """The pipeline runs with low <= id < high in the window as ONE row of comma-separated
    columns (a range is read in primary-key order, no sort; no Python object per value): id,
    pipeline code, status code, schedule id, passed_sla, backfill id, manual (API or "run now":
    has an execution_partition, not CANCELLED), then created/started/completed/execution/end
    (the end before clipping to the start) as :meth:`Dialect.time_value`. Missing numbers are
    ``nan``, missing times empty (Postgres: ``nan``). Columns follow frames.RUN_COLUMNS."""
    d = h.d
    col = lambda name: h.col("pipeline_run", name, "pr")  # noqa: E731
    # Textual test: parsing 1M JSON documents costs more than the rest of the query.
    partition = d.json_mentions(col("variables"), "execution_partition")
    status = d.text("pr.status")
    manual = f"(CASE WHEN {partition} = 1 AND {status} <> 'CANCELLED' THEN 1 ELSE 0 END)"
    numbers = ["pr.id", codes(pipelines, "pr.pipeline_uuid"), codes(statuses, status), "pr.pipeline_schedule_id",
               f"CASE WHEN {d.is_true(col('passed_sla'))} THEN 1 ELSE 0 END", col("backfill_id"), manual]
    times = [col("created_at"), col("started_at"), col("completed_at"), "pr.execution_date",
             run_end_raw(h, "pr", "pipeline_run")]
    joined = lambda expr, missing: f"{d.agg_text(f'COALESCE({d.text(expr)}, {missing})', 44)}"  # noqa: E731
    columns = [joined(e, "'nan'") for e in numbers] + [joined(d.time_value(e), "'nan'" if d.pg else "''")
                                                       for e in times]
    return (f"SELECT {', '.join(columns)} FROM pipeline_run pr "
            f"WHERE pr.id >= :low AND pr.id < :high AND {h.in_window('pr')}")


UNIT, RECORD = 31, 30            # separator character codes (never in uuids or statuses)
NULL_TIME = "'\\x8000000000000000'::bytea"     # int64 minimum: a missing timestamp


def _block_end(h) -> str:
    """Postgres: a block run's end before clipping (its start when unknown)."""
    return f"COALESCE({run_end_raw(h, 'br', 'block_run')}, br.started_at)"


def _range(h) -> str:
    return "br.pipeline_run_id >= :low AND br.pipeline_run_id < :high"


MISSING_TIME = "'0001-01-01 00:00:00.000000'"   # a NULL time in a fixed-width column (outside 1900-2200)


def block_rows_sqlite(h) -> str:
    """SQLite: the block runs with low <= id < high (a rowid range: no index, no sort, no
    GROUP BY), as ONE row of columns, one value per block run in rowid order:

    * run ids (``-1`` for NULL), comma-separated;
    * started_at and completed_at as stored (26 characters in Mage: numpy reads them in place;
      NULL is :data:`MISSING_TIME`), comma-separated;
    * block uuids (NULL is empty), separated by RS;
    * the few *odd* block runs (status not COMPLETED, completed_at or block_uuid NULL, or
      metrics mentioning "error"), each ``id US status US error (0/1) US updated_at US
      completed_at is NULL US block_uuid is NULL``, separated by RS: the client assumes
      COMPLETED, no error and the end at completed_at for every other block run.

    No text is built per block run beyond the stored values themselves (see blocks_sqlite)."""
    d = h.d
    col = lambda name: h.col("block_run", name, "br")  # noqa: E731
    unit, record = f"char({UNIT})", f"char({RECORD})"
    metrics, completed, updated = col("metrics"), col("completed_at"), col("updated_at")
    odd = (f"br.status IS NOT 'COMPLETED' OR {completed} IS NULL OR br.block_uuid IS NULL "
           f"OR instr({metrics}, '\"error\"') > 0")
    fields = ["COALESCE(br.status, '')", d.json_has(metrics, "error"), f"COALESCE({updated}, '')",
              f"({completed} IS NULL)", "(br.block_uuid IS NULL)"]
    detail = f" || {unit} || ".join(["br.id"] + fields)
    return (f"SELECT group_concat(COALESCE(br.pipeline_run_id, -1)), "
            f"group_concat(COALESCE({col('started_at')}, {MISSING_TIME}), ','), "
            f"group_concat(COALESCE({completed}, {MISSING_TIME}), ','), "
            f"group_concat(COALESCE(br.block_uuid, ''), {record}), "
            f"group_concat(CASE WHEN {odd} THEN {detail} END, {record}) "
            f"FROM block_run br WHERE br.id >= :low AND br.id < :high")


def block_ids_sqlite() -> str:
    """SQLite: the ids of a rowid range that has gaps (rows deleted), comma-separated."""
    return "SELECT group_concat(br.id) FROM block_run br WHERE br.id >= :low AND br.id < :high"


def block_rows_plain_sqlite(h) -> str:
    """SQLite: the same block runs one row each (for a range whose stored values contain a
    separator): run id, started_at, completed_at, block uuid, status, error, updated_at."""
    col = lambda name: h.col("block_run", name, "br")  # noqa: E731
    return (f"SELECT br.pipeline_run_id, {col('started_at')}, {col('completed_at')}, br.block_uuid, br.status, "
            f"{h.d.json_has(col('metrics'), 'error')}, {col('updated_at')} FROM block_run br "
            f"WHERE br.id >= :low AND br.id < :high ORDER BY br.id")


def _plausible(expr: str) -> str:
    return f"{expr} BETWEEN '1900-01-01 00:00:00+00' AND '2200-01-01 00:00:00+00'"


def block_range_pg(h, pipelines: list[str]) -> str:
    """Postgres: the started block runs of pipeline runs with low <= id < high, packed into
    three base64 columns (one row for the whole range):

    * heads: per run ``id int4, pipeline code int2, created_at (int64 us since 2000), n int4``;
    * bodies: per block run ``start - created_at, end - start`` as int4 microseconds (the low
      half of ``interval_send``'s microseconds, exact for intervals within 35 minutes; the
      block runs of each run follow each other in head order);
    * wide: block runs whose intervals do not fit, ``run id int4, start, end`` (int64 us).

    8 bytes a block run instead of ~60 characters of text; timestamps stay exact."""
    created = f"(CASE WHEN {_plausible('pr.created_at')} THEN pr.created_at END)"
    low4 = "substring(interval_send({}) FROM 5 FOR 4)"
    # Three fenced levels (OFFSET 0): each block run's end, offsets and fit are computed once,
    # not once per place that names them.
    rows = (f"SELECT pr.id AS rid, pr.pipeline_uuid AS uuid, {created} AS c, br.started_at AS s, "
            f"GREATEST({_block_end(h)}, br.started_at) AS e "
            f"FROM block_run br JOIN pipeline_run pr ON pr.id = br.pipeline_run_id "
            f"WHERE {_range(h)} AND {_range(h).replace('br.pipeline_run_id', 'pr.id')} AND {h.in_window('pr')} "
            f"AND pr.pipeline_uuid IS NOT NULL AND {_plausible('br.started_at')} OFFSET 0")
    spans = f"SELECT rid, uuid, c, s, e, s - c AS o, e - s AS d FROM ({rows}) a WHERE e <= '2200-01-01 00:00:00+00' OFFSET 0"
    fitted = (f"SELECT *, COALESCE(o BETWEEN INTERVAL '-35 minutes' AND INTERVAL '35 minutes' "
              f"AND d <= INTERVAL '35 minutes', FALSE) AS fits FROM ({spans}) b OFFSET 0")
    per_run = (
        f"SELECT rid, int4send(rid) || int2send(CAST({codes(pipelines, 'uuid')} AS SMALLINT)) || "
        f"COALESCE(timestamptz_send(c), {NULL_TIME}) || int4send(CAST(COUNT(*) FILTER (WHERE fits) AS INTEGER)) AS head, "
        f"string_agg({low4.format('o')} || {low4.format('d')}, ''::bytea) FILTER (WHERE fits) AS body, "
        f"string_agg(int4send(rid) || timestamptz_send(s) || timestamptz_send(e), ''::bytea) FILTER (WHERE NOT fits) AS wide "
        f"FROM ({fitted}) f GROUP BY rid, uuid, c")
    agg = "encode(string_agg({}, ''::bytea ORDER BY rid), 'base64')"
    return f"SELECT {agg.format('head')}, {agg.format('body')}, {agg.format('wide')} FROM ({per_run}) runs"


def block_stats_pg(h) -> str:
    """Postgres: block runs per (pipeline, block uuid without ``:suffix``, status) and how
    many kept metrics.error, for pipeline runs with low <= id < high. The JSON is parsed only
    where its text names the key (10M documents otherwise)."""
    d = h.d
    metrics = h.col("block_run", "metrics", "br")
    error = (f"CASE WHEN {d.json_mentions(metrics, 'error')} = 1 THEN {d.json_has(metrics, 'error')} ELSE 0 END"
             if metrics != "NULL" else "0")
    return (f"SELECT pr.pipeline_uuid, {d.base_uuid('br.block_uuid')}, COALESCE({d.text('br.status')}, ''), "
            f"COUNT(*), SUM({error}) FROM block_run br JOIN pipeline_run pr ON pr.id = br.pipeline_run_id "
            f"WHERE {_range(h).replace('br.pipeline_run_id', 'pr.id')} AND {h.in_window('pr')} "
            f"AND pr.pipeline_uuid IS NOT NULL AND br.block_uuid IS NOT NULL GROUP BY 1, 2, 3")


def run_range_pg(h, pipelines: list[str]) -> str:
    """Postgres: pipeline runs with low <= id < high in the window, packed (one base64 value
    for the range): ``id int4, pipeline code int2`` and created, started, end (before
    clipping to the start) as int64 microseconds since 2000 (int64 minimum: NULL)."""
    col = lambda name: h.col("pipeline_run", name, "pr")  # noqa: E731
    sent = lambda expr: f"COALESCE(timestamptz_send(CASE WHEN {_plausible(expr)} THEN {expr} END), {NULL_TIME})"  # noqa: E731
    record = (f"int4send(pr.id) || int2send(CAST({codes(pipelines, 'pr.pipeline_uuid')} AS SMALLINT)) || "
              f"{sent(col('created_at'))} || {sent(col('started_at'))} || {sent(run_end_raw(h, 'pr', 'pipeline_run'))}")
    return (f"SELECT encode(string_agg({record}, ''::bytea ORDER BY pr.id), 'base64') FROM pipeline_run pr "
            f"WHERE pr.id >= :low AND pr.id < :high AND {h.in_window('pr')} AND pr.pipeline_uuid IS NOT NULL")
