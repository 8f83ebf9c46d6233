"""Columns of the run-history views (``audit.history``), the raw history frames and the analytics
results the section notebooks show (``auditkit.analytics.*``, ``auditkit.plots.pipelines``)."""
from __future__ import annotations

from auditkit.columns.frames import frame

_H, _A, _RAW = "history", "analytics", "raw history"
_PEAK = {"peak_pipeline_runs": ("Int64", "most runs of the pipeline in flight at once"),
         "peak_block_runs": ("Int64", "most block runs of the pipeline in flight at once")}
_LIMITS = {
    "run_pipeline_in_one_process": ("bool", "the whole pipeline runs in one process"),
    "pipeline_run_limit": ("Int64", "concurrency_config.pipeline_run_limit (per trigger)"),
    "pipeline_run_limit_all_triggers": ("Int64", "concurrency_config.pipeline_run_limit_all_triggers"),
    "block_run_limit": ("Int64", "concurrency_config.block_run_limit"),
    "on_limit_reached": ("string", "on_pipeline_run_limit_reached: wait or skip"),
    "trigger_run_limit": ("Int64", "smallest settings.pipeline_run_limit over its triggers (YAML and DB)"),
    "queue_concurrency": ("int", "the project's queue_config.concurrency (default 20)"),
}
_LIMIT_NAMES = "pipeline project pipeline_type executor_type " + " ".join(_LIMITS)
_OBSERVED = {
    "retried_block_runs": ("int", "COMPLETED block runs that kept an error: rerun by 'retry blocks'"),
    "log_retries": ("int", "automatic retry attempts seen in the block logs"),
    "log_final_failures": ("int", "block runs whose last attempt in the logs failed"),
    "block_runs_auto_retried": ("int", "block runs that needed at least one automatic retry"),
}
_OBSERVED_NAMES = "pipeline block block_runs completed failed " + " ".join(_OBSERVED)
_RETRY_VIEW = {
    **_OBSERVED,
    "source": ("string", "where `configured_retries` comes from: block, project or default"),
    "flaky": ("bool", "failed or needed retries, yet also completed"),
    "failed_without_retry": ("bool", "failed block runs while no retry is configured"),
}
_RETRY_NAMES = (_OBSERVED_NAMES + " project configured_retries delay max_delay exponential_backoff source flaky "
                "failed_without_retry")
_BACKFILL = {
    "backfill_id": ("Int64", "the backfill's id in Mage's database"),
    "name": ("string", "backfill name"),
    "run_limit": ("Int64", "settings.pipeline_run_limit of the backfill"),
}
_STATS = "pipeline n mean_s p50_s p95_s max_s"

