"""Demo run history, second half: each planned run becomes its ``pipeline_run`` row, its
``block_run`` rows and its block logs, the way Mage's executors leave them.

:mod:`auditkit.demo.history` plans the runs (schedules, API calls, backfills) as :class:`Plan`
records in creation order; :class:`RunSimulator` plays them: block by block, with first-attempt
failures, automatic retries (only in the logs), fail-fast cancellation, the two manual retry
paths and SLA misses. Every random draw comes from the generator's one ``random.Random`` in a
fixed order, so a seed always gives the same database.
"""
from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable

from .history_inputs import DemoPipeline, RowWriter, clean_name, ts_seconds_text, ts_text

_UPSTREAM_ERROR = "ConnectionError: upstream API timed out"


@dataclass(order=True)
class Plan:
    """One run to create: ordered by creation time, then by the order it was planned in."""

    created_at: datetime
    seq: int
    pipeline: str = field(compare=False)
    schedule_id: int = field(compare=False)
    execution_date: datetime = field(compare=False)
    kind: str = field(compare=False)             # scheduled, api, skipped, retry_run, backfill, streaming
    sla: int | None = field(compare=False, default=None)
    variables: dict = field(compare=False, default_factory=dict)
    backfill: dict | None = field(compare=False, default=None)


@dataclass
class _BlockOutcome:
    """What happened to one block run of a simulated pipeline run."""

    uuid: str
    block: str
    btype: str
    status: str
    started: datetime | None
    completed: datetime | None = None
    failed_at: datetime | None = None
    metrics: str | None = None
    lines: list = field(default_factory=list)     # (time, level, message) log events


