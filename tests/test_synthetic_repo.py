"""The synthetic Mage repo generator (benchmarks/make_synthetic_repo.py) writes Mage's real format.

The expectations come from the Mage reference (sections 1.3, 3 and 4), not from the generator:
folder = block type + "s" (``custom`` singular), file = ``<folder>/<uuid>.<ext>``, pipeline
YAML keys alphabetical with every key Mage writes, triggers with the required keys.
"""
from __future__ import annotations

import ast
import hashlib
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
GENERATOR = ROOT / "benchmarks" / "make_synthetic_repo.py"

# Reference section 3.2 / 3.3: keys Mage writes on save.
PIPELINE_KEYS = {"blocks", "cache_block_output_in_memory", "callbacks", "concurrency_config",
                 "conditionals", "created_at", "data_integration", "description", "executor_config",
                 "executor_count", "executor_type", "extensions", "name", "notification_config",
                 "remote_variables_dir", "retry_config", "run_pipeline_in_one_process", "settings",
                 "spark_config", "tags", "type", "uuid", "variables_dir", "widgets"}
BLOCK_KEYS = {"all_upstream_blocks_executed", "color", "configuration", "downstream_blocks",
              "executor_config", "executor_type", "has_callback", "language", "name", "retry_config",
              "status", "timeout", "type", "upstream_blocks", "uuid"}
FOLDER_OF = {"data_loader": "data_loaders", "transformer": "transformers", "data_exporter": "data_exporters",
             "custom": "custom", "sensor": "sensors", "conditional": "conditionals", "callback": "callbacks"}
DECORATOR_OF = {"data_loader": "data_loader", "transformer": "transformer", "data_exporter": "data_exporter",
                "custom": "custom", "sensor": "sensor", "conditional": "condition", "callback": "callback"}
TRIGGER_KEYS = {"description", "envs", "last_enabled_at", "name", "pipeline_uuid", "schedule_interval",
                "schedule_type", "settings", "sla", "start_time", "status", "token", "variables", "repo_path"}


