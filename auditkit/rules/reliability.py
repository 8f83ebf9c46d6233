"""Rules of category ``reliability``: error handling, retries, idempotent exports, checkpoints,
timeouts, and the failures and retries seen in the run history."""
from __future__ import annotations

from collections import defaultdict

import pandas as pd

from auditkit.analytics.retries import RETRY_DEFAULTS, effective_retry_config, retry_overview
from auditkit.analytics.runs import run_health
from auditkit.engine.base import Rule, Threshold, register
from auditkit.engine.lookups import (
    BATCH_TYPES, as_dict, history_of, interval_seconds, pipelines_by_uuid, place, unattended_pipelines,
)
from auditkit.engine.frames import (
    fact, file_place, first_line, frame_of, logic_files, number, pipeline_condition, plural, rows, short_list,
)

APPEND_MODES = {"append", "insert"}
IDEMPOTENT_MODES = {"upsert", "merge", "replace", "delete", "overwrite"}
REMOTE_BLOCK_TYPES = ("data_loader", "data_exporter", "transformer", "custom", "sensor")


@register
class SwallowedException(Rule):
    """An ``except`` clause hides the error: no re-raise, no log.

    What it checks:
        Broad handlers (bare ``except:``, ``except Exception``) in block files that pipelines
        run, which neither re-raise (also after logging or inside a ``with``), exit, log through
        a logger, nor pass the caught error on (return it, store it, hand it to a call). A
        ``print`` does not count: the run still goes on as if nothing failed. Typed handlers
        (``except ValueError: return None``) are deliberate fallbacks and best-effort cleanup
        (a ``try`` that only closes or removes things) may ignore its errors; neither is
        reported.

    Why it matters:
        The block run is marked COMPLETED while the data is missing or partial. Mage's retries
        and failure alerts never trigger, and the error is found days later downstream.

    Example:
        ``except Exception: pass`` around ``requests.get(...)`` in a loader.

    Fix:
        Catch only the errors you can handle, log them with ``logger.error(..., exc_info=True)``,
        and ``raise`` everything else so Mage retries and alerts.
    """

    id = "MAGE-REL-001"
    name = "swallowed-exception"
    title = "Exception swallowed without logging or re-raising"
    category = "reliability"
    severity = "high"
    practices = ("BP-ERROR-GRACEFUL",)

    def check(self):
        for row in logic_files(self.ctx.inventory):
            lines = fact(row, "swallowed_exceptions") or []
            if lines:
                yield self.finding(
                    f"{plural(len(lines), 'broad exception handler')} in '{row.get('block')}' "
                    f"{'hides' if len(lines) == 1 else 'hide'} the error (no raise, no logger, error not passed on)",
                    **file_place(row), line=min(lines),
                    evidence=f"except at line(s) {short_list(lines)}")