class RunSimulator:
    """Plays planned runs into rows and log files. ``push(**plan)`` plans a later run (a
    manual "retry run" of a failed one); ``pipelines`` and ``flaky`` are shared with the
    planner, which may still add a pipeline (the orphan trigger's) before runs are played."""

    def __init__(self, rng: random.Random, pipelines: dict[str, DemoPipeline], flaky: dict[str, set],
                 *, root: Path, end: datetime, max_log_files: int, fanout: int,
                 push: Callable[..., None]) -> None:
        self.rng, self.pipelines, self.flaky = rng, pipelines, flaky
        self.root, self.end, self.max_log_files, self.fanout = root, end, max_log_files, fanout
        self.push = push
        self.run_id = 0
        self.block_run_id = 0
        self.log_files = 0
        self.logged_paths: set[Path] = set()
        self.units: dict[str, list[tuple]] = {}

    def play(self, w: RowWriter, plan: Plan) -> None:
        """Write one planned run: its row, and for runs that started, its blocks and logs."""
        pipeline = self.pipelines[plan.pipeline]
        self.run_id += 1
        run = self._run_row(plan, pipeline)
        if self._unstarted(plan, run):
            w.add("pipeline_run", run)
            return
        rng = self.rng
        wait = rng.uniform(0.5, 8) if rng.random() > 0.03 else rng.uniform(60, 900)
        started = plan.created_at + timedelta(seconds=wait)
        slow = pipeline.slowness * (rng.uniform(3, 8) if rng.random() < 0.05 else 1.0)
        backfill = plan.backfill or {}
        # A COMPLETED backfill had all its runs complete; a FAILED one fails often.
        fail_boost = {"FAILED": 4.0, "COMPLETED": 0.0}.get(backfill.get("state"), 1.0)
        still_running = backfill.get("state") == "RUNNING" and backfill["index"] / backfill["n"] > 0.5
        blocks, failed, end = self._play_blocks(pipeline, started, slow, fail_boost, still_running)
        status, completed, end = self._settle(plan, blocks, failed, end, still_running)
        sla_base = plan.execution_date if plan.kind != "api" else plan.created_at
        if plan.sla and (end - sla_base).total_seconds() > plan.sla:
            run["passed_sla"] = 1
        run.update(status=status, started_at=ts_text(started), completed_at=ts_text(completed),
                   updated_at=ts_seconds_text(end))
        w.add("pipeline_run", run)
        self._write_block_runs(w, plan, run, blocks)

    def _run_row(self, plan: Plan, pipeline: DemoPipeline) -> dict:
        return dict(id=self.run_id, pipeline_schedule_id=plan.schedule_id, pipeline_uuid=plan.pipeline,
                    execution_date=ts_text(plan.execution_date), created_at=ts_seconds_text(plan.created_at),
                    variables=json.dumps(plan.variables), passed_sla=0,
                    event_variables="{}" if plan.kind == "api" else None, metrics=None,
                    backfill_id=plan.backfill["id"] if plan.backfill else None,
                    executor_type=pipeline.executor_type, started_at=None, completed_at=None)

    def _unstarted(self, plan: Plan, run: dict) -> bool:
        """Fill ``run`` for the runs that leave no block runs (skipped, streaming, a running
        backfill's not yet started runs); False for the others."""
        created = plan.created_at
        if plan.kind == "skipped":
            # Mage's create_and_cancel_pipeline_run stores a partition, like API runs do.
            variables = {**plan.variables, **self.partition_vars(plan.schedule_id, plan.execution_date)}
            run.update(status="CANCELLED", updated_at=ts_seconds_text(created), variables=json.dumps(variables))
            return True
        if plan.kind == "streaming":
            running = created > self.end - timedelta(days=5)
            run.update(status="RUNNING" if running else "FAILED", started_at=ts_text(created),
                       updated_at=ts_seconds_text(created + timedelta(days=0 if running else 2)))
            return True
        backfill = plan.backfill
        if backfill and backfill["state"] == "RUNNING" and backfill["index"] / backfill["n"] > 0.6:
            run.update(status="INITIAL", updated_at=ts_seconds_text(created))
            return True
        return False

    def _play_blocks(self, pipeline: DemoPipeline, started: datetime, slow: float, fail_boost: float,
                     still_running: bool) -> tuple[list[_BlockOutcome], str | None, datetime]:
        """Blocks in order, each attempt drawn; after a failure (fail fast) or in a run still
        going, the rest wait. Returns the outcomes, the failed block run and the last time."""
        clock, failed, blocks = started, None, []
        for uuid, block, btype, p_first, attempts in self._units(pipeline):
            if failed or still_running:
                status = "CANCELLED"
                if still_running:
                    status = "INITIAL" if blocks else "RUNNING"
                blocks.append(_BlockOutcome(uuid, block, btype, status, clock if status == "RUNNING" else None))
                continue
            outcome = self._attempts(uuid, block, btype, clock, p_first * fail_boost, attempts, slow)
            blocks.append(outcome)
            if outcome.status == "FAILED":
                failed = uuid
            clock = outcome.completed or outcome.failed_at
        return blocks, failed, clock

    def _attempts(self, uuid: str, block: str, btype: str, clock: datetime, p_fail: float,
                  attempts: int, slow: float) -> _BlockOutcome:
        rng = self.rng
        b_start = clock + timedelta(seconds=rng.uniform(0.2, 2))
        lines, t = [], b_start
        for attempt in range(1, attempts + 1):
            t += timedelta(seconds=rng.uniform(1, 40) * slow)
            if rng.random() >= (p_fail if attempt == 1 else 0.45):
                return _BlockOutcome(uuid, block, btype, "COMPLETED", b_start, completed=t, metrics="{}",
                                     lines=lines)
            lines.append((t, "WARNING", f"Exception thrown when attempting to run {block}, "
                                        f"attempt {attempt} of {attempts}"))
        lines.append((t, "EXCEPTION", f"Failed to execute block {block}: {_UPSTREAM_ERROR}"))
        error = {"error": _UPSTREAM_ERROR, "errors": ["  File \"block.py\", line 12"],
                 "message": "Traceback (most recent call last): ..."}
        return _BlockOutcome(uuid, block, btype, "FAILED", b_start, failed_at=t,
                             metrics=json.dumps({"error": error}), lines=lines)

    def _settle(self, plan: Plan, blocks: list[_BlockOutcome], failed: str | None, end: datetime,
                still_running: bool) -> tuple[str, datetime | None, datetime]:
        """The run's status, completion and last update; a failed run may be retried by hand,
        on the same run ("retry blocks") or as a new run later ("retry run")."""
        if still_running:
            return "RUNNING", None, end
        if not failed:
            return "COMPLETED", end, end
        action = self.rng.random() if plan.kind in ("scheduled", "api") else 1.0
        if action < 0.3:
            return self._retry_blocks(blocks, end)
        if action < 0.6:
            later = end + timedelta(hours=self.rng.uniform(1, 12))
            self.push(created_at=later, pipeline=plan.pipeline, schedule_id=plan.schedule_id,
                      execution_date=plan.execution_date, kind="retry_run", sla=plan.sla,
                      variables=plan.variables, backfill=plan.backfill)
        return "FAILED", None, end

    def _retry_blocks(self, blocks: list[_BlockOutcome], end: datetime):
        """'Retry blocks' on the same run: failed and cancelled rows rerun and complete; the
        failed row keeps its metrics.error."""
        t = end + timedelta(hours=self.rng.uniform(0.5, 6))
        for b in blocks:
            if b.status in ("FAILED", "CANCELLED"):
                b.started = t
                t += timedelta(seconds=self.rng.uniform(1, 30))
                b.completed = t
                b.lines = b.lines + [(t, "INFO", "Block run retried manually and completed.")]
                if b.status == "CANCELLED":
                    b.metrics = "{}"
                b.status = "COMPLETED"
        return "COMPLETED", t, t

    def _write_block_runs(self, w: RowWriter, plan: Plan, run: dict, blocks: list[_BlockOutcome]) -> None:
        partition = plan.variables.get("execution_partition") or (
            f"{plan.schedule_id}/{plan.execution_date.strftime('%Y%m%dT%H%M%S')}")
        for b in blocks:
            self.block_run_id += 1
            last = b.completed or b.failed_at or b.started or plan.created_at
            w.add_tuple("block_run", (
                self.block_run_id, run["created_at"], ts_seconds_text(last), run["id"], b.uuid, b.status,
                ts_text(b.completed), ts_text(b.started), b.metrics))
            if b.started is not None:
                self._write_log(plan, run["id"], partition, b)

    def _units(self, pipeline: DemoPipeline) -> list[tuple]:
        """(block run uuid, block, type, first-attempt failure chance, attempts), cached."""
        cached = self.units.get(pipeline.uuid)
        if cached is None:
            cached = []
            for block, btype in pipeline.blocks:
                suffixes = self._block_suffixes(pipeline, block)
                # Flaky blocks fail a first attempt ~10% of the time, others ~1.5%.
                p_first = 0.015 * (7 if block in self.flaky[pipeline.uuid] else 1) / len(suffixes)
                attempts = pipeline.retries.get(block, 0) + 1
                cached.extend((block + sfx, block, btype, p_first, attempts) for sfx in suffixes)
            self.units[pipeline.uuid] = cached
        return cached

    def _block_suffixes(self, pipeline: DemoPipeline, block: str) -> list[str]:
        if pipeline.type == "integration":
            # Guess at stream names: integration block runs are <uuid>:<stream>:<batch>.
            return [f":{s}:0" for s in ("accounts", "contacts", "opportunities")]
        if block in pipeline.dynamic_children:
            return [f":{i}" for i in range(self.fanout)]
        return [""]

    def _write_log(self, plan: Plan, run_id: int, partition: str, b: _BlockOutcome) -> None:
        recent = plan.created_at > self.end - timedelta(days=3)
        if self.log_files >= self.max_log_files or not (b.lines or recent):
            return
        path = (self.root / "pipelines" / plan.pipeline / ".logs" / partition / f"{clean_name(b.uuid)}.log")
        if path not in self.logged_paths:
            self.logged_paths.add(path)
            self.log_files += 1
            path.parent.mkdir(parents=True, exist_ok=True)
        base = {"block_run_id": self.block_run_id, "block_uuid": b.uuid, "pipeline_run_id": run_id,
                "pipeline_schedule_id": plan.schedule_id, "pipeline_uuid": plan.pipeline,
                "hostname": "mage-scheduler-0", "block_type": b.btype}
        events = [(b.started, "INFO", "Start executing block with BlockExecutor.")] + b.lines
        if b.completed:
            events.append((b.completed, "INFO", "Finish executing block with BlockExecutor."))
        with path.open("a", encoding="utf-8") as fh:
            for at, level, message in events:
                fh.write(f"{at.strftime('%Y-%m-%dT%H:%M:%S')} "
                         f"{json.dumps({**base, 'level': level, 'message': message})}\n")

    @staticmethod
    def partition_vars(sid: int, at: datetime) -> dict:
        """The ``execution_partition`` Mage stores in an API or skipped run's variables."""
        return {"execution_partition": f"{sid}/{at.strftime('%Y%m%dT%H%M%S_%f')}"}
