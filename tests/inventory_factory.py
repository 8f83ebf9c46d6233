"""Build small RepoInventory-shaped objects for rule tests without reading a repo.

``make_inventory(pipelines=[{...}], blocks=[{...}], block_files=[{...}])`` fills every contract
column (docs/architecture.md) with a neutral default, so a test only states what matters to it:

    inv = make_inventory(block_files=[{"path": "p/data_loaders/load_x.py", "lines_code": 600}])

Defaults describe a healthy thing (a documented, tested, small block; a tagged, well-named
pipeline), so a rule fires only because of the values a test sets. Graph measures of pipelines
are left as given (no graph is computed here).
"""
from __future__ import annotations

import copy
from types import SimpleNamespace

import pandas as pd

PROJECT = "proj"

DEFAULTS: dict[str, dict] = {
    "projects": {
        "project": PROJECT, "path": PROJECT, "project_type": "standalone", "platform_parent": False,
        "has_metadata": True, "has_io_config": True, "metadata": {}, "retry_config": None,
        "queue_config": None, "notification_config": None, "variables_dir": None, "n_pipelines": 0,
        "global_data_products": None,
    },
    "io_config": {
        "project": PROJECT, "path": f"{PROJECT}/io_config.yaml", "profile": "default", "key": "",
        "value_kind": "env_var", "fingerprint": None, "target_scope": None, "line": None,
    },
    "pipelines": {
        "project": PROJECT, "pipeline": "sales_revenue_daily", "uuid_in_yaml": None, "name": None,
        "pipeline_type": "python", "path": None, "description": "Daily revenue report.",
        "tags": ["sales"], "n_blocks": 12, "n_entries": 12, "executor_type": None,
        "executor_count": None, "run_pipeline_in_one_process": None, "concurrency_config": None,
        "retry_config": None, "notification_config": None, "cache_block_output_in_memory": False,
        "settings": None, "has_triggers_yaml": False, "depth": 3, "max_width": 2, "n_edges": 11,
        "n_roots": 1, "n_leaves": 1, "has_cycle": False, "cycle": [], "n_dangling": 0,
        "readable": True,
    },
    "blocks": {
        "project": PROJECT, "pipeline": "sales_revenue_daily", "block": "load_orders", "name": None,
        "block_type": "data_loader", "language": "python", "section": "blocks", "extension": None,
        "upstream": [], "downstream": [], "path": None, "path_source": "default", "file_exists": True,
        "retry_config": None, "executor_type": None, "timeout": None, "configuration": {},
        "is_dynamic": False, "reduce_output": False, "replicated_block": None, "has_callback": False,
    },
    "block_files": {
        "project": PROJECT, "path": f"{PROJECT}/data_loaders/load_orders.py", "block_type": "data_loader",
        "block": None, "language": "python", "subfolder_depth": 0, "size_bytes": 2000,
        "lines_total": 80, "lines_code": 60, "n_functions": 2, "functions": [], "decorators": [],
        "n_tests": 1, "has_docstring": True, "complexity_max": 2, "complexity_avg": 1.5,
        "referenced": True, "n_pipelines": 1, "skipped": None, "facts": {}, "template": False,
        "clones": None, "complex_functions": [], "cues": None,
    },
    "edges": {"project": PROJECT, "pipeline": "sales_revenue_daily", "upstream": "a", "downstream": "b",
              "dangling": False},
    "triggers": {
        "project": PROJECT, "pipeline": "sales_revenue_daily", "path": None, "name": "daily",
        "schedule_type": "time", "schedule_interval": "@daily", "start_time": None, "status": "active",
        "sla": None, "settings": {}, "envs": [], "has_token": False, "valid": True, "problem": None,
        "variable_keys": None,
    },
    "input_problems": {"path": "", "kind": "", "reason": "", "project": None},
}

_BLOCK_FOLDERS = {"custom": "custom"}


def _fill(frame: str, row: dict) -> dict:
    full = copy.deepcopy(DEFAULTS[frame])
    unknown = set(row) - set(full)
    if unknown:
        raise KeyError(f"{frame}: not a contract column: {sorted(unknown)}")
    full.update(row)
    if frame == "pipelines":
        full["uuid_in_yaml"] = full["uuid_in_yaml"] or full["pipeline"]
        full["name"] = full["name"] or full["pipeline"]
        full["path"] = full["path"] or f"{full['project']}/pipelines/{full['pipeline']}/metadata.yaml"
    elif frame == "blocks":
        full["name"] = full["name"] or full["block"]
        if full["path"] is None and full["path_source"] != "none":
            folder = _BLOCK_FOLDERS.get(full["block_type"], f"{full['block_type']}s")
            full["path"] = f"{full['project']}/{folder}/{full['block']}.py"
    elif frame == "block_files":
        if full["block"] is None:
            parts = full["path"].split("/")
            full["block"] = "/".join(parts[2:]).rsplit(".", 1)[0] if len(parts) > 2 else parts[-1]
    return full


def frame(name: str, rows: list[dict] | None) -> pd.DataFrame:
    """A contract frame with all its columns, from partial rows."""
    columns = list(DEFAULTS[name])
    return pd.DataFrame([_fill(name, r) for r in rows or []], columns=columns)


def make_inventory(*, projects=None, io_config=None, pipelines=None, blocks=None, block_files=None,
                   edges=None, triggers=None, input_problems=None, root: str = "/nonexistent"):
    """A RepoInventory-shaped object (SimpleNamespace) with every contract frame.

    ``projects`` defaults to one project named ``proj`` so project-level rules have a row.
    """
    if projects is None:
        projects = [{}]
    inv = SimpleNamespace(
        root=root,
        projects=frame("projects", projects),
        io_config=frame("io_config", io_config),
        pipelines=frame("pipelines", pipelines),
        blocks=frame("blocks", blocks),
        block_files=frame("block_files", block_files),
        edges=frame("edges", edges),
        triggers=frame("triggers", triggers),
        input_problems=frame("input_problems", input_problems),
    )
    inv.summary = lambda: {"projects": len(inv.projects), "pipelines": len(inv.pipelines)}
    return inv
