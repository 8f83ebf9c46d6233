"""Read a Mage server's run history through its REST API into a private mirror DB.

Order of work: schedules, backfills, pipeline runs in ``created_at`` windows (each run page
carries its block runs, metrics included: no request per run), runs of global-data-product
schedules (Mage's run list leaves them out unless asked), then block logs for retries. Every
failure is an input problem naming the URL and what is incomplete; the audit goes on.
"""
from __future__ import annotations

import sys
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import quote

import pandas as pd

from auditkit.model import InputProblem

from ..tidy import relative_span
from .client import ApiError, MageClient
from .mirror import Mirror
from .walk import DEFAULT_PAGE_SIZE, WalkStats, list_all, parse_time, walk_runs

LOG_FILES_PER_REQUEST = 20          # Mage's LogResource.MAX_LOG_FILES
DEFAULT_LOG_REQUESTS = 50           # block logs of up to 1,000 block runs
LOG_REQUESTS_ENV = "AUDITKIT_API_LOG_REQUESTS"
KIND = "history_api"


@dataclass
class ApiRead:
    """What one read did: requests, pages and rows, for problems and the benchmark."""

    runs: int = 0
    block_runs: int = 0
    schedules: int = 0
    backfills: int = 0
    log_files: int = 0
    block_run_fallbacks: int = 0
    walk: WalkStats = field(default_factory=WalkStats)
    problems: list[InputProblem] = field(default_factory=list)


class _LogCandidates:
    """Block runs whose logs are worth reading: every failed or errored one, then the newest."""

    def __init__(self, budget_runs: int) -> None:
        self.failed: list[tuple[str, int]] = []
        self.newest: deque[tuple[str, int]] = deque(maxlen=max(0, budget_runs))
        self.total = 0

    def add(self, pipeline: str, block_run: dict) -> None:
        if block_run.get("started_at") is None or block_run.get("id") is None:
            return                          # never ran: no log
        self.total += 1
        metrics = block_run.get("metrics")
        errored = isinstance(metrics, dict) and "error" in metrics
        if str(block_run.get("status") or "").lower() == "failed" or errored:
            self.failed.append((pipeline, int(block_run["id"])))
        else:
            self.newest.append((pipeline, int(block_run["id"])))

    def chosen(self, budget_runs: int) -> list[tuple[str, int]]:
        picked = self.failed[:budget_runs]
        picked += list(self.newest)[-(budget_runs - len(picked)):] if budget_runs > len(picked) else []
        return picked


def read_into(mirror: Mirror, client: MageClient, *, since=None, until=None, page_size: int = DEFAULT_PAGE_SIZE,
              log_requests: int = DEFAULT_LOG_REQUESTS, progress: bool | None = None) -> ApiRead:
    """Fill ``mirror`` from the server; raises :class:`ApiError` only when nothing could be read."""
    read = ApiRead()
    schedules = [s for page in list_all(client, "/api/pipeline_schedules", "pipeline_schedules") for s in page]
    read.schedules = len(schedules)
    backfills: list[dict] = []
    try:
        backfills = [b for page in list_all(client, "/api/backfills", "backfills") for b in page]
        read.backfills = mirror.add("backfill", backfills)
    except ApiError as exc:
        read.problems.append(InputProblem(client.label, KIND, f"backfills not read: {exc}"))
    since, until = _absolute_window(client, since, until)
    candidates = _LogCandidates(log_requests * LOG_FILES_PER_REQUEST)
    run_tokens: dict[int, str] = {}
    seen_schedules = {s.get("id") for s in schedules}
    extra_schedules: dict[int, dict] = {}
    bar = _progress_bar(progress)
    try:
        # Runs of global-data-product schedules only come when asked for by product; a
        # backfill is one unit whatever the window (as on the DB), so its runs come whole.
        walks = [({}, since, until)] + [({"global_data_product_uuid": p}, since, until) for p in sorted(
            {s["global_data_product_uuid"] for s in schedules if s.get("global_data_product_uuid")})]
        if since is not None or until is not None:
            walks += [({"backfill_id": b["id"]}, None, None) for b in backfills if b.get("id") is not None]
        for extra, low, high in walks:
            stats = WalkStats() if extra else read.walk
            for page in walk_runs(client, since=low, until=high, page_size=page_size, extra=extra,
                                  stats=stats, on_total=None if extra else bar.reset):
                _add_runs(mirror, client, page, read, candidates, run_tokens, seen_schedules, extra_schedules)
                bar.update(len(page))
            read.walk.fell_back = read.walk.fell_back or stats.fell_back
    except ApiError as exc:
        read.problems.append(InputProblem(client.label, KIND, (
            f"pipeline runs incomplete ({mirror.count('pipeline_run')} read): {exc}")))
    finally:
        bar.close()
    mirror.add_schedules(schedules + list(extra_schedules.values()), run_tokens)
    if extra_schedules:
        read.problems.append(InputProblem(client.label, KIND, (
            f"{len(extra_schedules)} trigger(s) referenced by runs are not in /api/pipeline_schedules "
            "(another project's repo_path?); only their id, name and type are known")))
    read.runs, read.block_runs = mirror.count("pipeline_run"), mirror.count("block_run")
    _check_counts(read, client.label)
    _read_logs(mirror, client, candidates, log_requests, read)
    return read