@register
class NoRetryForExternalIO(Rule):
    """Blocks that call other systems run without automatic retries.

    What it checks:
        Blocks of batch pipelines that run unattended (an active trigger in ``triggers.yaml``,
        or a trigger in the run history) whose code reaches another system (a database, an
        HTTP API, an object store or cloud API, a remote URL; SQL blocks run against their
        database) and whose effective ``retry_config`` (Mage's defaults, then the project's,
        then the block's) gives ``retries`` below ``min_retries``. Blocks that only read local
        files or hand work to another pipeline are not affected by network blips, and a
        pipeline run by hand has someone watching who reruns it: on real repos half of the
        findings on such pipelines were demos and one-off loads. One finding per pipeline.
        Pipelines that are empty, broken (a block file is missing or does not parse) or only
        Mage's untouched scaffolding are left to the rules that report those, and so are
        pollers: pipelines whose every trigger is a schedule firing at least every
        ``poll_minutes`` (their next run comes before a retry's backoff would end).

    Why it matters:
        Network blips, rate limits and locked tables are the most common failures of scheduled
        pipelines; without retries each one is a failed run and a manual rerun.

    Example:
        No ``retry_config`` in the project ``metadata.yaml`` nor on ``load_stripe_charges``.

    Fix:
        Set ``retry_config: {retries: 3, delay: 30, exponential_backoff: true}`` in the project
        ``metadata.yaml`` (or on the loader/exporter blocks).

    Options:
        ``min_retries``: fewest automatic retries a loader/exporter should have.
        ``poll_minutes``: schedules at least this frequent make a pipeline a poller.
    """

    id = "MAGE-REL-002"
    name = "no-retry-for-external-io"
    title = "External calls without automatic retries"
    category = "reliability"
    severity = "medium"
    thresholds = (Threshold("min_retries", 1, "fewest retries for blocks that call other systems", "integer >= 1"),
                  Threshold("poll_minutes", 15, "schedules at least this frequent (minutes) make a pipeline "
                            "a poller whose next run is its retry", "integer >= 0"),)
    practices = ("BP-ERROR-RETRY", "BP-SCHEDULE-RETRY")

    def check(self):
        inv = self.ctx.inventory
        minimum = self.option("min_retries")
        pipelines = pipelines_by_uuid(inv)
        not_live = pipeline_condition(inv)
        config = effective_retry_config(inv)
        remote = _remote_blocks(inv)
        unattended = unattended_pipelines(inv, self.ctx.history) - _pollers(inv, 60 * self.option("poll_minutes"))
        lacking: dict[str, list[str]] = {}
        for r in rows(config):
            if (r["project"], r["pipeline"], r["block"]) not in remote:
                continue
            if pipelines.get(str(r["pipeline"]), {}).get("pipeline_type") not in BATCH_TYPES \
                    or (r["project"], r["pipeline"]) in not_live or str(r["pipeline"]) not in unattended:
                continue
            if (number(r.get("retries")) or 0) < minimum:
                lacking.setdefault(str(r["pipeline"]), []).append(str(r["block"]))
        for pipeline, blocks in sorted(lacking.items()):
            which = plural(len(blocks), "block") + " calling other systems"
            wanted = "no automatic retry" if minimum == 1 else f"fewer than {minimum} automatic retries"
            yield self.finding(
                f"pipeline '{pipeline}': {which} {'has' if len(blocks) == 1 else 'have'} {wanted}",
                **place(inv, pipeline), evidence=f"blocks: {short_list(sorted(blocks))}")


def _pollers(inv, max_seconds: float) -> set[str]:
    """Pipelines whose every valid trigger in triggers.yaml is a time schedule firing at least
    every ``max_seconds``."""
    gaps: dict[str, list[float | None]] = defaultdict(list)
    for t in rows(frame_of(inv, "triggers")):
        if t.get("valid") is not False:
            kind = str(t.get("schedule_type") or "time").lower()
            gaps[str(t["pipeline"])].append(interval_seconds(t.get("schedule_interval")) if kind == "time" else None)
    return {p for p, seen in gaps.items() if seen and all(g is not None and g <= max_seconds for g in seen)}


def _remote_blocks(inv) -> set[tuple[str, str, str]]:
    """(project, pipeline, block) of pipeline blocks whose code reaches another system."""
    facts_by_path = {(r["project"], r["path"]): r for r in rows(frame_of(inv, "block_files"))}
    out = set()
    for b in rows(frame_of(inv, "blocks")):
        if b.get("block_type") not in REMOTE_BLOCK_TYPES:
            continue
        row = facts_by_path.get((b["project"], b.get("path")))
        if row is not None and row.get("template"):
            continue   # Mage's untouched template: MAGE-BLK-013's
        if b.get("language") == "sql" or (row is not None and fact(row, "external_io")):
            out.add((b["project"], b["pipeline"], b["block"]))
    return out


@register
class RetryConfigWithoutRetries(Rule):
    """A ``retry_config`` is present but allows no retry.

    What it checks:
        Project and block ``retry_config`` mappings whose ``retries`` is missing, zero or
        negative (Mage's default is 0 retries, so ``{delay: 30}`` alone retries nothing).

    Why it matters:
        The configuration suggests the pipeline is protected against transient failures while
        it is not; readers of the YAML are misled.

    Example:
        ``retry_config: {delay: 60, exponential_backoff: true}`` on a block.

    Fix:
        Set ``retries`` to a positive number (e.g. 3), or delete the mapping.
    """

    id = "MAGE-REL-003"
    name = "retry-config-without-retries"
    title = "retry_config that allows no retry"
    category = "reliability"
    severity = "low"
    practices = ("BP-ERROR-RETRY",)

    def check(self):
        inv = self.ctx.inventory
        for p in rows(frame_of(inv, "projects")):
            cfg = p.get("retry_config")
            if isinstance(cfg, dict) and (number(cfg.get("retries", RETRY_DEFAULTS["retries"])) or 0) <= 0:
                yield self.finding("project retry_config allows no retry (retries is 0 or missing)",
                                   project=p["project"], path=_project_metadata(p), key="project",
                                   evidence=f"retries={cfg.get('retries')!r}")
        for b in rows(frame_of(inv, "blocks")):
            cfg = b.get("retry_config")
            if isinstance(cfg, dict) and cfg and (number(cfg.get("retries", 0)) or 0) <= 0:
                yield self.finding("block retry_config allows no retry (retries is 0 or missing)",
                                   project=b["project"], pipeline=b["pipeline"], block=b["block"],
                                   path=place(inv, b["pipeline"])["path"], evidence=f"retries={cfg.get('retries')!r}")