ANALYTICS_FRAMES = (
    frame("audit.history.runs", _H, "pipeline run in the window", (
        "run_id pipeline status trigger trigger_type backfill_id execution_date created_at started_at completed_at "
        "duration queue_wait passed_sla"), {
        "run_id": ("Int64", "the run's id (pipeline_run.id)"),
        "trigger": ("string", "the trigger's name (triggers.name)"),
        "trigger_type": ("string", "TIME, EVENT or API"),
        "backfill_id": ("Int64", "the backfill that made the run, else blank"),
        "execution_date": ("datetime", "the interval the run is for (tz-aware UTC)"),
        "created_at": ("datetime", "queued (tz-aware UTC)"), "started_at": ("datetime", "started (tz-aware UTC)"),
        "completed_at": ("datetime", "completed (tz-aware UTC)"),
        "duration": ("timedelta", "completed_at - started_at"), "queue_wait": ("timedelta", "started_at - created_at"),
        "passed_sla": ("bool", "Mage marked the run as past its trigger's SLA"),
    }),
    frame("audit.history.block_runs()", _H, "block run of the window's pipeline runs (one pipeline when given)",
          "block_run_id run_id pipeline block status created_at started_at completed_at duration", {
              "block_run_id": ("Int64", "the block run's id"), "run_id": ("Int64", "its pipeline run"),
              "block": ("string", "block uuid as stored on the run (dynamic children keep their `:n` suffix)"),
              "created_at": ("datetime", "created (tz-aware UTC)"), "started_at": ("datetime", "started (tz-aware UTC)"),
              "completed_at": ("datetime", "completed (tz-aware UTC)"),
              "duration": ("timedelta", "completed_at - started_at"),
          }),
    frame("audit.history.pipeline_run_counts()", _RAW, "pipeline and status", "pipeline_uuid status runs", {
        "pipeline_uuid": ("string", "Mage's name for the pipeline (`pipeline` elsewhere)")}, raw=True),
    frame("audit.history.block_run_stats()", _RAW, "pipeline, block and status",
          "pipeline_uuid block status block_runs with_error", {
              "pipeline_uuid": ("string", "Mage's name for the pipeline (`pipeline` elsewhere)"),
              "block": ("string", "block uuid without the `:n` suffix of dynamic children"),
              "with_error": ("int", "block runs that kept metrics.error")}, raw=True),
    frame("audit.history.schedules()", _RAW, "trigger in Mage's database (pipeline_schedule)", (
        "schedule_id name pipeline_uuid schedule_type schedule_interval status start_time sla settings repo_path "
        "has_token created_at last_enabled_at variable_keys"), {
        "name": ("string", "trigger name"),
        "pipeline_uuid": ("string", "Mage's name for the pipeline (`pipeline` elsewhere)"),
        "start_time": ("datetime", "start_time"), "sla": ("Int64", "SLA in seconds"),
        "repo_path": ("string", "the repo path Mage stored"), "last_enabled_at": ("datetime", "last enabled"),
        "variable_keys": ("list", "names of the schedule's variables (never their values)")},
          raw=True),
    frame("audit.history.data_checks()", _RAW, "data check of the history", "check rows", {
        "check": ("string", "what was checked"), "rows": ("int", "rows that failed it")}, raw=True),
    frame("concurrency.configured_limits(inv, history)", _A, "pipeline", _LIMIT_NAMES, _LIMITS),
    frame("concurrency.concurrency_overview(history, inv)", _A, "pipeline", (
        _LIMIT_NAMES + " peak_pipeline_runs peak_block_runs effective_run_limit over_limit block_over_limit"), {
        **_LIMITS, **_PEAK,
        "effective_run_limit": ("float", "the tightest pipeline-run limit configured"),
        "over_limit": ("bool", "the pipeline-run peak exceeded the effective limit"),
        "block_over_limit": ("bool", "the block-run peak exceeded block_run_limit")}),
    frame("concurrency.observed_peaks(history, level)", _A, "pipeline", "pipeline peak overall_peak", {
        "peak": ("int", "most pipeline (or block) runs of the pipeline in flight at once"),
        "overall_peak": ("int", "most in flight at once over all pipelines (same on every row)")}),
    frame("concurrency.concurrency_timeline(history)", _A, "pipeline and hour", "pipeline bucket running", {
        "bucket": ("datetime", "start of the time bucket (UTC)"),
        "running": ("int", "most runs in flight at a run start in the bucket")}),
    frame("concurrency.backfill_limits(history)", _A, "backfill", "backfill_id name pipeline status run_limit",
          _BACKFILL),
    frame("retries.effective_retry_config(inv)", _A, "executable block entry",
          "project pipeline block retries delay max_delay exponential_backoff source", {
              "retries": ("int", "retries Mage applies (block <- project <- default 0)"),
              "source": ("string", "where `retries` comes from: block, project or default")}),
    frame("retries.block_outcomes(history)", _A, "pipeline and block",
          "pipeline block block_runs completed failed retried_block_runs",
          {"retried_block_runs": _OBSERVED["retried_block_runs"]}),
    frame("retries.observed_retries(history)", _A, "pipeline and block", _OBSERVED_NAMES, _OBSERVED),
    frame("retries.retry_overview(history, inv)", _A, "pipeline and block", _RETRY_NAMES, _RETRY_VIEW),
    frame("retries.flaky_blocks(history, inv)", _A, "flaky block, most retried first", _RETRY_NAMES + " retry_events",
          {**_RETRY_VIEW, "retry_events": ("int", "log_retries + retried_block_runs")}),
    frame("retries.retried_pipeline_runs(history)", _A, "pipeline",
          "pipeline retried_executions extra_runs recovered", {
              "retried_executions": ("int", "executions (trigger, execution_date) run more than once"),
              "extra_runs": ("int", "runs beyond the first of those executions"),
              "recovered": ("int", "of those executions, how many ended COMPLETED")}),
    frame("backfills.backfill_inventory(history)", _A, "backfill", (
        "backfill_id name pipeline status interval_type interval_units start_datetime end_datetime run_limit "
        "expected_runs runs completed_runs failed_runs running_runs pending_runs cancelled_runs progress started_at "
        "finished_at duration_s mean_run_s"), {
        **_BACKFILL, "interval_type": ("string", "DAY, HOUR, ... or CUSTOM"),
        "interval_units": ("Int64", "interval length in interval_type units"),
        "start_datetime": ("datetime", "first interval"), "end_datetime": ("datetime", "last interval"),
        "expected_runs": ("Int64", "intervals from start to end (None for CUSTOM)"),
        "completed_runs": ("int", "runs COMPLETED"), "failed_runs": ("int", "runs FAILED"),
        "running_runs": ("int", "runs RUNNING"), "pending_runs": ("int", "runs INITIAL"),
        "cancelled_runs": ("int", "runs CANCELLED"),
        "progress": ("float", "completed runs / expected intervals"),
        "finished_at": ("datetime", "completed or failed (or the last completed run while RUNNING)"),
        "duration_s": ("float", "started_at to finished_at, seconds"),
        "mean_run_s": ("float", "mean duration of its completed runs, seconds")}),
    frame("backfills.backfill_gaps(history)", _A, "stretch of intervals with no run, per started backfill",
          "backfill_id name gap_start gap_end missing_intervals", {
              **{k: _BACKFILL[k] for k in ("backfill_id", "name")},
              "gap_start": ("datetime", "first missing interval"), "gap_end": ("datetime", "last missing interval"),
              "missing_intervals": ("int", "intervals missing in the stretch")}),
    frame("runs.run_health(history)", _A, "pipeline", (
        "pipeline runs completed failed cancelled in_progress failure_rate success_rate skipped_runs runs_with_sla "
        "sla_misses duration_p50_s duration_p95_s duration_max_s queue_p50_s queue_p95_s duration_trend"), {
        "cancelled": ("int", "runs CANCELLED"), "in_progress": ("int", "runs INITIAL or RUNNING"),
        "failure_rate": ("float", "failed / (completed + failed)"), "success_rate": ("float", "1 - failure_rate"),
        "skipped_runs": ("int", "CANCELLED runs with no block runs (skipped)"),
        "runs_with_sla": ("int", "runs of triggers with an SLA"), "sla_misses": ("int", "of those, past the SLA"),
        "duration_p50_s": ("float", "median duration of COMPLETED runs, seconds"),
        "duration_p95_s": ("float", "95th percentile duration, seconds"),
        "duration_max_s": ("float", "longest duration, seconds"),
        "queue_p50_s": ("float", "median queue wait, seconds"), "queue_p95_s": ("float", "95th percentile queue wait"),
        "duration_trend": ("float", "median duration of the last four weeks / earlier (>1: getting slower)")}),
    frame("runs.run_outcomes(history, period)", _A, "pipeline, period and status", "pipeline period status runs"),
    frame("runs.duration_stats(history)", _A, "pipeline (COMPLETED runs)", _STATS),
    frame("runs.duration_trend(history, period)", _A, "pipeline and period (COMPLETED runs)",
          "pipeline period n mean_s p50_s p95_s max_s"),
    frame("runs.queue_wait(history)", _A, "pipeline (created_at to started_at)", _STATS),
    frame("runs.sla_misses(history)", _A, "pipeline", "pipeline runs_with_sla sla_misses miss_rate", {
        "runs_with_sla": ("int", "runs of triggers with an SLA"), "sla_misses": ("int", "of those, past the SLA"),
        "miss_rate": ("float", "sla_misses / runs_with_sla")}),
    frame("runs.skipped_runs(history)", _A, "pipeline", "pipeline skipped_runs", {
        "skipped_runs": ("int", "CANCELLED runs with no block runs")}),
    frame("runs.expected_vs_actual(history)", _A, "active time trigger with a repeating interval", (
        "trigger_id pipeline name schedule_interval expected_runs actual_runs runs manual_runs missing_runs "
        "p50_late_s p95_late_s max_late_s capped"), {
        "name": ("string", "trigger name"), "expected_runs": ("int", "schedule ticks in the window (croniter)"),
        "actual_runs": ("int", "distinct execution dates of scheduled runs in the same window"),
        "runs": ("int", "runs of the trigger"), "manual_runs": ("int", "API / run-now runs, counted apart"),
        "missing_runs": ("int", "expected - actual (never below 0)"),
        "p50_late_s": ("float", "median of started_at - execution_date"), "p95_late_s": ("float", "95th percentile"),
        "max_late_s": ("float", "latest start"), "capped": ("bool", "the tick count was extrapolated")}),
    frame("schedule_sync.trigger_drift(history, inv, env)", _A, "trigger that differs between code and database",
          "pipeline name issue trigger_id status envs", {
              "name": ("string", "trigger name"),
              "issue": ("string", "yaml_not_in_db, db_not_in_yaml, env_excluded or pipeline_missing"),
              "envs": ("list", "the YAML trigger's envs (None for DB-only rows)")}),
    frame("schedule_sync.settings_drift(history, inv, env)", _A, "setting of a trigger that differs between code and DB",
          "pipeline name trigger_id field db code", {
              "name": ("string", "trigger name"), "field": ("string", "the setting (schedule_interval, settings.x, ...)"),
              "db": ("object", "its value in the database (variables: keys only there)"),
              "code": ("object", "its value in triggers.yaml (variables: keys only there)")}),
    frame("upkeep.hung_runs(history, inv)", _A, "run open far longer than its pipeline's runs take",
          "pipeline run_id status since open_s limit_s p95_s backfill_id", {
              "run_id": ("int", "the run's id"), "status": ("string", "RUNNING or INITIAL"),
              "since": ("datetime", "started (RUNNING) or created (INITIAL)"),
              "open_s": ("float", "seconds open at the window's end"),
              "limit_s": ("float", "seconds after which it counts as hung"),
              "p95_s": ("float", "95th percentile duration of the pipeline's completed runs"),
              "backfill_id": ("Int64", "the backfill that made the run, else blank")}),
    frame("upkeep.scheduler_stalls(history)", _A, "period in which the scheduler created no run although schedules were due",
          "start end duration_s due_ticks schedules", {
              "start": ("datetime", "last run created before the gap"), "end": ("datetime", "first run after it"),
              "duration_s": ("float", "length of the gap, seconds"),
              "due_ticks": ("int", "schedule ticks that fell in the gap"),
              "schedules": ("string", "the schedules that were due (pipeline/trigger)")}),
    frame("upkeep.retention_settings(inv)", _A, "project", "project logs_retention variables_retention", {
        "logs_retention": ("string", "logging_config.retention_period (block logs)"),
        "variables_retention": ("string", "variables_retention_period (block outputs)")}),
    frame("upkeep.history_volume(history)['tables']", _A, "history table", "table rows min_id max_id oldest newest bytes", {
        "table": ("string", "Mage table"), "rows": ("int", "rows in it"), "min_id": ("Int64", "lowest id"),
        "max_id": ("Int64", "highest id (ids are never reused: max - min + 1 - rows were deleted)"),
        "oldest": ("datetime", "oldest row"), "newest": ("datetime", "newest row"),
        "bytes": ("Int64", "bytes on disk, when the database says")}),
    frame("upkeep.history_volume(history)['months']", _A, "month", "month pipeline_runs block_runs first_run_id last_run_id", {
        "month": ("datetime", "first day of the month"), "pipeline_runs": ("int", "pipeline runs created"),
        "block_runs": ("int", "block runs created"), "first_run_id": ("Int64", "first pipeline run id of the month"),
        "last_run_id": ("Int64", "last one")}),
    frame("blocks.largest_blocks(block_files, n)", _A, "block file, largest first", (
        "project path block_type language lines_code lines_total complexity_max n_tests has_docstring n_pipelines"), {
        "language": ("string", "python, sql, r"), "lines_total": ("int", "lines of the file"),
        "complexity_max": ("float", "highest cyclomatic complexity of a function"), "n_tests": ("int", "@test functions"),
        "has_docstring": ("bool", "has a docstring"), "n_pipelines": ("int", "pipelines using the file")}),
    frame("blocks.sizes_by_type(block_files, limits)", _A, "block type", "block_type files median p90 max over_<limit>", {
        "median": ("float", "median lines of code"), "p90": ("float", "90th percentile lines of code"),
        "max": ("int", "most lines of code"), "over_<limit>": ("int", "files over the limit (500 by default)")}),
    frame("blocks.coverage_by_type(block_files)", _A, "block type (Python files)",
          "block_type files with_tests with_docstring", {
              "with_tests": ("float", "share with at least one @test"), "with_docstring": ("float", "share with a docstring")}),
    frame("blocks.naming_by_type(block_files)", _A, "block type with a naming convention", "block_type files follow break", {
        "follow": ("int", "files named by the convention (load_, transform_, export_)"),
        "break": ("int", "files that break it")}),
    frame("blocks.naming_violations(block_files)", _A, "block file off its naming convention",
          "project path block_type block"),
    frame("blocks.subfolder_depths(block_files)", _A, "subfolder depth and block type", "subfolder_depth block_type files", {
        "subfolder_depth": ("int", "folders between the type folder and the file")}),
    frame("blocks.block_sizes_by_pipeline(blocks, block_files)", _A, "pipeline and block entry",
          "project pipeline block block_type path lines_code"),
    frame("blocks.blocks_per_pipeline(pipelines)", _A, "pipeline, most blocks first", "project pipeline pipeline_type n_blocks"),
    frame("blocks.size_band_counts(block_files, limits)", _A, "size band", "band files share", {
        "band": ("string", "lines-of-code band"), "share": ("float", "share of the files")}),
    frame("plots.pipelines.pipeline_structure(pipelines, findings, limits)", _A, "pipeline", (
        "project pipeline pipeline_type n_blocks depth max_width n_edges has_cycle n_dangling executor_type "
        "run_pipeline_in_one_process tags within_limits naming_ok tags_ok findings"), {
        "depth": ("Int64", "levels of the longest dependency chain"),
        "max_width": ("Int64", "blocks on the widest level"), "n_edges": ("int", "links"),
        "has_cycle": ("bool", "the dependencies form a cycle"), "n_dangling": ("int", "links to missing blocks"),
        "run_pipeline_in_one_process": ("bool", "runs in one process"), "tags": ("list", "metadata.yaml tags"),
        "within_limits": ("bool", "blocks, depth and width within the limits"),
        "naming_ok": ("bool", "the name follows the naming rule"), "tags_ok": ("bool", "tagged as the guide asks"),
        "findings": ("int", "findings about the pipeline")}),
)