def load_generator():
    spec = importlib.util.spec_from_file_location("make_synthetic_repo", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("make_synthetic_repo", module)
    spec.loader.exec_module(module)
    return module


gen = load_generator()
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load(path: Path):
    return yaml.load(path.read_text(), Loader=_Loader)


@pytest.fixture(scope="module")
def small_repo(tmp_path_factory):
    dest = tmp_path_factory.mktemp("synthetic") / "repo"
    made = gen.make_synthetic_repo(dest, pipelines=40, block_files=1000, seed=7)
    return dest, made


def tree_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def pipeline_docs(dest: Path) -> dict[str, dict]:
    return {p.parent.name: load(p) for p in sorted(dest.glob("*/pipelines/*/metadata.yaml"))}


def test_same_seed_same_bytes_other_seed_differs(tmp_path):
    gen.make_synthetic_repo(tmp_path / "a", pipelines=12, block_files=150, seed=3)
    gen.make_synthetic_repo(tmp_path / "b", pipelines=12, block_files=150, seed=3)
    gen.make_synthetic_repo(tmp_path / "c", pipelines=12, block_files=150, seed=4)
    assert tree_digest(tmp_path / "a") == tree_digest(tmp_path / "b")
    assert tree_digest(tmp_path / "a") != tree_digest(tmp_path / "c")


def test_counts_match_what_is_on_disk(small_repo):
    dest, made = small_repo
    docs = pipeline_docs(dest)
    assert made.pipelines == len(docs) == 40
    on_disk = [p for folder in FOLDER_OF.values() for p in dest.glob(f"*/{folder}/**/*")
               if p.is_file() and p.name != "__init__.py"]
    assert made.block_files == len(on_disk) == 1000
    assert set(made.files["path"]) == {p.relative_to(dest).as_posix() for p in on_disk}
    entries = sum(len(d["blocks"]) + len(d["callbacks"]) + len(d["conditionals"]) for d in docs.values())
    assert made.block_entries == entries
    n_triggers = sum(len(load(p)["triggers"]) for p in dest.glob("*/pipelines/*/triggers.yaml"))
    assert made.triggers == n_triggers > 0


def test_pipeline_yaml_has_every_mage_key_in_alphabetical_order(small_repo):
    dest, _ = small_repo
    for path in dest.glob("*/pipelines/*/metadata.yaml"):
        text = path.read_text()
        doc = yaml.load(text, Loader=_Loader)
        assert set(doc) == PIPELINE_KEYS, path
        top_keys = [line.split(":")[0] for line in text.splitlines() if line and line[0].isalpha()]
        assert top_keys == sorted(top_keys), path
        assert doc["uuid"] == path.parent.name
        for section in ("blocks", "callbacks", "conditionals"):
            for entry in doc[section]:
                assert set(entry) == BLOCK_KEYS, (path, entry["uuid"])


def test_block_entries_resolve_to_real_files_except_the_stale_ones(small_repo):
    dest, made = small_repo
    missing = 0
    for path in dest.glob("*/pipelines/*/metadata.yaml"):
        project = path.parents[2]
        doc = load(path)
        for section in ("blocks", "callbacks", "conditionals"):
            for entry in doc[section]:
                ext = "sql" if entry["language"] == "sql" else "py"
                target = project / FOLDER_OF[entry["type"]] / f"{entry['uuid']}.{ext}"
                missing += not target.is_file()
                if section != "blocks":
                    assert entry["type"] == section[:-1]
    assert missing == made.missing_block_files
    # Stale references exist but stay rare (reference section 11: dozens in a real project).
    assert 0 <= missing < 0.02 * made.block_entries


def test_orphans_shared_blocks_and_nested_folders_are_present(small_repo):
    _, made = small_repo
    files = made.files
    orphans = (files["n_pipelines"] == 0).mean()
    assert 0.02 <= orphans <= 0.08
    assert (files["n_pipelines"] >= 2).sum() >= 20
    assert files["uuid"].str.contains("/").mean() > 0.2          # nested uuids like api/load_x
    assert files["uuid"].str.count("/").max() >= 2
    assert 0.05 <= (files["language"] == "sql").mean() <= 0.2


def test_python_blocks_parse_and_carry_the_decorator_guard(small_repo):
    dest, made = small_repo
    python_files = made.files[made.files["language"] == "python"]
    for row in python_files.sample(n=min(250, len(python_files)), random_state=0).itertuples():
        text = (dest / row.path).read_text()
        tree = ast.parse(text)                    # must be valid Python
        deco = DECORATOR_OF[row.block_type]
        assert text.startswith(f"if '{deco}' not in globals():\n"
                               f"    from mage_ai.data_preparation.decorators import {deco}\n")
        decorated = {d.id for node in tree.body if isinstance(node, ast.FunctionDef)
                     for d in node.decorator_list if isinstance(d, ast.Name)}
        assert deco in decorated
        assert len(text.splitlines()) == row.lines_total


def test_block_sizes_are_skewed_like_real_projects(small_repo):
    _, made = small_repo
    lines = made.files["lines_total"]
    assert 50 <= lines.median() <= 120
    assert ((lines >= 20) & (lines <= 200)).mean() >= 0.75
    assert lines.max() <= 800
    assert (lines > 300).sum() >= 5                # a tail of large blocks exists


def test_dag_is_consistent_and_acyclic(small_repo):
    dest, _ = small_repo
    for uuid, doc in pipeline_docs(dest).items():
        blocks = {b["uuid"]: b for b in doc["blocks"]}
        for b in doc["blocks"]:
            for up in b["upstream_blocks"]:
                assert b["uuid"] in blocks[up]["downstream_blocks"], uuid
            for down in b["downstream_blocks"]:
                assert b["uuid"] in blocks[down]["upstream_blocks"], uuid
        # Kahn's algorithm consumes every block only when there is no cycle.
        indegree = {u: len(b["upstream_blocks"]) for u, b in blocks.items()}
        ready = [u for u, d in indegree.items() if d == 0]
        seen = 0
        while ready:
            u = ready.pop()
            seen += 1
            for down in blocks[u]["downstream_blocks"]:
                indegree[down] -= 1
                if indegree[down] == 0:
                    ready.append(down)
        assert seen == len(blocks), uuid


def test_triggers_have_the_keys_mage_requires(small_repo):
    dest, _ = small_repo
    for path in dest.glob("*/pipelines/*/triggers.yaml"):
        for trigger in load(path)["triggers"]:
            # Reference 4: unknown keys fail parsing; start_time and schedule_interval are required.
            assert set(trigger) <= TRIGGER_KEYS
            assert {"name", "schedule_type", "schedule_interval", "start_time"} <= set(trigger)
            assert set(trigger["envs"]) <= {"dev", "staging", "prod", "test", "test_mage"}


def test_several_projects_split_the_work(tmp_path):
    made = gen.make_synthetic_repo(tmp_path / "r", pipelines=9, block_files=90, seed=2, projects=3)
    assert made.projects == ["project_0", "project_1", "project_2"]
    assert made.files.groupby("project").size().to_dict() == {"project_0": 30, "project_1": 30, "project_2": 30}
    for name in made.projects:
        assert len(list((tmp_path / "r" / name / "pipelines").glob("*/metadata.yaml"))) == 3


def test_cli_writes_and_refuses_a_non_empty_folder(tmp_path):
    dest = tmp_path / "cli_repo"
    cmd = [sys.executable, str(GENERATOR), str(dest), "--pipelines", "3", "--block-files", "20"]
    first = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    assert '"block_files": 20' in first.stdout
    before = tree_digest(dest)
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert again.returncode == 2 and "not empty" in again.stderr
    assert tree_digest(dest) == before


def test_the_repo_reader_agrees_with_the_generator(small_repo):
    from auditkit.readers.repo import read_repo

    dest, made = small_repo
    inv = read_repo(dest)
    summary = inv.summary()
    assert summary["pipelines"] == made.pipelines
    assert summary["block_files"] == made.block_files
    assert summary["block_entries"] == made.block_entries
    assert summary["orphan_block_files"] == made.orphan_block_files
    assert summary["missing_block_files"] == made.missing_block_files
    assert summary["triggers"] == made.triggers
    assert len(inv.input_problems) == 0, inv.input_problems.head().to_dict("records")
    lines = inv.block_files.set_index("path")["lines_total"]
    expected = made.files.set_index("path")["lines_total"]
    assert (lines.reindex(expected.index) == expected).all()
