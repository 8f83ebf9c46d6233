"""The ``history`` object of summary.json: run counts, backfills, retries and peaks per pipeline."""
from __future__ import annotations

import pandas as pd

from auditkit.analytics.backfills import backfill_inventory
from auditkit.analytics.concurrency import observed_peaks


def history_summary(history) -> dict:
    """What summary.json says about a run history (and the trend compares between audits)."""

    def nested(frame: pd.DataFrame, count: str) -> dict:
        out: dict[str, dict[str, int]] = {}
        for row in frame.itertuples(index=False):
            status = str(getattr(row, "status"))
            per = out.setdefault(str(row.pipeline_uuid), {})
            per[status] = per.get(status, 0) + int(getattr(row, count))
        return {k: dict(sorted(v.items())) for k, v in sorted(out.items())}

    blocks = history.block_run_stats()
    block_counts = (blocks.groupby(["pipeline_uuid", "status"], as_index=False)["block_runs"].sum()
                    if not blocks.empty else blocks)
    fills = backfill_inventory(history)
    peaks = observed_peaks(history, level="pipeline")
    retries = history.logs.retries_by_block()
    return {
        "pipeline_runs": nested(history.pipeline_run_counts(), "runs"),
        "block_runs": nested(block_counts, "block_runs") if not blocks.empty else {},
        "backfills": [
            {"id": int(r.backfill_id), "name": r.name, "pipeline_uuid": r.pipeline,
             "status": r.status if isinstance(r.status, str) else None,
             "runs": int(r.runs), "failed_runs": int(r.failed_runs)}
            for r in fills.itertuples(index=False)],
        "retry_attempts": {f"{r.pipeline_uuid}/{r.block_uuid}": int(r.retries)
                           for r in retries.itertuples(index=False) if r.retries > 0},
        "max_concurrent_pipeline_runs": {str(r.pipeline): int(r.peak)
                                         for r in peaks.itertuples(index=False)},
    }


def history_volume_summary(history, inv=None, mage_env: str | None = None) -> dict:
    """summary.json's ``history_volume``: the size of the history DB (rows per run table, the
    oldest pipeline run, bytes, whether old rows were purged) and the Mage environment it
    comes from. Kept apart from ``history``: a copy of the same runs (e.g. mirrored from the
    REST API) has other sizes and ids."""
    from .schedule_sync import audited_env
    from .upkeep import history_volume

    volume = history_volume(history)
    tables = volume["tables"]
    env, how = audited_env(history, inv, mage_env)
    return {
        "rows": {str(r.table): int(r.rows) for r in tables.itertuples(index=False)} if len(tables) else {},
        "oldest_run": volume["oldest"].isoformat() if volume["oldest"] is not None and pd.notna(volume["oldest"]) else None,
        "db_bytes": volume["db_bytes"], "purged": volume["purged"], "mage_env": env, "mage_env_source": how,
    }
