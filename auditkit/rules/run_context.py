"""Rules about what a block does when it runs: stub blocks in running pipelines, time windows
taken from the wall clock instead of the run's execution date, and environment specifics
(hosts, buckets, local paths) written into block code."""
from __future__ import annotations

from auditkit.engine.base import Rule, register
from auditkit.engine.frames import file_place, logic_files, short_list
from auditkit.engine.lookups import block_rows_with_files, history_of, unattended_pipelines


def _run_pipelines(rule: Rule) -> dict[tuple[str, str], list[str]]:
    """(project, block file path) -> the pipelines made to run unattended that use the file."""
    running = unattended_pipelines(rule.ctx.inventory, history_of(rule.ctx))
    out: dict[tuple[str, str], list[str]] = {}
    for block in block_rows_with_files(rule.ctx.inventory):
        if str(block.get("pipeline")) in running and block.get("path"):
            out.setdefault((str(block["project"]), str(block["path"])), []).append(str(block["pipeline"]))
    return out


def _cue(row: dict, name: str):
    cues = row.get("cues")
    return cues.get(name) if isinstance(cues, dict) else None


@register
class StubBlock(Rule):
    """A block that does nothing sits in a pipeline that runs.

    What it checks:
        Python block files used by a pipeline with a trigger (or, with a run history, one that
        the scheduler starts) whose decorated block function does nothing: only ``pass``,
        ``...``, a docstring or a TODO comment, ``return`` of nothing or of an empty frame or
        literal, or ``raise NotImplementedError``. Untouched Mage templates are MAGE-BLK-013's.

    Why it matters:
        Every run "succeeds" while loading or writing nothing: downstream tables go stale with
        green runs, and nobody is alerted.

    Example:
        ``@data_loader def load_data(*args, **kwargs): return pd.DataFrame()  # TODO`` in a
        pipeline with an hourly trigger.

    Fix:
        Write the block, or take it (and its trigger) out of the pipeline until it is ready.
    """

    id = "MAGE-BLK-016"
    name = "stub-block"
    title = "Stub block in a running pipeline"
    category = "blocks"
    severity = "medium"
    practices = ("BP-PIPELINE-STRUCTURE",)
    off_by_default = ("not yet measured on real repos: no stub block runs in a triggered pipeline of the "
                      "18 public repos of the ecosystem check, so it produced no finding to label")

    def check(self):
        running = _run_pipelines(self)
        for row in logic_files(self.ctx.inventory):
            stubs = _cue(row, "stub_functions") or []
            pipelines = running.get((str(row["project"]), str(row["path"])))
            if stubs and pipelines:
                names = short_list(name for _, name in stubs)
                yield self.finding(
                    f"{row['block_type']} '{row.get('block')}' does nothing ({names}) but runs in "
                    f"{short_list(sorted(set(pipelines)), 3)}", line=stubs[0][0], **file_place(row))


@register
class WallClockWindow(Rule):
    """A scheduled block takes its time window from the wall clock.

    What it checks:
        Python block files used by a pipeline with a trigger (or started by the scheduler)
        that compute a time window from the wall clock (``datetime.now()``, ``utcnow()``,
        ``date.today()``, ``time.time()``, ``pd.Timestamp.now()`` in date arithmetic or a
        comparison, e.g. ``now() - timedelta(days=1)``) and never read the run's
        ``execution_date`` (or ``interval_start_datetime``/``interval_end_datetime``).

    Why it matters:
        A backfill, a retry or a late run loads the period around the moment it runs instead of
        the period it stands for: backfills reload today's data N times, and a run retried after
        midnight skips a day.

    Example:
        ``since = datetime.utcnow() - timedelta(days=1)`` in the loader of a ``@daily`` pipeline.

    Fix:
        Take the window from the run: ``kwargs['execution_date']`` (or
        ``interval_start_datetime``/``interval_end_datetime``), so backfills and reruns load the
        period they stand for.
    """

    id = "MAGE-REL-010"
    name = "wall-clock-window"
    title = "Time window from the wall clock"
    category = "reliability"
    severity = "medium"
    practices = ("BP-ERROR-IDEMPOTENCY", "BP-BACKFILL-BUILTIN")
    off_by_default = ("not yet measured on real repos: its first version fired 5 times on the ecosystem "
                      "check, all wrong (text timestamps such as now().isoformat() + 'Z'); after the fix "
                      "it fires on none, so there is nothing to label yet")

    def check(self):
        running = _run_pipelines(self)
        for row in logic_files(self.ctx.inventory):
            windows = _cue(row, "wall_clock_windows") or []
            pipelines = running.get((str(row["project"]), str(row["path"])))
            if windows and pipelines and _cue(row, "uses_execution_date") is False:
                calls = short_list(sorted({call for _, call in windows}))
                yield self.finding(
                    f"{row['block_type']} '{row.get('block')}' takes its time window from {calls} in "
                    f"scheduled {short_list(sorted(set(pipelines)), 3)}, not from execution_date",
                    line=windows[0][0], evidence=f"lines {short_list([line for line, _ in windows])}",
                    **file_place(row))


@register
class HardcodedEnvironment(Rule):
    """A block pins one environment in its code: host, port, IP, bucket or local path.

    What it checks:
        String literals in the Python block files pipelines run that name an IP address or
        ``localhost``, a ``host:port`` endpoint (``minio:9000``), a bucket (``s3://...``,
        ``gs://...``, ``Bucket='raw'``) or an absolute local path (``/home/me/data``). Defaults
        of ``os.getenv``/``os.environ.get`` are configuration and are not counted; database
        connection strings are MAGE-BLK-006's; Mage's own ``/home/src`` paths are left alone.
        One finding per file names the kinds and lines, never the values.

    Why it matters:
        The CI/CD guide keeps environment specifics in ``io_config.yaml`` profiles and
        environment variables, so that dev and staging never touch production. A host or
        bucket written into a block runs every environment against the same place.

    Example:
        ``boto3.client('s3', endpoint_url='http://minio:9000')`` and
        ``put_object(Bucket='prod-raw', ...)`` in an exporter.

    Fix:
        Read the value from an environment variable or an ``io_config.yaml`` profile
        (``{{ env_var('S3_ENDPOINT') }}``) and set it per environment.
    """

    id = "MAGE-BLK-017"
    name = "hardcoded-environment"
    title = "Environment specifics written into a block"
    category = "blocks"
    severity = "low"
    practices = ("BP-DEPLOY-ENV-CONFIG", "CICD-BLOCK-ENV-VAR")

    def check(self):
        for row in logic_files(self.ctx.inventory):
            pins = _cue(row, "env_literals") or []
            if not pins:
                continue
            kinds = short_list(sorted({kind for _, kind in pins}))
            yield self.finding(f"{row['block_type']} '{row.get('block')}' pins its environment in code: {kinds}",
                               line=pins[0][0], evidence=f"lines {short_list(sorted({line for line, _ in pins}), 8)}",
                               **file_place(row))
