"""Rules of category ``performance`` about concurrency limits that cannot take effect."""
from __future__ import annotations

from auditkit.analytics.concurrency import concurrency_overview, configured_limits
from auditkit.engine.base import Rule, Threshold, register
from auditkit.engine.frames import number, rows
from auditkit.engine.lookups import history_of, pipelines_by_uuid, place


@register
class IneffectiveRunLimit(Rule):
    """A concurrency limit is set so high that it never limits anything.

    What it checks:
        Each pipeline's ``concurrency_config``:

        * ``block_run_limit`` at least the pipeline's number of blocks (every block may run at
          once anyway);
        * ``pipeline_run_limit`` / ``pipeline_run_limit_all_triggers`` above the project's
          ``queue_config.concurrency`` (Mage's default 20 when unset): the queue stops runs first;
        * with a run history, ``pipeline_run_limit`` at least ``headroom`` times the most runs
          of the pipeline ever seen at once (and above 1).

    Why it matters:
        A limit that cannot be reached reads like protection in review but protects nothing:
        when a slow run or a backfill piles runs up, they all start.

    Example:
        ``concurrency_config: {block_run_limit: 10}`` on a 6-block pipeline, or
        ``pipeline_run_limit: 50`` where runs never overlapped.

    Fix:
        Set the limit to what the database and host can carry (``pipeline_run_limit: 1`` for
        a pipeline that must not overlap itself; a ``block_run_limit`` below the pipeline's
        width), or remove it and say so.

    Options:
        ``headroom``: a run limit this many times the observed peak counts as limiting nothing.
    """

    id = "MAGE-PRF-009"
    name = "ineffective-run-limit"
    title = "Concurrency limit that limits nothing"
    category = "performance"
    severity = "low"
    thresholds = (Threshold("headroom", 5, "run limit / observed peak above which the limit does nothing",
                            "number > 1"),)
    practices = ("BP-PERF-CONCURRENCY",)
    off_by_default = ("not yet measured on real repos: none of the 18 public repos of the ecosystem check "
                      "sets a concurrency limit, so it produced no finding to label")

    def check(self):
        inv = self.ctx.inventory
        pipelines = pipelines_by_uuid(inv)
        peaks = self._peaks()
        for limits in rows(configured_limits(inv)):
            pipeline = str(limits["pipeline"])
            where = place(inv, pipeline)
            n_blocks = number(pipelines.get(pipeline, {}).get("n_blocks"))
            block_limit = limits.get("block_run_limit")
            if block_limit and n_blocks and block_limit >= n_blocks:
                yield self.finding(f"block_run_limit {block_limit} is not below the pipeline's {int(n_blocks)} blocks",
                                   key="block_run_limit", evidence=f"block_run_limit={block_limit}", **where)
            yield from self._run_limit_findings(limits, peaks.get(pipeline), where)

    def _run_limit_findings(self, limits: dict, peak, where: dict):
        queue = limits.get("queue_concurrency")
        for key in ("pipeline_run_limit", "pipeline_run_limit_all_triggers"):
            limit = limits.get(key)
            if not limit:
                continue
            if queue and limit > queue:
                yield self.finding(f"{key} {limit} is above the project's queue concurrency {queue}",
                                   key=key, evidence=f"{key}={limit}", **where)
            elif peak and key == "pipeline_run_limit" and limit > 1 and limit >= self.option("headroom") * peak:
                yield self.finding(f"{key} {limit} while at most {int(peak)} runs ever overlapped",
                                   key=f"{key}-peak", evidence=f"{key}={limit}; peak={int(peak)}", **where)

    def _peaks(self) -> dict:
        history = history_of(self.ctx)
        if history is None:
            return {}
        frame = concurrency_overview(history, self.ctx.inventory)
        return {str(r["pipeline"]): r.get("peak_pipeline_runs") for r in rows(frame)
                if number(r.get("peak_pipeline_runs"))}