def _project_metadata(project: dict) -> str:
    base = str(project.get("path") or ".")
    return "metadata.yaml" if base in (".", "") else f"{base}/metadata.yaml"


@register
class NonIdempotentExport(Rule):
    """An export appends or inserts without any upsert, merge or replace.

    What it checks:
        Block files whose exports use ``if_exists='append'`` (pandas or Mage io) or SQL
        ``INSERT`` with no upsert key (``unique_constraints``), ``MERGE``, ``ON CONFLICT``,
        replace, delete, truncate or drop-and-recreate in the same file; and SQL blocks (not dbt
        models, which dbt builds itself) configured with ``export_write_policy: append`` whose
        SQL selects something to export.

    Why it matters:
        Every retry, rerun or backfill of the same day writes the rows again: duplicates in
        the warehouse, double-counted revenue.

    Example:
        ``loader.export(df, 'marketing', 'touchpoints', if_exists='append')``.

    Fix:
        Upsert on a key (Mage: ``unique_constraints=[...]`` with ``unique_conflict_method='UPDATE'``),
        use ``MERGE``, or delete the run's partition before inserting.
    """

    id = "MAGE-REL-004"
    name = "non-idempotent-export"
    title = "Export that duplicates rows when rerun"
    category = "reliability"
    severity = "medium"
    practices = ("BP-ERROR-IDEMPOTENCY",)

    def check(self):
        inv = self.ctx.inventory
        for row in logic_files(inv):
            modes = fact(row, "export_modes") or []
            kinds = {str(m[1]) for m in modes if isinstance(m, (list, tuple)) and len(m) > 1}
            appends = [m for m in modes if str(m[1]) in APPEND_MODES]
            if appends and not (kinds & IDEMPOTENT_MODES):
                yield self.finding(
                    f"exports with {short_list(sorted(kinds & APPEND_MODES))} and no upsert/merge/replace",
                    **file_place(row), line=first_line(appends),
                    evidence=f"export modes: {short_list(sorted(kinds))}")
        selects = {(r["project"], r["path"]): fact(r, "loads_data") for r in rows(frame_of(inv, "block_files"))}
        for b in rows(frame_of(inv, "blocks")):
            if b.get("block_type") == "dbt" or b.get("language") != "sql":
                continue   # dbt builds its own models; Mage reads the policy of SQL blocks only
            if selects.get((b["project"], b.get("path"))) is False:
                continue   # no SELECT (a DROP, a GRANT): the block exports no result
            policy = str(as_dict(b.get("configuration")).get("export_write_policy") or "").lower()
            if policy == "append":
                yield self.finding("SQL block exports with export_write_policy: append",
                                   project=b["project"], pipeline=b["pipeline"], block=b["block"],
                                   path=place(inv, b["pipeline"])["path"], key="export_write_policy",
                                   evidence="export_write_policy=append")