def _add_runs(mirror, client, page, read, candidates, run_tokens, seen_schedules, extra_schedules) -> None:
    block_runs: list[dict] = []
    for run in page:
        schedule_id = run.get("pipeline_schedule_id")
        if run.get("pipeline_schedule_token") and schedule_id is not None:
            run_tokens[schedule_id] = run["pipeline_schedule_token"]
        if schedule_id is not None and schedule_id not in seen_schedules and schedule_id not in extra_schedules:
            extra_schedules[schedule_id] = {"id": schedule_id, "name": run.get("pipeline_schedule_name"),
                                            "pipeline_uuid": run.get("pipeline_uuid"),
                                            "schedule_type": run.get("pipeline_schedule_type")}
        embedded = run.get("block_runs")
        if not isinstance(embedded, list):
            embedded = _block_runs_of(client, run, read)
        for block_run in embedded:
            if isinstance(block_run, dict):
                block_run.setdefault("pipeline_run_id", run.get("id"))
                block_runs.append(block_run)
                candidates.add(str(run.get("pipeline_uuid") or ""), block_run)
    mirror.add("pipeline_run", page)
    mirror.add("block_run", block_runs)


def _block_runs_of(client: MageClient, run: dict, read: ApiRead) -> list[dict]:
    """A run's block runs from ``/api/block_runs`` (only when the run list did not embed them;
    that endpoint has no metrics, so errors kept after a retry are unknown for them)."""
    read.block_run_fallbacks += 1
    if read.block_run_fallbacks == 1:
        read.problems.append(InputProblem(client.label, KIND, (
            "the run list gave no embedded block runs; read them per run from /api/block_runs, "
            "which has no metrics (block runs that failed and then succeeded on a retry are not known)")))
    rows = [b for page in list_all(client, "/api/block_runs", "block_runs", page_size=1000,
                                   params={"pipeline_run_id": run.get("id")}) for b in page]
    return rows


def _check_counts(read: ApiRead, label: str) -> None:
    reported = read.walk.reported_count
    if read.walk.fell_back:
        read.problems.append(InputProblem(label, KIND, read.walk.fell_back))
    if reported is not None and read.walk.rows < reported:
        read.problems.append(InputProblem(label, KIND, f"the server counted {reported} pipeline runs, "
                                                       f"{read.runs} were read"))


def _read_logs(mirror: Mirror, client: MageClient, candidates: _LogCandidates, log_requests: int,
               read: ApiRead) -> None:
    """Block logs of the chosen block runs, 20 per request per pipeline, at most ``log_requests``."""
    by_pipeline: dict[str, list[int]] = {}
    for pipeline, block_run_id in candidates.chosen(log_requests * LOG_FILES_PER_REQUEST):
        by_pipeline.setdefault(pipeline, []).append(block_run_id)
    batches = [(pipeline, ids[i:i + LOG_FILES_PER_REQUEST]) for pipeline, ids in sorted(by_pipeline.items())
               for i in range(0, len(ids), LOG_FILES_PER_REQUEST)]
    batches.sort(key=lambda b: -len(b[1]))          # full batches first: the budget is in requests
    covered, failed_pipelines = 0, set()
    for pipeline, batch in batches[:log_requests]:
        if pipeline in failed_pipelines:
            continue
        try:
            body = client.get(f"/api/pipelines/{quote(pipeline, safe='')}/logs",
                              {"block_run_id[]": ",".join(map(str, batch)), "_limit": LOG_FILES_PER_REQUEST})
        except ApiError:
            failed_pipelines.add(pipeline)
            continue
        covered += len(batch)
        for entry in body.get("logs") or []:
            for log in (entry.get("block_run_logs") or []) if isinstance(entry, dict) else []:
                if isinstance(log, dict) and isinstance(log.get("content"), str):
                    read.log_files += mirror.add_log(log.get("path"), log["content"])
    if failed_pipelines:
        read.problems.append(InputProblem(client.label, KIND, (
            f"block logs could not be read for pipeline(s) {', '.join(sorted(failed_pipelines))}: "
            "their automatic retries are not counted")))
    left = candidates.total - covered
    if left > 0:
        read.problems.append(InputProblem(client.label, KIND, (
            f"block logs read for {covered} of {candidates.total} block runs that ran (every failed or "
            f"errored one first, then the newest): automatic retries of the other {left} are not counted; "
            f"Mage's API gives at most {LOG_FILES_PER_REQUEST} log files per request and the reader made at "
            f"most {log_requests} log requests (raise {LOG_REQUESTS_ENV} to read more)")))


def _absolute_window(client: MageClient, since, until) -> tuple[datetime | None, datetime | None]:
    """Naive UTC bounds to push; a span such as ``"90d"`` counts back from ``until`` or from the
    newest run (one request), as :func:`tidy.resolve_window` does on the mirror afterwards."""
    until_t = _naive(until)
    span = relative_span(since)
    if span is None:
        return _naive(since), until_t
    anchor = until_t
    if anchor is None:
        body = client.get("/api/pipeline_runs", {"include_all_pipeline_schedules": "true",
                                                 "order_by[]": "created_at desc,id desc", "_limit": 1})
        rows = body.get("pipeline_runs") or []
        anchor = parse_time(rows[0].get("created_at")) if rows and isinstance(rows[0], dict) else None
    return (anchor - span if anchor is not None else None), until_t


def _naive(value) -> datetime | None:
    if value is None or value == "" or relative_span(value) is not None:
        return None
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp.to_pydatetime()


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def reset(self, total: int | None = None) -> None:
        pass

    def close(self) -> None:
        pass


def _progress_bar(progress: bool | None):
    """A tqdm bar on stderr when it is a terminal (or when ``progress`` is True)."""
    show = sys.stderr.isatty() if progress is None else progress
    if not show:
        return _NoBar()
    from tqdm import tqdm
    return tqdm(total=None, unit="run", desc="Mage API runs", file=sys.stderr, leave=False)
