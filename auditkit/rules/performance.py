"""Rules of category ``performance``: chunked reads, connection handling, executor choice,
execution mode and concurrency limits (configured and observed)."""
from __future__ import annotations

from statistics import median

from auditkit.analytics.concurrency import concurrency_overview
from auditkit.engine.base import Rule, Threshold, register
from auditkit.engine.lookups import (
    BATCH_TYPES, as_dict, block_rows_with_files, executor_of, history_of, place, repeating_triggers,
)
from auditkit.engine.frames import (
    fact, file_place, first_line, frame_of, logic_files, number, plural, rows, short_list,
)


@register
class UnchunkedRead(Rule):
    """A block reads a whole file or query result into memory at once.

    What it checks:
        ``read_csv`` / ``read_json`` / ``read_sql`` (and ``read_table``, ``read_fwf``) calls
        without ``chunksize`` and ``open(...).read()`` in block files.

    Why it matters:
        Memory grows with the input; the day the file or table doubles, the block is killed
        for running out of memory.

    Example:
        ``df = pd.read_csv('s3://landing/orders.csv')``.

    Fix:
        Read with ``chunksize=`` and process each chunk, or push filtering and aggregation into
        the database query.
    """

    id = "MAGE-PRF-001"
    name = "unchunked-read"
    title = "Whole file or result read without chunking"
    category = "performance"
    severity = "low"
    off_by_default = ("whether a read needs chunks depends on the size of the data, which the code does "
                      "not tell: on real repos the flagged reads were small files or results a block "
                      "returns whole anyway (0 of 12 labelled findings held up)")
    practices = ("BP-PERF-STREAM-FILES", "BP-RESOURCE-CHUNKS")

    def check(self):
        for row in logic_files(self.ctx.inventory):
            reads = fact(row, "unchunked_reads") or []
            if reads:
                calls = sorted({str(r[1]) for r in reads})
                yield self.finding(f"{len(reads)} read(s) load the whole input at once",
                                   **file_place(row),
                                   line=first_line(reads), evidence=f"calls: {short_list(calls)}")


@register
class ConnectionNotClosed(Rule):
    """A block opens a connection and never closes it.

    What it checks:
        Block files that open a connection or engine (``connect()``, ``create_engine()``,
        Mage io ``with_config()``) with no ``close()``/``dispose()`` and no ``with`` block.

    Why it matters:
        Each run leaks a database session; the database's connection limit is reached and
        other pipelines start failing.

    Example:
        ``conn = psycopg2.connect(...)`` followed by ``pd.read_sql(q, conn)`` and nothing else.

    Fix:
        Use ``with Postgres.with_config(config) as loader:`` or close in ``finally``.
    """

    id = "MAGE-PRF-002"
    name = "connection-not-closed"
    title = "Connection opened and not closed"
    category = "performance"
    severity = "medium"
    practices = ("BP-PERF-CLEANUP", "BP-RESOURCE-CLOSE-CONNECTIONS")

    def check(self):
        for row in logic_files(self.ctx.inventory):
            opened = fact(row, "connections_opened") or []
            if opened and fact(row, "closes_connections") is False:
                yield self.finding(f"'{row.get('block')}' opens {plural(len(opened), 'connection')} and closes none",
                                   **file_place(row),
                                   line=first_line(opened), evidence=f"opened at line(s) {short_list(opened)}")


@register
class ConnectionNotPooled(Rule):
    """A block creates a new database connection on every run instead of reusing a pool.

    What it checks:
        Driver connections and SQLAlchemy engines (``psycopg2.connect``, ``create_engine``)
        created inside functions, with no module-level engine and no ``pool_size``.

    Why it matters:
        Opening a connection costs a TLS handshake and authentication each time; many small
        blocks doing it at once overload the database.

    Example:
        ``def load(): engine = create_engine(url)`` inside the block function.

    Fix:
        Create the engine once at module level with ``pool_size``/``max_overflow``, or use Mage's
        io classes through ``io_config.yaml``.
    """

    id = "MAGE-PRF-003"
    name = "connection-not-pooled"
    title = "Connection created per run without pooling"
    category = "performance"
    severity = "low"
    off_by_default = ("Mage runs each block in its own process, so a module-level pool is not reused across "
                      "runs; one connection per run is normal (0 of 4 labelled findings held up)")
    practices = ("BP-PERF-CONNECTION-POOLING", "BP-RESOURCE-REUSE-CONNECTIONS")

    def check(self):
        for row in logic_files(self.ctx.inventory):
            raw = fact(row, "raw_connections") or []
            if raw and fact(row, "uses_pool") is False:
                calls = sorted({str(r[1]) for r in raw})
                yield self.finding("database connection created per run without a pool",
                                   **file_place(row),
                                   line=first_line(raw), evidence=f"calls: {short_list(calls)}")


