"""Code facts as a tidy frame: one row per block file and fact found in it.

The per-file dicts in ``block_files.facts`` are what the rules read; people asking questions in
a notebook get :func:`facts_table` instead (``audit.inventory.code_facts``): plain columns
``project, path, block, block_type, fact, count, first_line, details``. A fact that was not
found in a file (False, 0 or an empty list) has no row, so ``fact == "http_calls"`` lists the
files that call HTTP APIs.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

# Every key of empty_facts() with its meaning (docs/columns.md lists them; a test checks that
# the two agree). Lists are [line, detail] pairs unless said "lines".
FACTS: dict[str, str] = {
    "loads_data": "reads data: a Mage loader, a SELECT, an HTTP GET, a file read",
    "exports_data": "writes data: a Mage exporter, an INSERT/UPDATE/MERGE, an HTTP POST/PUT, a file write",
    "hardcoded_dates": "literal dates in code or SQL; details: the identifier and operator in front",
    "hardcoded_tables": "fully qualified table names written in code or SQL; details: the table",
    "connection_strings": "connection URLs in code; details: their kind (never the value)",
    "print_calls": "print() calls (lines)",
    "uses_logging": "uses the logging module or Mage's logger",
    "swallowed_exceptions": "broad except handlers that hide an error (lines)",
    "export_modes": "export write modes; details: append/replace/fail/default/upsert/insert/merge/delete",
    "has_checkpointing": "names a checkpoint, watermark or bookmark (incremental loads)",
    "unchunked_reads": "whole-file or whole-table reads without chunks; details: the call",
    "connections_opened": "database connections opened (lines)",
    "closes_connections": "closes the connections it opens (close() or a with block)",
    "uses_pool": "uses a connection pool",
    "assertions": "assert statements inside @test functions (count, no lines)",
    "dq_checks": "assertions that check the data's values or schema, not just that it exists",
    "env_access": "reads environment variables (os.environ, os.getenv, env_var)",
    "env_branching": "branches on the environment name (if ENV == 'prod' ...)",
    "loops": "for/while loops (count, no lines)",
    "http_calls": "HTTP client calls (requests, httpx, urllib, aiohttp); details: the call",
    "raw_connections": "driver connects and engines outside Mage's io loaders; details: the call",
    "io_profiles": "literal io_config profile names in code; details: the profile",
    "external_io": "every call that reaches another system (HTTP, drivers, cloud clients, remote URLs); details: the call",
    "triggered_pipelines": "pipelines started with trigger_pipeline and a literal uuid; details: the pipeline",
}
COLUMNS = ["project", "path", "block", "block_type", "fact", "count", "first_line", "details"]


def fact_rows(facts: dict[str, Any] | None) -> Iterable[tuple[str, int, int | None, str]]:
    """``(fact, count, first_line, details)`` for each fact found in one file's facts dict."""
    for fact, value in (facts or {}).items():
        if isinstance(value, bool):
            if value:
                yield fact, 1, None, ""
        elif isinstance(value, int):
            if value > 0:
                yield fact, value, None, ""
        elif isinstance(value, list) and value:
            pairs = [v for v in value if isinstance(v, (list, tuple)) and v]
            lines = [int(v[0]) for v in pairs] if pairs else [int(v) for v in value if isinstance(v, int)]
            details = sorted({str(v[1]) for v in pairs if len(v) > 1})
            yield fact, len(value), min(lines) if lines else None, ", ".join(details)


def facts_table(block_files: pd.DataFrame) -> pd.DataFrame:
    """One row per block file and fact found in it (see the module docstring)."""
    rows = []
    if len(block_files) and "facts" in block_files:
        columns = ("project", "path", "block", "block_type", "facts")
        for project, path, block, block_type, facts in zip(*(block_files[c].tolist() for c in columns)):
            for fact, count, first_line, details in fact_rows(facts):
                rows.append((project, path, block, block_type, fact, count, first_line, details))
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["count"] = frame["count"].astype("int64")
    frame["first_line"] = frame["first_line"].astype("Int64")
    return frame
