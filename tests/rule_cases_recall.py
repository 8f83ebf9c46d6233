"""Pass/fail cases of the rules from the recall issue (17), as rows (see tests/test_rules_cases.py)."""
from __future__ import annotations

import ast

from auditkit.readers.clones import clone_units

LOADER = "proj/data_loaders/load_orders.py"


def _loader_source(endpoint: str, name: str = "frame") -> str:
    body = "\n".join(f"    {name}['c{i}'] = {name}['c{i}'].astype(str).str.strip()" for i in range(14))
    return (f"@data_loader\ndef load(*args, **kwargs):\n    {name} = fetch_all('{endpoint}')\n"
            f"{body}\n    return {name}\n")


def _units(text: str):
    return clone_units(text, ast.parse(text), "python")


def _bf(path, **kw):
    return {"path": path, "block_type": path.split("/")[1].rstrip("s"), "language": "python", **kw}


_COPIES = [_bf(f"proj/data_loaders/load_orders_{n}.py", clones=_units(_loader_source(f"/orders/{n}", f"df{n}")))
           for n in (1, 2, 3)]
_SHORT = _units("x = fetch()\nx = x.dropna()\nx = x.head(3)\n")

CASES = [
    # three renamed copies: one finding for the cluster
    ("MAGE-BLK-014", {"block_files": _COPIES}, None, 1),
    # a copy no pipeline runs is not counted (MAGE-BLK-010 reports the unused file)
    ("MAGE-BLK-014", {"block_files": _COPIES[:1] + [{**_COPIES[1], "referenced": False}]}, None, 0),
    ("MAGE-BLK-014", {"block_files": _COPIES}, {"min_lines": 40}, 0),
    ("MAGE-BLK-014", {"block_files": [_bf("proj/data_loaders/a.py", clones=_SHORT),
                                      _bf("proj/transformers/b.py", clones=_SHORT)]}, None, 0),
]

CASES += [
    ("MAGE-BLK-015", {"block_files": [{"path": LOADER, "complexity_max": 23,
                                       "complex_functions": [["load", 12, 23], ["parse", 40, 16], ["clean", 80, 9]]}]},
     None, 1),
    ("MAGE-BLK-015", {"block_files": [{"path": LOADER, "complexity_max": 15,
                                       "complex_functions": [["load", 12, 15]]}]}, None, 0),
    ("MAGE-BLK-015", {"block_files": [{"path": LOADER, "complexity_max": 12,
                                       "complex_functions": [["load", 12, 12]]}]}, {"max_complexity": 10}, 1),
    # an unused file is MAGE-BLK-010's
    ("MAGE-BLK-015", {"block_files": [{"path": LOADER, "complexity_max": 40, "referenced": False}]}, None, 0),
]

# --- performance (rows, run by tests/test_rules_performance.py) ---
PERFORMANCE_CASES = [
    ("MAGE-PRF-009", {"pipelines": [{"pipeline": "p", "n_blocks": 6, "concurrency_config": {"block_run_limit": 6}}]},
     None, 1),
    ("MAGE-PRF-009", {"pipelines": [{"pipeline": "p", "n_blocks": 6, "concurrency_config": {"block_run_limit": 3}}]},
     None, 0),
    ("MAGE-PRF-009", {"pipelines": [{"pipeline": "p", "concurrency_config": {"pipeline_run_limit": 50}}]}, None, 1),
    ("MAGE-PRF-009", {"pipelines": [{"pipeline": "p", "concurrency_config": {"pipeline_run_limit": 50}}],
                      "projects": [{"queue_config": {"concurrency": 60}}]}, None, 0),
    ("MAGE-PRF-009", {"pipelines": [{"pipeline": "p", "concurrency_config": {"pipeline_run_limit": 1}}]}, None, 0),
]

# --- leftover pipelines ---
def _with_blocks(*pipelines, **frames):
    return {"pipelines": [{"pipeline": p} for p in pipelines],
            "blocks": [{"pipeline": p, "block": f"load_{n}"} for n, p in enumerate(pipelines)], **frames}


CASES += [
    ("MAGE-PIP-014", _with_blocks("git_test_4"), None, 1),
    ("MAGE-PIP-014", _with_blocks("orders", "orders_2"), None, 1),
    # a triggered pipeline is run, whatever its name; "latest" is not "test"
    ("MAGE-PIP-014", _with_blocks("git_test_4", triggers=[{"pipeline": "git_test_4"}]), None, 0),
    ("MAGE-PIP-014", _with_blocks("latest_orders", "orders_v2"), None, 0),
    ("MAGE-PIP-014", _with_blocks("orders_2"), None, 0),     # no original beside it
    # a test pipeline without blocks is MAGE-PIP-007's (empty pipeline)
    ("MAGE-PIP-014", {"pipelines": [{"pipeline": "test1", "n_blocks": 0}], "blocks": []}, None, 0),
]

