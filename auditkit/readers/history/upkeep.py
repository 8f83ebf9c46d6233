"""Read-only queries for the history's upkeep: runs still open at the end of the window, the
times pipeline runs were created (for scheduler stalls), and the size of the history itself
(row counts, oldest rows, growth per month, DB size).

Every query is bounded on a 10M-row history: counts and MIN/MAX read indexes or one scan of
``pipeline_run``; ``block_run`` is never grouped, only counted along its ``pipeline_run_id``
index between the first and last run id of each month. Mage never deletes run rows, so the
history grows until someone purges it (reference section 13).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

RUN_TABLES = ("pipeline_run", "block_run", "backfill", "generic_job")
OPEN_STATUSES = ("RUNNING", "INITIAL")
OPEN_RUN_COLUMNS = ["run_id", "pipeline_uuid", "schedule_id", "backfill_id", "status", "created_at",
                    "started_at", "updated_at"]
TABLE_COLUMNS = ["table", "rows", "min_id", "max_id", "oldest", "newest", "bytes"]
MONTH_COLUMNS = ["month", "pipeline_runs", "block_runs", "first_run_id", "last_run_id"]


def open_runs(h) -> pd.DataFrame:
    """Pipeline runs created before the end of the window (whatever its start: a run hung
    since before ``since`` is still open) that are RUNNING or INITIAL (status is indexed)."""
    c = lambda name: h.col("pipeline_run", name, "pr")
    statuses = ", ".join(f"'{s}'" for s in OPEN_STATUSES)
    sql = (f"SELECT pr.id AS run_id, pr.pipeline_uuid, {c('pipeline_schedule_id')} AS schedule_id, "
           f"{c('backfill_id')} AS backfill_id, {h.d.text('pr.status')} AS status, pr.created_at, "
           f"{c('started_at')} AS started_at, {c('updated_at')} AS updated_at FROM pipeline_run pr "
           f"WHERE {h.d.text('pr.status')} IN ({statuses})"
           + (" AND pr.created_at < :until" if h.until is not None else ""))
    return h.query(sql, "open_runs", columns=OPEN_RUN_COLUMNS)


def latest_starts(h) -> pd.DataFrame:
    """The last run start per pipeline in the window (``pipeline_uuid, last_started_at``)."""
    started = h.col("pipeline_run", "started_at", "pr")
    sql = (f"SELECT pr.pipeline_uuid, MAX({started}) AS last_started_at FROM pipeline_run pr "
           f"WHERE {h.in_window('pr')} GROUP BY pr.pipeline_uuid")
    return h.query(sql, "latest_starts", columns=["pipeline_uuid", "last_started_at"])


def creation_seconds(h) -> np.ndarray:
    """Epoch seconds at which the scheduler created the window's pipeline runs, sorted: runs
    of API calls and "run now" (an ``execution_partition`` in their variables, unless CANCELLED:
    a skipped tick also stores one) and of backfills (created by the web server) are left out."""
    manual = h.d.json_mentions(h.col("pipeline_run", "variables", "pr"), "execution_partition")
    sql = (f"SELECT {h.d.epoch('pr.created_at')} FROM pipeline_run pr WHERE {h.in_window('pr')} "
           f"AND {h.col('pipeline_run', 'backfill_id', 'pr')} IS NULL "
           f"AND ({manual} = 0 OR {h.d.text('pr.status')} = 'CANCELLED')")
    (seconds,) = h.column_arrays(sql, "run_creation_times",
                                 [lambda v: np.asarray(v, dtype=np.float64)])
    seconds = seconds.astype(np.float64)
    # SQLite's julianday arithmetic is exact to the millisecond only.
    return np.sort(np.round(seconds[~np.isnan(seconds)], 3))


def table_figures(h) -> pd.DataFrame:
    """Rows, id range, oldest/newest ``created_at`` and size (bytes, Postgres only) per run table."""
    out = []
    for table in RUN_TABLES:
        if not h.has(table):
            continue
        created = h.col(table, "created_at")
        sql = (f"SELECT COUNT(*) AS n, MIN(id) AS min_id, MAX(id) AS max_id FROM {table}")
        counts = h.query(sql, f"count_{table}", needs=(table,), columns=["n", "min_id", "max_id"])
        if counts.empty:
            continue
        n, low, high = (counts.iloc[0][k] for k in ("n", "min_id", "max_id"))
        oldest = newest = None
        if created != "NULL" and low is not None and not pd.isna(low):
            ends = h.query(f"SELECT (SELECT {created} FROM {table} WHERE id = :low) AS oldest, "
                           f"(SELECT {created} FROM {table} WHERE id = :high) AS newest",
                           f"ends_{table}", needs=(table,), columns=["oldest", "newest"],
                           extra={"low": int(low), "high": int(high)})
            if not ends.empty:
                oldest, newest = ends.iloc[0]["oldest"], ends.iloc[0]["newest"]
        out.append({"table": table, "rows": int(n or 0), "min_id": low, "max_id": high,
                    "oldest": oldest, "newest": newest, "bytes": _table_bytes(h, table)})
    frame = pd.DataFrame(out, columns=TABLE_COLUMNS)
    for column in ("oldest", "newest"):
        frame[column] = pd.to_datetime(frame[column], errors="coerce", utc=True, format="mixed").dt.tz_localize(None)
    return frame


def _table_bytes(h, table: str) -> float | None:
    if not h.d.pg:
        return None
    size = h.query(f"SELECT pg_total_relation_size('{table}') AS b", f"size_{table}", needs=(table,),
                   columns=["b"])
    return float(size.iloc[0]["b"]) if not size.empty and size.iloc[0]["b"] is not None else None


def database_bytes(h) -> float | None:
    """The whole DB's size: SQLite page_count x page_size, Postgres pg_database_size."""
    sql = ("SELECT pg_database_size(current_database()) AS b" if h.d.pg else
           "SELECT page_count * page_size AS b FROM pragma_page_count(), pragma_page_size()")
    size = h.query(sql, "database_size", needs=(), columns=["b"])
    value = size.iloc[0]["b"] if not size.empty else None
    return float(value) if value is not None and not pd.isna(value) else None


def monthly_growth(h) -> pd.DataFrame:
    """Pipeline runs per month of ``created_at`` (one scan of pipeline_run, whole history) and
    the block runs of those runs (counted on block_run's pipeline_run_id index)."""
    month = "to_char(pr.created_at, 'YYYY-MM')" if h.d.pg else "substr(pr.created_at, 1, 7)"
    sql = (f"SELECT {month} AS month, COUNT(*) AS pipeline_runs, MIN(pr.id) AS first_run_id, "
           f"MAX(pr.id) AS last_run_id FROM pipeline_run pr GROUP BY {month} ORDER BY 1")
    months = h.query(sql, "monthly_growth", columns=["month", "pipeline_runs", "first_run_id", "last_run_id"])
    blocks = []
    for row in months.itertuples(index=False):
        count = None
        if h.has("block_run"):
            found = h.query("SELECT COUNT(*) AS n FROM block_run WHERE pipeline_run_id BETWEEN :lo AND :hi",
                            "monthly_block_runs", needs=("block_run",), columns=["n"],
                            extra={"lo": int(row.first_run_id), "hi": int(row.last_run_id)})
            count = int(found.iloc[0]["n"]) if not found.empty else None
        blocks.append(count)
    months["block_runs"] = blocks
    return months.reindex(columns=MONTH_COLUMNS)