@register
class LongBlockWithoutCheckpoint(Rule):
    """A long, loop-heavy block keeps no checkpoint.

    What it checks:
        Loader, transformer, exporter and custom files with at least ``min_lines`` code lines
        and ``min_loops`` loops that show no checkpoint, watermark or bookmark state.

    Why it matters:
        A failure near the end of a long run restarts all of it; a retry redoes hours of work
        and hits the sources again.

    Example:
        A 260-line transformer looping over partner files with no saved progress.

    Fix:
        Save progress every N items (a checkpoint file or table, or an incremental watermark)
        and resume from it, or split the block with dynamic blocks.

    Options:
        ``min_lines``: code lines from which a block counts as long. ``min_loops``: loops from
        which it counts as loop-heavy.
    """

    id = "MAGE-REL-005"
    name = "long-block-without-checkpoint"
    title = "Long loop-heavy block without checkpointing"
    category = "reliability"
    severity = "low"
    off_by_default = ("loop counts cannot tell long-running work from loops over a few columns or "
                      "in-memory rows: on real repos 0 of 4 labelled findings held up")
    thresholds = (Threshold("min_lines", 200, "code lines from which a block is long", "integer > 0"),
                  Threshold("min_loops", 3, "loops from which a block is loop-heavy", "integer > 0"))
    practices = ("BP-ERROR-CHECKPOINTING",)

    def check(self):
        min_lines, min_loops = self.option("min_lines"), self.option("min_loops")
        for row in logic_files(self.ctx.inventory):
            lines, loops = number(row.get("lines_code")), number(fact(row, "loops"))
            if lines is None or loops is None or fact(row, "has_checkpointing") is not False:
                continue
            if lines >= min_lines and loops >= min_loops:
                yield self.finding(
                    f"{int(lines)} code lines with {int(loops)} loops and no checkpoint",
                    **file_place(row),
                    evidence=f"lines_code={int(lines)}, loops={int(loops)}")


@register
class LongRunningWithoutTimeout(Rule):
    """A pipeline whose runs take long has no timeout anywhere.

    What it checks:
        Pipelines whose p95 COMPLETED run time in the history is at least ``min_duration_s``
        while none of their blocks sets ``timeout`` and none of their triggers sets
        ``settings.timeout``.

    Why it matters:
        A hung API call or lock wait keeps the run RUNNING for ever; later runs queue behind it
        or are skipped, and no failure alert is sent.

    Example:
        ``ops_file_ingest_daily`` runs 40 minutes at p95 and every block has ``timeout: null``.

    Fix:
        Set ``timeout`` (seconds) on the slow blocks, a few times their normal duration, or a
        trigger ``settings.timeout`` for the whole run.

    Options:
        ``min_duration_s``: p95 run time from which a pipeline counts as long-running.
    """

    id = "MAGE-REL-006"
    name = "long-running-without-timeout"
    title = "Long-running pipeline without any timeout"
    category = "reliability"
    severity = "low"
    needs = frozenset({"inventory", "history"})
    thresholds = (Threshold("min_duration_s", 1800, "p95 seconds from which a pipeline is long-running", "number > 0"),)
    practices = ("BP-MONITOR-HEALTH-METRICS",)

    def check(self):
        history = history_of(self.ctx)
        if history is None:
            return
        inv = self.ctx.inventory
        with_timeout = {str(t["pipeline"]) for t in rows(frame_of(inv, "triggers"))
                        if number(as_dict(t.get("settings")).get("timeout"))}
        with_timeout |= {str(b["pipeline"]) for b in rows(frame_of(inv, "blocks")) if number(b.get("timeout"))}
        known = pipelines_by_uuid(inv)
        for r in rows(run_health(history)):
            pipeline, p95 = str(r["pipeline"]), number(r.get("duration_p95_s"))
            if pipeline in known and pipeline not in with_timeout and p95 and p95 >= self.option("min_duration_s"):
                yield self.finding(f"runs take {p95 / 60:.0f} min (p95) and no block or trigger timeout is set",
                                   **place(inv, pipeline), evidence=f"duration_p95_s={p95:.0f}")


class _RetryHistoryRule(Rule):
    needs = frozenset({"inventory", "history"})

    def overview(self) -> pd.DataFrame:
        history = history_of(self.ctx)
        if history is None:
            return pd.DataFrame()
        return retry_overview(history, self.ctx.inventory)


