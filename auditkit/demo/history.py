"""Demo run history: a Mage SQLite DB (exact 0.9.80 schema) plus block logs for a project.

``generate_history(dest_dir, project_dir)`` reads the project's pipelines and triggers and
simulates what Mage's scheduler would have recorded: scheduled and API runs, fail-fast
failures, automatic retries (visible only in block logs), both manual retry paths, skipped
runs, bursts above concurrency limits, backfills in every state, SLA misses, an orphan DB
trigger, users, roles, an OAuth app and token, and a secret; then the incidents of
:mod:`auditkit.demo.history_incidents` (a UI edit, an env-excluded trigger still active, a hung
run, a scheduler outage, a viewer). Everything is derived from
``seed``; ``scale`` multiplies the API/manual run volume for benchmarks. This module plans the
runs; :mod:`auditkit.demo.history_runs` plays them into rows and logs.
"""
from __future__ import annotations

import heapq
import json
import random
import shutil
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

from croniter import croniter

from auditkit.readers.history.schema import ddl

from .history_inputs import (TRIGGER_KEYS, DemoPipeline, RowWriter, as_datetime, read_demo_project,
                             ts_seconds_text, ts_text, write_accounts)
from .history_incidents import apply_incidents
from .history_runs import Plan, RunSimulator

# Mage's presets: midnight for @daily, minute 0 for @hourly, Monday for @weekly (guess from
# PipelineSchedule.current_execution_date), day 1 for @monthly.
PRESET_CRON = {"@hourly": "0 * * * *", "@daily": "0 0 * * *", "@weekly": "0 0 * * 1",
               "@monthly": "0 0 1 * *"}
ORPHAN_PIPELINE = "legacy_orders_export"