@register
class ExecutorMismatch(Rule):
    """The executor does not fit the pipeline's size.

    What it checks:
        Batch pipelines on the ``k8s`` executor with at most ``small_pipeline_blocks`` blocks
        (a pod per block for little work), and pipelines on the local executor with at least
        ``large_pipeline_blocks`` blocks.

    Why it matters:
        The guide: ``local_python`` is faster for small and medium pipelines (no pod start-up);
        ``k8s`` is for large or resource-hungry pipelines that need to scale out.

    Example:
        A 3-block reconciliation pipeline with ``executor_type: k8s``.

    Fix:
        Use ``local_python`` for small pipelines; move large ones (or their heavy blocks) to
        ``k8s`` with resource requests.

    Options:
        ``small_pipeline_blocks`` and ``large_pipeline_blocks``: the block counts that make a
        pipeline small or large.
    """

    id = "MAGE-PRF-004"
    name = "executor-mismatch"
    title = "Executor not suited to the pipeline size"
    category = "performance"
    severity = "info"
    thresholds = (Threshold("small_pipeline_blocks", 5, "at most this many blocks is a small pipeline", "integer > 0"),
                  Threshold("large_pipeline_blocks", 40, "at least this many blocks is a large pipeline", "integer > 0"))
    practices = ("BP-PERF-EXECUTOR",)

    def check(self):
        small, large = self.option("small_pipeline_blocks"), self.option("large_pipeline_blocks")
        for p in rows(frame_of(self.ctx.inventory, "pipelines")):
            n = number(p.get("n_blocks"))
            if n is None or p.get("pipeline_type") not in BATCH_TYPES:
                continue
            executor = executor_of(p)
            where = dict(project=p["project"], pipeline=p["pipeline"], path=p.get("path"))
            if executor == "k8s" and n <= small:
                yield self.finding(f"k8s executor for a pipeline of {int(n)} blocks", key="k8s-small",
                                   evidence=f"executor_type=k8s, n_blocks={int(n)}", **where)
            elif executor.startswith("local_python") and n >= large:
                yield self.finding(f"local executor for a pipeline of {int(n)} blocks", key="local-large",
                                   evidence=f"executor_type={executor}, n_blocks={int(n)}", **where)


@register
class OneProcessNotSet(Rule):
    """A pipeline of many small blocks starts a process per block.

    What it checks:
        Batch pipelines on the local executor with at least ``min_blocks`` blocks whose median
        block file has at most ``small_block_lines`` code lines, without
        ``run_pipeline_in_one_process: true``.

    Why it matters:
        Each block of a local_python pipeline runs in its own process by default; for many
        short blocks the start-up overhead dominates the run time.

    Example:
        A 13-block pipeline of 30-line transformers with no ``run_pipeline_in_one_process``.

    Fix:
        Set ``run_pipeline_in_one_process: true`` in the pipeline's ``metadata.yaml`` (keep it
        off when blocks need memory isolation).

    Options:
        ``min_blocks``: block count from which the setting matters. ``small_block_lines``:
        median code lines at or below which blocks count as small.
    """

    id = "MAGE-PRF-005"
    name = "one-process-not-set"
    title = "Many small blocks without run_pipeline_in_one_process"
    category = "performance"
    severity = "info"
    off_by_default = ("process start-up is rarely what a pipeline's run time is made of: on real repos "
                      "the flagged pipelines were dbt models, daily jobs or manual runs (0 of 6 held up)")
    thresholds = (Threshold("min_blocks", 10, "block count from which one-process mode matters", "integer > 0"),
                  Threshold("small_block_lines", 60, "median code lines of a small block", "integer > 0"))
    practices = ("BP-PERF-ONE-PROCESS",)

    def check(self):
        inv = self.ctx.inventory
        sizes: dict[str, list[float]] = {}
        for b in block_rows_with_files(inv):
            lines = number((b.get("file") or {}).get("lines_code"))
            if lines is not None:
                sizes.setdefault(str(b["pipeline"]), []).append(lines)
        for p in rows(frame_of(inv, "pipelines")):
            n = number(p.get("n_blocks"))
            if n is None or n < self.option("min_blocks") or p.get("pipeline_type") not in BATCH_TYPES:
                continue
            if p.get("run_pipeline_in_one_process") is True or not executor_of(p).startswith("local_python"):
                continue
            block_sizes = sizes.get(str(p["pipeline"]))
            if block_sizes and median(block_sizes) <= self.option("small_block_lines"):
                yield self.finding(
                    f"{int(n)} blocks with a median of {median(block_sizes):.0f} code lines run one process each",
                    project=p["project"], pipeline=p["pipeline"], path=p.get("path"),
                    evidence=f"run_pipeline_in_one_process={p.get('run_pipeline_in_one_process')}")