@register
class FailuresWithoutRetry(_RetryHistoryRule):
    """Blocks failed in the run history while no retry is configured for them.

    What it checks:
        Blocks with FAILED block runs in the history whose effective ``retry_config`` gives 0
        retries.

    Why it matters:
        These failures are evidence that the block meets transient errors; each one needed a
        manual rerun that an automatic retry might have avoided.

    Example:
        ``load_facebook_ads_spend`` failed 14 times in 90 days with ``retries: 0``.

    Fix:
        Add ``retry_config`` (project or block) with a few retries and backoff, and look at the
        block's logs for the cause.
    """

    id = "MAGE-REL-007"
    name = "failures-without-retry"
    title = "Block failures with no retry configured"
    category = "reliability"
    severity = "medium"
    practices = ("BP-ERROR-RETRY", "BP-SCHEDULE-RETRY")

    def check(self):
        frame = self.overview()
        if frame.empty or "failed_without_retry" not in frame:
            return
        for r in rows(frame[frame["failed_without_retry"].fillna(False).astype(bool)]):
            failed, total = int(number(r.get("failed")) or 0), int(number(r.get("block_runs")) or 0)
            yield self.finding(f"{failed} failed block runs and no retry configured",
                               **place(self.ctx.inventory, r["pipeline"]), block=str(r["block"]),
                               evidence=f"failed={failed}, block_runs={total}")


@register
class FlakyBlock(_RetryHistoryRule):
    """A block often needs retries before it succeeds.

    What it checks:
        Blocks that completed but needed at least ``min_retries`` retries (automatic attempts
        in the logs, or "retry blocks" in the UI) over the history window, and retries on at
        least ``min_retry_rate`` of their block runs.

    Why it matters:
        Retries hide an unstable source or a race; each one costs run time and the next change
        may turn the flakiness into failures.

    Example:
        ``load_stripe_charges`` completed 120 times and needed 35 retries.

    Fix:
        Read the block logs of the retried attempts, fix the cause (timeouts, rate limits,
        ordering) and keep retries as a safety net.

    Options:
        ``min_retries``: retry events from which a block counts as flaky. ``min_retry_rate``:
        retry events per block run from which a block counts as flaky.
    """

    id = "MAGE-REL-008"
    name = "flaky-block"
    title = "Flaky block (succeeds only after retries)"
    category = "reliability"
    severity = "low"
    thresholds = (Threshold("min_retries", 3, "retry events from which a block is flaky", "integer >= 1"),
                  Threshold("min_retry_rate", 0.05, "retry events per block run from which a block is flaky", "0..1"))
    practices = ("BP-ERROR-RETRY", "BP-MONITOR-HEALTH-METRICS")

    def check(self):
        frame = self.overview()
        if frame.empty or "flaky" not in frame:
            return
        frame = frame.assign(events=frame["log_retries"] + frame["retried_block_runs"])
        rate = frame["events"] / frame["block_runs"].where(frame["block_runs"] > 0)
        chosen = frame[frame["flaky"].fillna(False).astype(bool) & (frame["events"] >= self.option("min_retries"))
                       & (rate >= self.option("min_retry_rate"))]
        for r in rows(chosen):
            count = {k: int(number(r.get(k)) or 0) for k in ("events", "block_runs", "log_retries", "retried_block_runs")}
            yield self.finding(f"block needed {count['events']} retries over {count['block_runs']} block runs",
                               **place(self.ctx.inventory, r["pipeline"]), block=str(r["block"]),
                               evidence=f"log_retries={count['log_retries']}, "
                                        f"retried_block_runs={count['retried_block_runs']}")


@register
class PipelineRetryConfigIgnored(Rule):
    """A batch pipeline sets a pipeline-level ``retry_config``, which OSS Mage does not read.

    What it checks:
        Pipelines of type ``python`` (batch) with a non-empty pipeline ``retry_config``.

    Why it matters:
        In OSS Mage only streaming pipelines read the pipeline-level mapping; batch block runs
        merge the project's and the block's ``retry_config``. The pipeline looks protected but
        its blocks are not retried.

    Example:
        ``retry_config: {retries: 3}`` at the top of a batch pipeline's ``metadata.yaml``.

    Fix:
        Move the mapping to the project ``metadata.yaml`` or onto the blocks that need it.
    """

    id = "MAGE-REL-009"
    name = "pipeline-retry-config-ignored"
    title = "Pipeline-level retry_config on a batch pipeline"
    category = "reliability"
    severity = "info"
    practices = ("BP-ERROR-RETRY",)

    def check(self):
        for p in rows(frame_of(self.ctx.inventory, "pipelines")):
            cfg = p.get("retry_config")
            if isinstance(cfg, dict) and cfg and p.get("pipeline_type") in ("python", None):
                yield self.finding("pipeline-level retry_config is ignored for batch pipelines in OSS Mage",
                                   project=p["project"], pipeline=p["pipeline"], path=p.get("path"),
                                   evidence=f"retry_config keys: {short_list(sorted(cfg))}")