# --- pipelines Mage cannot load ---
_DAMAGED = "proj/pipelines/orders_daily/metadata.yaml"
CASES += [
    ("MAGE-PIP-015", {"pipelines": [{"pipeline": "orders_daily", "readable": False, "n_blocks": 0}],
                      "input_problems": [{"path": _DAMAGED, "kind": "pipeline_structure",
                                          "reason": "top-level key 'locks' is not a Mage pipeline key"}]}, None, 1),
    ("MAGE-PIP-015", {"pipelines": [{"pipeline": "orders_daily", "readable": True, "n_blocks": 0}]}, None, 0),
    # not read at all (too large): the input problem says so, Mage may load it fine
    ("MAGE-PIP-015", {"pipelines": [{"pipeline": "orders_daily", "readable": False}],
                      "input_problems": [{"path": _DAMAGED, "kind": "too_large", "reason": "not read"}]}, None, 0),
    ("MAGE-PIP-007", {"pipelines": [{"pipeline": "orders_daily", "readable": False, "n_blocks": 0}]}, None, 0),
]

# --- broken references ---
def _gdp_block(uuid):
    return {"block": "orders_product", "block_type": "global_data_product", "path_source": "none",
            "configuration": {"global_data_product": {"uuid": uuid}}}


CASES += [
    ("MAGE-PIP-016", {"blocks": [_gdp_block("daily_orders")],
                      "projects": [{"global_data_products": ["orders_daily"]}]}, None, 1),
    ("MAGE-PIP-016", {"blocks": [_gdp_block("orders_daily")],
                      "projects": [{"global_data_products": ["orders_daily"]}]}, None, 0),
    ("MAGE-PIP-016", {"blocks": [_gdp_block("orders_daily")]}, None, 1),      # no global_data_products.yaml
    ("MAGE-PIP-016", {"input_problems": [{"path": "settings.yaml", "kind": "missing_project",
                                          "reason": "sub-project 'x' is listed but its folder x is missing"}]}, None, 1),
    ("MAGE-PIP-016", {"input_problems": [{"path": "settings.yaml", "kind": "outside_repo", "reason": "r"}]}, None, 0),
]


# --- CI that does not test (git cases, run by tests/test_rules_deployment.py) ---
def _git_with_ci(*entries):
    from rules_runtime_support import make_git
    git = make_git(ci_files=[e["path"] for e in entries])
    git.ci_tests = list(entries)
    return git


_CI = ".github/workflows/deploy.yml"
GIT_CASES = [
    ("MAGE-DEP-015", _git_with_ci({"path": _CI, "active": [], "disabled": [[14, "commented out"]]}), None, 1),
    ("MAGE-DEP-015", _git_with_ci({"path": _CI, "active": [], "disabled": []}), None, 1),
    ("MAGE-DEP-015", _git_with_ci({"path": _CI, "active": []}, {"path": ".github/workflows/ci.yml", "active": [9]}),
     None, 0),
    # CI files whose content was not read (an audit saved before this check): no verdict
    ("MAGE-DEP-015", _git_with_ci(), None, 0),
]

# --- stub blocks and wall-clock windows (a loader of the default triggered pipeline) ---
def _running(cues, triggered=True):
    return {"block_files": [{"path": LOADER, "cues": cues}],
            "blocks": [{"block": "load_orders", "path": LOADER}],
            "triggers": [{"pipeline": "sales_revenue_daily"}] if triggered else []}


_STUB = {"stub_functions": [[8, "load_data"]], "wall_clock_windows": [], "uses_execution_date": False}
_WALL = {"stub_functions": [], "wall_clock_windows": [[12, "datetime.utcnow()"]], "uses_execution_date": False}
CASES += [
    ("MAGE-BLK-016", _running(_STUB), None, 1),
    ("MAGE-BLK-016", _running(_STUB, triggered=False), None, 0),          # nothing runs it
    ("MAGE-BLK-016", _running(_WALL), None, 0),
]
RELIABILITY_CASES = [
    ("MAGE-REL-010", _running(_WALL), None, 1),
    ("MAGE-REL-010", _running({**_WALL, "uses_execution_date": True}), None, 0),
    ("MAGE-REL-010", _running(_WALL, triggered=False), None, 0),
    ("MAGE-REL-010", _running(_STUB), None, 0),
]

# --- hard-coded environment specifics ---
CASES += [
    ("MAGE-BLK-017", {"block_files": [{"path": LOADER, "cues": {"env_literals": [[12, "host:port endpoint"],
                                                                                  [30, "bucket name"]]}}]}, None, 1),
    ("MAGE-BLK-017", {"block_files": [{"path": LOADER, "cues": {"env_literals": []}}]}, None, 0),
]