@register
class NoConcurrencyLimit(Rule):
    """A frequently scheduled pipeline has no limit on overlapping runs.

    What it checks:
        Pipelines with an active time trigger repeating at least every ``max_interval_s``
        seconds that set neither ``concurrency_config`` run limits, nor a trigger
        ``settings.pipeline_run_limit``, nor ``skip_if_previous_running``.

    Why it matters:
        When one run is slow, the next starts on top of it; runs pile up, compete for the same
        database and may write the same partition twice.

    Example:
        An ``@hourly`` trigger on a pipeline without ``concurrency_config``.

    Fix:
        Set ``concurrency_config: {pipeline_run_limit: 1}`` on the pipeline, or
        ``settings: {skip_if_previous_running: true}`` on the trigger.

    Options:
        ``max_interval_s``: triggers repeating at least this often need a limit.
    """

    id = "MAGE-PRF-006"
    name = "no-concurrency-limit"
    title = "Frequent trigger without concurrency limit"
    category = "performance"
    severity = "low"
    thresholds = (Threshold("max_interval_s", 3600, "schedules this frequent need a run limit", "seconds > 0"),)
    practices = ("BP-PERF-CONCURRENCY",)

    def check(self):
        inv = self.ctx.inventory
        pipelines = {str(p["pipeline"]): p for p in rows(frame_of(inv, "pipelines"))}
        triggers = [t for t in repeating_triggers(inv) if t["interval_s"] <= self.option("max_interval_s")]
        limited = {str(t["pipeline"]) for t in rows(frame_of(inv, "triggers"))
                   if as_dict(t.get("settings")).get("pipeline_run_limit")
                   or as_dict(t.get("settings")).get("skip_if_previous_running")}
        reported: set[str] = set()
        for t in triggers:
            pipeline = str(t["pipeline"])
            config = as_dict(pipelines.get(pipeline, {}).get("concurrency_config"))
            if pipeline in reported or pipeline in limited or config.get("pipeline_run_limit") \
                    or config.get("pipeline_run_limit_all_triggers"):
                continue
            reported.add(pipeline)
            yield self.finding(f"trigger '{t['name']}' runs every {t['interval_s'] / 60:.0f} min with no run limit",
                               **place(inv, pipeline), evidence=f"schedule_interval={t.get('schedule_interval')}")


@register
class ConcurrencyOverLimit(Rule):
    """More runs ran at once than the configured limit allows.

    What it checks:
        Pipelines whose peak concurrent pipeline runs (or block runs) in the history exceed the
        tightest configured ``pipeline_run_limit`` (or ``block_run_limit``).

    Why it matters:
        The limit is not doing its job: runs started outside the triggers it covers (API,
        backfills, manual runs) or the setting is not read by the deployed Mage version.

    Example:
        ``pipeline_run_limit: 1`` while the history shows 3 overlapping runs.

    Fix:
        Check which triggers started the overlapping runs; set ``pipeline_run_limit_all_triggers``
        or a backfill ``pipeline_run_limit``.
    """

    id = "MAGE-PRF-007"
    name = "concurrency-over-limit"
    title = "Observed concurrency above the configured limit"
    category = "performance"
    severity = "medium"
    needs = frozenset({"inventory", "history"})
    practices = ("BP-PERF-CONCURRENCY",)

    def check(self):
        history = history_of(self.ctx)
        if history is None:
            return
        frame = concurrency_overview(history, self.ctx.inventory)
        for r in rows(frame):
            where = place(self.ctx.inventory, r["pipeline"])
            if r.get("over_limit"):
                yield self.finding(
                    f"{int(r['peak_pipeline_runs'])} concurrent runs against a limit of {int(r['effective_run_limit'])}",
                    key="pipeline_runs", evidence=f"peak_pipeline_runs={int(r['peak_pipeline_runs'])}", **where)
            if r.get("block_over_limit"):
                yield self.finding(
                    f"{int(r['peak_block_runs'])} concurrent block runs against block_run_limit {int(r['block_run_limit'])}",
                    key="block_runs", evidence=f"peak_block_runs={int(r['peak_block_runs'])}", **where)


@register
class QueueConcurrencyUnset(Rule):
    """A project with scheduled triggers leaves the global run queue at Mage's default.

    What it checks:
        Projects with at least one active trigger whose ``queue_config.concurrency`` is unset
        (Mage then runs up to 20 pipeline runs at once).

    Why it matters:
        The global limit protects the Mage host and the sources from a burst of runs
        (backfills, catch-up after downtime). The default is rarely the right number.

    Example:
        No ``queue_config`` in the project ``metadata.yaml``.

    Fix:
        Set ``queue_config: {concurrency: N}`` to what the host and databases can carry.
    """

    id = "MAGE-PRF-008"
    name = "queue-concurrency-unset"
    title = "Global queue concurrency left at the default"
    category = "performance"
    severity = "info"
    off_by_default = ("the default queue concurrency (20) is only a risk for projects with many frequent "
                      "triggers; on real repos it fired on projects with one or two (0 of 3 held up)")
    practices = ("BP-PERF-CONCURRENCY",)

    def check(self):
        inv = self.ctx.inventory
        scheduled = {str(t["project"]) for t in rows(frame_of(inv, "triggers"))
                     if str(t.get("status") or "").lower() == "active"}
        for p in rows(frame_of(inv, "projects")):
            if str(p["project"]) in scheduled and as_dict(p.get("queue_config")).get("concurrency") is None:
                base = str(p.get("path") or ".")
                yield self.finding("queue_config.concurrency is not set (Mage default: 20 concurrent runs)",
                                   project=p["project"],
                                   path="metadata.yaml" if base in (".", "") else f"{base}/metadata.yaml")
