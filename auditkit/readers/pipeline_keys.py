"""Whether a pipeline's ``metadata.yaml`` has the structure Mage loads.

A top-level key mistyped or corrupted (``locks:`` for ``blocks:``) does not fail YAML parsing:
Mage loads the pipeline without the section, so a pipeline with six blocks shows none. This
module names such damage so the reader reports it as a broken structure, not as an empty
pipeline. Unknown keys are only suspect when they look like a known key that is absent, or
when ``blocks`` is absent and an unknown key holds block entries: newer Mage versions add keys,
and those are left alone.
"""
from __future__ import annotations

import difflib
from typing import Any

# Top-level keys of a pipeline metadata.yaml (reference §3.2, plus keys Mage Pro documents).
PIPELINE_KEYS = frozenset({
    "blocks", "cache_block_output_in_memory", "callbacks", "concurrency_config", "conditionals",
    "created_at", "data_integration", "description", "executor_config", "executor_count",
    "executor_type", "extensions", "name", "uuid", "notification_config", "remote_variables_dir",
    "variables_dir", "retry_config", "run_pipeline_in_one_process", "settings", "spark_config",
    "tags", "type", "variables", "widgets", "execution_framework", "overrides", "updated_at",
    "state_store_config", "rag_config",
})
LIST_SECTIONS = ("blocks", "callbacks", "conditionals", "widgets")
_SIMILARITY = 0.75


def structure_problems(config: dict[str, Any]) -> list[str]:
    """Why Mage would not load ``config`` (a parsed metadata.yaml mapping) as written: one
    reason per damaged key, or [] when its structure is sound."""
    reasons = []
    absent = sorted(PIPELINE_KEYS - set(config))
    for key in sorted((str(k) for k in config if str(k) not in PIPELINE_KEYS)):
        close = difflib.get_close_matches(key, absent, n=1, cutoff=_SIMILARITY)
        if close:
            reasons.append(f"top-level key '{key}' is not a Mage pipeline key (a damaged '{close[0]}'?)")
        elif "blocks" not in config and _holds_entries(config[key]):
            reasons.append(f"top-level key '{key}' holds block entries but Mage reads them only under 'blocks'")
    for section in LIST_SECTIONS:
        value = config.get(section)
        if value is not None and not isinstance(value, list):
            reasons.append(f"'{section}' is a {type(value).__name__}, not a list of blocks")
    return reasons


def _holds_entries(value: Any) -> bool:
    return isinstance(value, list) and any(isinstance(item, dict) and "uuid" in item for item in value)