class _Generator:
    def __init__(self, root: Path, project_dir: Path, seed: int, days: int, scale: float,
                 end: datetime, max_log_files: int, dynamic_fanout: int) -> None:
        self.rng = random.Random(seed)
        self.days, self.scale, self.end = days, scale, end
        self.start = end - timedelta(days=days)
        self.pipelines, self.yaml_triggers = read_demo_project(project_dir)
        self.repo_path = f"/home/src/{project_dir.name}"
        self.seq = 0
        self.schedules: dict[int, dict] = {}
        self.heap: list[Plan] = []
        self.flaky = {p.uuid: set(self.rng.sample([b for b, _ in p.blocks], min(2, len(p.blocks))))
                      for p in self.pipelines.values()}
        for p in self.pipelines.values():
            p.slowness = self.rng.choice([0.5, 1.0, 2.0, 6.0])
        self.runs = RunSimulator(self.rng, self.pipelines, self.flaky, root=root, end=end,
                                 max_log_files=max_log_files, fanout=dynamic_fanout, push=self._push)

    # -- schedules --------------------------------------------------------------------------
    def _schedule(self, w: RowWriter, **row) -> int:
        sid = len(self.schedules) + 1
        created = row.pop("created", self.start - timedelta(days=5))
        row.setdefault("token", "%032x" % self.rng.getrandbits(128))
        row.update(id=sid, created_at=ts_seconds_text(created), updated_at=ts_seconds_text(created))
        self.schedules[sid] = row
        w.add("pipeline_schedule", row)
        return sid

    def _push(self, **plan) -> None:
        self.seq += 1
        heapq.heappush(self.heap, Plan(seq=self.seq, **plan))

    def plan_schedules(self, w: RowWriter) -> None:
        for uuid, pipeline in self.pipelines.items():
            time_ids, api_ids = [], []
            for trig in self.yaml_triggers.get(uuid, []):
                envs = trig.get("envs") or []
                if envs and "prod" not in envs:
                    continue                  # Mage would not sync it here: "missing from DB"
                if set(trig) - TRIGGER_KEYS or not {"start_time", "schedule_interval"} <= set(trig):
                    continue                  # Trigger.load raises: never synced either
                stype = str(trig.get("schedule_type") or "time").upper()
                status = str(trig.get("status") or "inactive").upper()
                settings = trig.get("settings")
                start = trig.get("start_time")
                start_dt = as_datetime(start) or self.start
                sid = self._schedule(
                    w, name=str(trig["name"]), pipeline_uuid=uuid, schedule_type=stype,
                    start_time=ts_text(start_dt), schedule_interval=trig.get("schedule_interval"),
                    status=status, last_enabled_at=ts_text(self.start) if status == "ACTIVE" else None,
                    variables=json.dumps(trig.get("variables") or {}), sla=trig.get("sla"),
                    token=trig.get("token") or None, repo_path=self.repo_path,
                    settings=json.dumps(settings) if settings is not None else None,
                    description=trig.get("description"))
                limit = (settings or {}).get("pipeline_run_limit") if isinstance(settings, dict) else None
                if isinstance(limit, int) and status == "ACTIVE":
                    pipeline.run_limit = min(limit, pipeline.run_limit or limit)
                if stype == "API":
                    api_ids.append(sid)
                elif stype == "TIME" and status == "ACTIVE":
                    time_ids.append(sid)
                    self._plan_ticks(pipeline, sid, trig, start_dt)
            if not time_ids and pipeline.type != "streaming":
                # A trigger made in the UI and never saved in code.
                sid = self._schedule(
                    w, name="daily (ui)", pipeline_uuid=uuid, schedule_type="TIME",
                    start_time=ts_text(self.start), schedule_interval="@daily", status="ACTIVE",
                    last_enabled_at=ts_text(self.start), variables="{}", repo_path=self.repo_path,
                    settings="null")
                time_ids.append(sid)
                self._plan_ticks(pipeline, sid, {"schedule_interval": "@daily"}, self.start)
            if pipeline.type == "streaming":
                sid = (time_ids or api_ids or [None])[0] or self._schedule(
                    w, name="always on", pipeline_uuid=uuid, schedule_type="TIME",
                    start_time=ts_text(self.start), schedule_interval="@once", status="ACTIVE",
                    variables="{}", repo_path=self.repo_path, settings=None)
                for back in (60, 31, 12, 3):
                    at = self.end - timedelta(days=min(back, self.days), hours=3)
                    self._push(created_at=at, pipeline=uuid, schedule_id=sid,
                               execution_date=at, kind="streaming")
                continue
            self._plan_api(pipeline, (api_ids or time_ids)[0], api=bool(api_ids))
        self._plan_orphan(w)

    def _plan_ticks(self, pipeline: DemoPipeline, sid: int, trig: dict, start_dt: datetime) -> None:
        interval = str(trig.get("schedule_interval") or "")
        settings = trig.get("settings") if isinstance(trig.get("settings"), dict) else {}
        sla = trig.get("sla")
        if interval == "@once":
            if self.start <= start_dt <= self.end:
                self._push(created_at=start_dt, pipeline=pipeline.uuid, schedule_id=sid,
                           execution_date=start_dt, kind="scheduled", sla=sla)
            return
        cron = PRESET_CRON.get(interval, interval)
        if not croniter.is_valid(cron):
            return
        skip_prob = 0.03 if settings.get("skip_if_previous_running") else 0.0
        it = croniter(cron, max(start_dt, self.start) - timedelta(seconds=1))
        while True:
            tick = it.get_next(datetime)
            if tick > self.end:
                break
            kind = "skipped" if self.rng.random() < skip_prob else "scheduled"
            lag = timedelta(seconds=self.rng.uniform(0.5, 9))
            if self.rng.random() < 0.01:
                lag += timedelta(minutes=self.rng.uniform(5, 40))   # scheduler was late
            self._push(created_at=tick + lag, pipeline=pipeline.uuid, schedule_id=sid,
                       execution_date=tick, kind=kind, sla=sla)

    def _plan_api(self, pipeline: DemoPipeline, sid: int, api: bool) -> None:
        """API or 'run now' runs: the volume that ``scale`` multiplies, plus bursts."""
        count = int(round(self.days * 1.5 * self.scale))
        span = (self.end - self.start).total_seconds()
        for _ in range(count):
            at = self.start + timedelta(seconds=self.rng.uniform(0, span))
            self._push(created_at=at, pipeline=pipeline.uuid, schedule_id=sid, execution_date=at,
                       kind="api", variables=RunSimulator.partition_vars(sid, at))
        # Bursts of near-simultaneous runs, above any configured limit.
        if pipeline.run_limit is not None or pipeline.uuid == self._burst_pipeline():
            for _ in range(max(3, self.days // 20)):
                at = self.start + timedelta(seconds=self.rng.uniform(0, span))
                for k in range((pipeline.run_limit or 1) + 3):
                    t = at + timedelta(seconds=k * 7)
                    self._push(created_at=t, pipeline=pipeline.uuid, schedule_id=sid,
                               execution_date=t, kind="api", variables=RunSimulator.partition_vars(sid, t))

    def _burst_pipeline(self) -> str | None:
        batch = [p.uuid for p in self.pipelines.values() if p.type != "streaming" and p.blocks]
        return batch[0] if batch else None

    def _plan_orphan(self, w: RowWriter) -> None:
        """A DB trigger whose pipeline folder was deleted (Mage keeps the row)."""
        self.pipelines[ORPHAN_PIPELINE] = DemoPipeline(
            uuid=ORPHAN_PIPELINE, type="python",
            blocks=[("load_orders", "data_loader"), ("export_orders", "data_exporter")],
            retries={"load_orders": 0, "export_orders": 0})
        self.flaky[ORPHAN_PIPELINE] = set()
        sid = self._schedule(w, name="nightly export", pipeline_uuid=ORPHAN_PIPELINE,
                             schedule_type="TIME", start_time=ts_text(self.start),
                             schedule_interval="0 2 * * *", status="ACTIVE",
                             last_enabled_at=ts_text(self.start), variables="null",
                             repo_path=self.repo_path, settings="{}")
        stop = self.end - timedelta(days=min(20, self.days // 2))
        it = croniter("0 2 * * *", self.start)
        while (tick := it.get_next(datetime)) < stop:
            self._push(created_at=tick + timedelta(seconds=2), pipeline=ORPHAN_PIPELINE,
                       schedule_id=sid, execution_date=tick, kind="scheduled")

    # -- backfills --------------------------------------------------------------------------
    def plan_backfills(self, w: RowWriter) -> None:
        batch = [p for p in self.pipelines.values()
                 if p.type == "python" and p.blocks and p.uuid != ORPHAN_PIPELINE]
        if not batch:
            return
        specs = [  # name, interval, units, n intervals, state, settings JSON text
            ("reload 2026 q2", "DAY", 1, 30, "COMPLETED", "null"),
            ("fix revenue gaps", "HOUR", 6, 40, "FAILED", None),
            ("full history", "DAY", 1, 60, "RUNNING", json.dumps({"pipeline_run_limit": 2})),
            ("draft backfill", "WEEK", 1, 8, None, "{}"),
        ]
        step = {"DAY": timedelta(days=1), "HOUR": timedelta(hours=1), "WEEK": timedelta(weeks=1)}
        for bid, (name, itype, units, n, state, settings) in enumerate(specs, start=1):
            pipeline = batch[(bid - 1) % len(batch)]
            interval = step[itype] * units
            range_start = self.start - timedelta(days=200) + timedelta(days=10 * bid)
            range_end = range_start + interval * (n - 1)
            created = self.end - timedelta(days=min(self.days - 1, [40, 20, 2, 1][bid - 1]))
            started = created + timedelta(minutes=3) if state else None
            sid = None
            if state:
                sid = self._schedule(
                    w, name=f"Backfill {name}", pipeline_uuid=pipeline.uuid, schedule_type=None,
                    start_time=ts_text(started), schedule_interval="@once",
                    status="ACTIVE" if state == "RUNNING" else "INACTIVE", variables="{}",
                    repo_path=None, settings="null" if bid % 2 else None, created=created)
            row = dict(id=bid, created_at=ts_seconds_text(created), updated_at=ts_seconds_text(created),
                       name=name, pipeline_uuid=pipeline.uuid, pipeline_schedule_id=sid,
                       interval_type=itype, interval_units=units, start_datetime=ts_text(range_start),
                       end_datetime=ts_text(range_end), status=state, started_at=ts_text(started),
                       settings=settings, variables="{}", metrics=None, block_uuid=None)
            if state == "COMPLETED":
                row["completed_at"] = ts_text(created + timedelta(hours=6))
            if state == "FAILED":
                row["failed_at"] = ts_text(created + timedelta(hours=3))
            w.add("backfill", row)
            if not state:
                continue
            # RUNNING backfills have created only the first part of their runs so far... and
            # the failed one has a hole of intervals whose runs were deleted.
            for i in range(n):
                if state == "FAILED" and 10 <= i < 13:
                    continue
                execution = range_start + interval * i
                at = started + timedelta(minutes=2 * i, seconds=i % 7)
                self._push(created_at=at, pipeline=pipeline.uuid, schedule_id=sid,
                           execution_date=execution, kind="backfill",
                           backfill={"id": bid, "state": state, "index": i, "n": n},
                           variables=_backfill_vars(execution, interval))


    # -- runs -------------------------------------------------------------------------------
    def expand_all(self, w: RowWriter) -> None:
        """Play every planned run in creation order (a failed run may plan a later retry)."""
        while self.heap:
            self.runs.play(w, heapq.heappop(self.heap))


def _backfill_vars(execution: datetime, interval: timedelta) -> dict:
    return {"ds": execution.strftime("%Y-%m-%d"), "execution_date": execution.isoformat(),
            "hr": execution.strftime("%H"),
            "interval_end_datetime": (execution + interval).isoformat(),
            "interval_seconds": int(interval.total_seconds()),
            "interval_start_datetime": execution.isoformat(),
            "interval_start_datetime_previous": (execution - interval).isoformat()}


def generate_history(dest_dir, project_dir, *, seed: int = 7, days: int = 120, scale: float = 1.0,
                     end: datetime = datetime(2026, 11, 1), max_log_files: int = 3000,
                     dynamic_fanout: int = 3) -> Path:
    """Write ``<dest_dir>/<project>/mage-ai.db`` and block logs; return the DB path.

    ``project_dir`` is a Mage project folder (its name is the project name). Output under
    ``<dest_dir>/<project>`` is replaced. ``max_log_files`` caps log files at large scale
    (runs with retries or errors are logged first, then the last three days).
    """
    project_dir = Path(project_dir)
    root = Path(dest_dir) / project_dir.name
    db_path = root / "mage-ai.db"
    if db_path.exists():
        db_path.unlink()
    if (root / "pipelines").exists():
        shutil.rmtree(root / "pipelines")
    root.mkdir(parents=True, exist_ok=True)
    gen = _Generator(root, project_dir, seed, days, scale, end, max_log_files, dynamic_fanout)
    conn = sqlite3.connect(db_path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("BEGIN")
        for statement in ddl("sqlite"):
            conn.execute(statement)
        writer = RowWriter(conn)
        gen.plan_schedules(writer)
        gen.plan_backfills(writer)
        gen.expand_all(writer)
        write_accounts(writer, gen.rng, gen.repo_path, gen.start, gen.end)
        writer.flush()
        apply_incidents(conn, root, gen.start, gen.end, gen.repo_path, gen.yaml_triggers)
        conn.execute("COMMIT")
    finally:
        conn.close()
    return db_path
