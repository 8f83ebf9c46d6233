"""A pipeline metadata.yaml Mage cannot load (damaged top-level key, blocks not a list) is
reported as broken structure (MAGE-PIP-015), never as an empty pipeline (MAGE-PIP-007)."""
from __future__ import annotations

import yaml

from auditkit.readers.pipeline_keys import structure_problems
from auditkit.readers.repo import read_repo
from rules_runtime_support import findings
from test_robustness_repo import GOOD_PIPELINE, add_pipeline, write_project


def test_damaged_key_is_named_and_a_new_mage_key_is_not():
    good = dict(GOOD_PIPELINE)
    assert structure_problems(good) == []
    assert structure_problems({**good, "pipeline_telemetry_config": {}}) == []   # unknown, like nothing known
    damaged = {("locks" if k == "blocks" else k): v for k, v in good.items()}
    assert structure_problems(damaged) == ["top-level key 'locks' is not a Mage pipeline key (a damaged 'blocks'?)"]
    moved = {("steps" if k == "blocks" else k): v for k, v in good.items()}
    assert "holds block entries" in structure_problems(moved)[0]
    assert structure_problems({**good, "blocks": {"a": 1}}) == ["'blocks' is a dict, not a list of blocks"]


def test_damaged_pipeline_is_unloadable_not_empty(tmp_path):
    proj = write_project(tmp_path)
    damaged = {("locks" if k == "blocks" else k): v for k, v in GOOD_PIPELINE.items()}
    add_pipeline(proj, "damaged", yaml.safe_dump(damaged))
    add_pipeline(proj, "emptied", yaml.safe_dump({**GOOD_PIPELINE, "blocks": []}))
    inventory = read_repo(tmp_path, cache=False)
    unloadable = findings("MAGE-PIP-015", inventory=inventory)
    assert [f.pipeline for f in unloadable] == ["damaged"] and "'locks'" in unloadable[0].message
    assert [f.pipeline for f in findings("MAGE-PIP-007", inventory=inventory)] == ["emptied"]


def test_unparsable_yaml_is_unloadable(tmp_path):
    proj = write_project(tmp_path)
    add_pipeline(proj, "broken", "blocks:\n  - uuid: [unclosed\n")
    inventory = read_repo(tmp_path, cache=False)
    assert [f.pipeline for f in findings("MAGE-PIP-015", inventory=inventory)] == ["broken"]
    assert findings("MAGE-PIP-007", inventory=inventory) == []
    assert findings("MAGE-PIP-015", inventory=read_repo(write_project(tmp_path / "ok"), cache=False)) == []


def test_missing_data_product_and_sub_project_point_at_repo_relative_files(tmp_path):
    repo = tmp_path / "repo"
    proj = write_project(repo / "platform", "mage")          # a project two folders down
    pipeline = {**GOOD_PIPELINE, "blocks": [
        {"uuid": "orders_product", "type": "global_data_product",
         "configuration": {"global_data_product": {"uuid": "daily_orders"}}},
        {"uuid": "sales_product", "type": "global_data_product",
         "configuration": {"global_data_product": {"uuid": "sales"}}}]}
    add_pipeline(proj, "uses_products", yaml.safe_dump(pipeline))
    (proj / "global_data_products.yaml").write_text("sales:\n  object_type: pipeline\n  object_uuid: good\n")
    (repo / "platform" / "settings.yaml").write_text("projects:\n  mage: {}\n  gone: {}\n")
    found = findings("MAGE-PIP-016", inventory=read_repo(repo, cache=False))
    assert sorted((f.path, f.block) for f in found) == [
        ("platform/mage/pipelines/uses_products/metadata.yaml", "orders_product"),
        ("platform/settings.yaml", None)]
    assert any("'daily_orders'" in f.message for f in found) and any("'gone'" in f.message for f in found)
