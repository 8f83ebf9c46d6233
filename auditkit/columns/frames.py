"""The record of one documented frame and the shared meanings of common column names."""
from __future__ import annotations

import re
from dataclasses import dataclass

# Columns that mean the same in every frame they appear in: (dtype, meaning).
TERMS: dict[str, tuple[str, str]] = {
    "project": ("string", "Mage project (its folder name)"),
    "pipeline": ("string", "pipeline uuid (its folder name under pipelines/)"),
    "block": ("string", "block uuid, as pipelines name it (nested ones keep their folders: `api/load_x`)"),
    "block_type": ("string", "Mage block type: data_loader, transformer, data_exporter, custom, sensor, dbt, ..."),
    "pipeline_type": ("string", "Mage pipeline type: python (batch), streaming, integration, databricks, pyspark"),
    "path": ("string", "repo-relative POSIX path of the file"),
    "line": ("Int64", "1-based line in `path` (blank when the whole file is meant)"),
    "name": ("string", "display name"),
    "status": ("string", "status as Mage stores it"),
    "kind": ("string", "what kind of thing the row is (values listed in docs/architecture.md)"),
    "reason": ("string", "why, in a sentence"),
    "fingerprint": ("string", "short stable hash that identifies the row without its secret value"),
    "settings": ("dict", "the `settings` mapping as written (secret-looking literals redacted)"),
    "retry_config": ("dict", "the `retry_config` mapping as written, or None"),
    "executor_type": ("string", "Mage executor (local_python, k8s, ecs, ...), None when unset"),
    "has_token": ("bool", "an API token is set (the token itself is never read out)"),
    "token_fingerprint": ("string", "short hash of the token, to match it elsewhere"),
    "schedule_id": ("Int64", "the trigger's id in Mage's database (`trigger_id` elsewhere)"),
    "trigger_id": ("Int64", "the trigger's id in Mage's database (pipeline_schedule.id)"),
    "schedule_type": ("string", "trigger type: time, event, api (Mage's TIME/EVENT/API)"),
    "schedule_interval": ("string", "cron or preset interval (@daily, @hourly, ...)"),
    "runs": ("int", "pipeline runs counted"),
    "block_runs": ("int", "block runs counted"),
    "completed": ("int", "runs that ended COMPLETED"),
    "failed": ("int", "runs that ended FAILED"),
    "files": ("int", "block files counted"),
    "n": ("int", "runs measured"),
    "mean_s": ("float", "mean, in seconds"),
    "p50_s": ("float", "median (nearest rank), in seconds"),
    "p95_s": ("float", "95th percentile (nearest rank), in seconds"),
    "max_s": ("float", "maximum, in seconds"),
    "period": ("datetime", "start of the day or week (UTC)"),
    "sha": ("string", "commit sha"),
    "created_at": ("datetime", "when the row was created (UTC)"),
    "started_at": ("datetime", "when it started (UTC)"),
    "completed_at": ("datetime", "when it completed (UTC)"),
    "python_tags": ("bool", "the YAML holds `!!python/...` tags (never loaded)"),
    "configured_retries": ("int", "retries Mage applies to the block (block <- project <- default)"),
    "delay": ("float", "seconds between retries"),
    "max_delay": ("float", "upper bound of the retry delay, seconds"),
    "exponential_backoff": ("bool", "retry delay doubles each attempt"),
    "source": ("string", "where the value comes from"),
    "n_blocks": ("int", "executable blocks of the pipeline (the blocks section, no markdown/chart/scratchpad)"),
    "lines_code": ("int", "lines of code (no blanks, no comments)"),
}


@dataclass(frozen=True)
class Frame:
    """One public frame: how to reach it, what a row is and its columns (name -> (dtype, meaning)).

    A column name may hold a ``<placeholder>`` (``over_<max lines>``): it stands for the
    columns whose name matches it with any text in place of the placeholder."""

    name: str
    group: str
    row: str
    columns: dict[str, tuple[str, str]]
    raw: bool = False

    def meaning(self, column: str) -> tuple[str, str] | None:
        for documented, value in self.columns.items():
            if self.matches(documented, column):
                return value
        return None

    @staticmethod
    def matches(documented: str, column: str) -> bool:
        if "<" not in documented:
            return documented == column
        pattern = re.sub(r"<[^>]*>", ".+", re.escape(documented).replace(r"\<", "<").replace(r"\>", ">"))
        return re.fullmatch(pattern, column) is not None

    def markdown(self) -> list[str]:
        raw = " *Raw: Mage's column names.*" if self.raw else ""
        lines = [f"### `{self.name}`", "", f"One row per {self.row}.{raw}", "",
                 "| column | dtype | meaning |", "|---|---|---|"]
        lines += [f"| `{c}` | {d} | {m} |" for c, (d, m) in self.columns.items()]
        return lines + [""]


def frame(name: str, group: str, row: str, names: str, own: dict[str, tuple[str, str]] | None = None,
          raw: bool = False) -> Frame:
    """A Frame whose columns ``names`` (space-separated) take their meaning from ``own``, else TERMS."""
    own = own or {}
    columns = {}
    for column in names.split():
        if column not in own and column not in TERMS:
            raise KeyError(f"{name}: no meaning for column {column!r}")
        columns[column] = own.get(column) or TERMS[column]
    unused = set(own) - set(columns)
    if unused:
        raise KeyError(f"{name}: meanings for columns it does not list: {sorted(unused)}")
    return Frame(name, group, row, columns, raw)
