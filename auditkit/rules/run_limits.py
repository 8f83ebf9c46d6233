"""Rules of category ``performance`` about concurrency limits that cannot take effect."""
from __future__ import annotations

from auditkit.analytics.concurrency import DEFAULT_QUEUE_CONCURRENCY, concurrency_overview, configured_limits
from auditkit.engine.base import Rule, Threshold, register
from auditkit.engine.frames import frame_of, number, rows
from auditkit.engine.lookups import as_dict, executor_of, history_of, pipelines_by_uuid, place


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


REMOTE_EXECUTORS = frozenset({"k8s", "ecs", "gcp_cloud_run", "azure_container_instance"})


@register
class QueueAboveHostCapacity(Rule):
    """The run queue lets more runs start at once than the Mage container can carry.

    What it checks:
        Projects on Mage's process queue (``queue_config.queue_type`` ``process``, the default)
        whose pipelines run on the Mage host itself (no k8s, ECS, Cloud Run or Azure executor),
        against the CPU and memory limits their scheduler container declares (compose ``cpus``,
        ``mem_limit`` or ``deploy.resources.limits``; Kubernetes ``resources.limits`` of the
        Mage container). It fires when ``queue_config.concurrency`` (20 when unset) is above
        ``runs_per_cpu`` runs per core, or when that many runs at ``mib_per_run`` each would not
        fit in the memory limit. Interpolated limits (``${CPUS}``) are not read.

    Why it matters:
        The process queue starts each run as its own Python process in the scheduler's
        container. A queue wider than the container lets a burst (a backfill, catch-up after
        downtime) start every run at once: they starve each other of CPU, or the container is
        killed for memory and every open run with it. The queue limit looks like protection
        but the container gives way first.

    Example:
        No ``queue_config`` (20 runs at once) with ``deploy.resources.limits: {cpus: "1",
        memory: 2g}`` on the Mage service.

    Fix:
        Set ``queue_config: {concurrency: N}`` to what the container carries, or give the
        container the resources the queue needs, or move heavy pipelines to a remote executor.

    Options:
        ``runs_per_cpu``: concurrent runs one core carries (runs mostly wait on sources).
        ``mib_per_run``: memory one run's process needs at least (Python, pandas, Mage).
    """

    id = "MAGE-PRF-010"
    name = "queue-above-host-capacity"
    title = "Run queue wider than the Mage container"
    category = "performance"
    severity = "low"
    needs = frozenset({"inventory", "security"})
    thresholds = (Threshold("runs_per_cpu", 4, "concurrent runs one CPU core carries", "number > 0"),
                  Threshold("mib_per_run", 250, "MiB one run's process needs at least", "number > 0"))
    practices = ("BP-PERF-CONCURRENCY",)
    off_by_default = ("not yet measured on real repos: none of the 18 public repos of the ecosystem check "
                      "declares container limits next to a process queue, so it produced no finding to label")

    def check(self):
        inv = self.ctx.inventory
        projects = list(rows(frame_of(inv, "projects")))
        only = str(projects[0]["project"]) if len(projects) == 1 else None
        for project in projects:
            name = str(project["project"])
            queue = as_dict(project.get("queue_config"))
            if str(queue.get("queue_type") or "process").lower() != "process" or self._remote_only(name):
                continue
            concurrency = int(number(queue.get("concurrency")) or DEFAULT_QUEUE_CONCURRENCY)
            for deployment in rows(self.ctx.security.deployments):
                owner = deployment.get("project") or only
                if owner == name and deployment.get("role") in ("scheduler", "server"):
                    yield from self._over(name, concurrency, queue.get("concurrency") is None, deployment)

    def _remote_only(self, project: str) -> bool:
        executors = [executor_of(p) for p in rows(frame_of(self.ctx.inventory, "pipelines"))
                     if str(p.get("project")) == project]
        return bool(executors) and all(e in REMOTE_EXECUTORS for e in executors)

    def _over(self, project: str, concurrency: int, default: bool, deployment: dict):
        cores, memory = number(deployment.get("cpu_limit")), number(deployment.get("memory_limit_mib"))
        reasons = []
        if cores and concurrency > self.option("runs_per_cpu") * cores:
            reasons.append(f"{cores:g} CPU")
        if memory and concurrency * self.option("mib_per_run") > memory:
            reasons.append(f"{memory:,.0f} MiB of memory")
        if not reasons:
            return
        queue = f"queue concurrency {concurrency}" + (" (Mage's default)" if default else "")
        service = f" service {deployment['service']}" if deployment.get("service") else ""
        yield self.finding(f"{queue} while the Mage container{service} is limited to {' and '.join(reasons)}",
                           key=f"{deployment.get('path')}:{deployment.get('service')}", project=project,
                           path=deployment.get("path"), line=deployment.get("line"),
                           evidence=f"concurrency={concurrency}; cpu_limit={cores}; memory_limit_mib={memory}")
