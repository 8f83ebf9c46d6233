"""Code facts as a tidy frame (``RepoInventory.code_facts``): one row per block file and fact
found, with the count, first line and details of the per-file facts dict the rules read."""
from __future__ import annotations

import ast

import pandas as pd

from auditkit.readers.code_facts import code_facts, empty_facts
from auditkit.readers.code_facts.table import COLUMNS, FACTS, facts_table
from tests.inventory_factory import make_inventory

LOADER = '''import requests

@data_loader
def load(*args, **kwargs):
    print("start")
    for page in range(3):
        response = requests.get("https://api.example.com/orders")
    print("done")
    return response.json()
'''


def _files(*texts: str) -> pd.DataFrame:
    inv = make_inventory(block_files=[{"path": f"hub/data_loaders/load_{i}.py"} for i in range(len(texts))])
    frame = inv.block_files.copy()
    frame["facts"] = [code_facts(t, ast.parse(t), "python") if t else None for t in texts]
    return frame


def test_every_fact_key_is_documented():
    assert list(FACTS) == list(empty_facts())


def test_one_row_per_file_and_fact_found_with_count_first_line_and_details():
    table = facts_table(_files(LOADER, ""))
    assert list(table.columns) == COLUMNS
    assert set(table["path"]) == {"hub/data_loaders/load_0.py"}          # a file without facts has no row
    by_fact = table.set_index("fact")
    assert by_fact.loc["http_calls", ["count", "first_line", "details"]].tolist() == [1, 7, "requests.get"]
    assert by_fact.loc["print_calls", ["count", "first_line", "details"]].tolist() == [2, 5, ""]
    assert by_fact.loc["loops", "count"] == 1 and pd.isna(by_fact.loc["loops", "first_line"])
    assert by_fact.loc["loads_data", "count"] == 1
    assert "swallowed_exceptions" not in by_fact.index and "exports_data" not in by_fact.index
    assert by_fact.loc["http_calls", "block"] == "load_0" and by_fact.loc["http_calls", "block_type"] == "data_loader"
    # the same facts the dict holds: every non-empty fact has a row and nothing else
    facts = code_facts(LOADER, ast.parse(LOADER), "python")
    assert set(table["fact"]) == {k for k, v in facts.items() if v}


def test_types_hold_on_an_empty_inventory():
    table = facts_table(make_inventory().block_files)
    assert table.empty and list(table.columns) == COLUMNS
    assert str(table["first_line"].dtype) == "Int64" and str(table["count"].dtype) == "int64"


def test_inventory_exposes_the_frame():
    from auditkit.readers.repo import RepoInventory

    inv = make_inventory(block_files=[{"path": "hub/data_loaders/load_0.py"}])
    frames = {name: getattr(inv, name) for name in ("projects", "io_config", "pipelines", "blocks", "edges",
                                                    "triggers", "input_problems")}
    real = RepoInventory(root="/x", block_files=_files(LOADER), **frames)
    assert len(real.code_facts) == len(facts_table(real.block_files)) > 0
