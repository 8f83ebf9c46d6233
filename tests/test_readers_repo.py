"""read_repo on the hand-written fixture repos: every frame, value checked against the files."""
from __future__ import annotations

import os
import shutil

import pandas as pd
import pytest

from auditkit.readers.repo import FRAME_COLUMNS, read_repo

SECRETS = ["sk-FAKE0000000000000000000000000000fixture", "FakeSmtpPassw0rd-fixture", "Sup3rSecretFixturePw",
           "0f1e2d3c4b5a69788796a5b4c3d2e1f0"]
P = "mage_project/"


@pytest.fixture(scope="module")
def rich(fixtures_dir):
    return read_repo(fixtures_dir / "repos" / "rich_repo", workers=1)


def _block(inv, pipeline, block):
    rows = inv.blocks[(inv.blocks.pipeline == pipeline) & (inv.blocks.block == block)]
    assert len(rows) == 1
    return rows.iloc[0]


def test_all_frames_have_their_columns(rich):
    for name, columns in FRAME_COLUMNS.items():
        assert list(getattr(rich, name).columns) == columns


def test_summary_counts(rich):
    summary = rich.summary()
    assert summary == {
        "projects": 1, "pipelines": 8,
        # broken_yaml cannot be read, so its type is unknown; null_language is streaming
        "pipelines_by_type": {"python": 6, "streaming": 1, "unknown": 1},
        # etl_daily 9 (6 blocks, 1 callback, 1 conditional, 1 widget), dbt_models 10 (9 + 1 extension),
        # null_language 3, outside_path 1
        "block_entries": 23,
        # 21 files in block folders (+ __init__.py excluded) and 4 dbt models used from dbt/
        "block_files": 25,
        # deleted_model (stale file_source.path) and escape (points outside the repo)
        "missing_block_files": 2,
        # legacy_loader, scratch, latin1_notes, old_unused, syntax_broken
        "orphan_block_files": 5,
        "triggers": 5, "input_problems": 5,
    }


def test_pipeline_rows(rich):
    pipes = rich.pipelines.set_index("pipeline")
    etl = pipes.loc["etl_daily"]
    assert (etl["name"], etl["pipeline_type"], etl["tags"], etl["description"]) == ("ETL daily", "python", ["daily", "orders"],
                                                                         "Daily orders ETL")
    assert etl["retry_config"] == {"delay": 10, "retries": 3}
    assert etl["run_pipeline_in_one_process"] is False and etl["has_triggers_yaml"]
    assert (etl["n_blocks"], etl["n_entries"]) == (6, 9)
    # stages: load_* -> clean_orders -> fan_out -> per_item -> export_orders; two loaders in parallel
    assert (etl["depth"], etl["max_width"], etl["n_edges"], etl["n_roots"], etl["n_leaves"]) == (5, 2, 5, 2, 1)
    odd = pipes.loc["odd_pipeline"]
    assert (odd["uuid_in_yaml"], odd["name"], odd["n_entries"]) == ("odd_pipeline_v2", "ETL daily", 0)
    assert (pipes["name"] == "ETL daily").sum() == 2
    cyc = pipes.loc["null_language"]
    assert cyc["has_cycle"] and sorted(cyc["cycle"]) == ["cyc_a", "cyc_b"] and cyc["n_dangling"] == 1
    assert cyc["pipeline_type"] == "streaming"
    assert not pipes.loc["broken_yaml", "readable"] and pipes.loc["python_tag", "python_tags"]
    assert pipes.loc["python_tag", "readable"]


def test_block_path_resolution(rich):
    expected = {
        ("etl_daily", "api/load_stripe"): (P + "data_loaders/api/load_stripe.py", "default", True),
        ("etl_daily", "export_orders"): (P + "data_exporters/export_orders.sql", "default", True),
        ("etl_daily", "notify_slack"): (P + "callbacks/notify_slack.py", "default", True),
        ("etl_daily", "is_weekday"): (P + "conditionals/is_weekday.py", "default", True),
        ("etl_daily", "orders_chart"): (P + "charts/orders_chart.py", "default", True),
        ("dbt_models", "dbt/shop/models/orders"): (P + "dbt/shop/models/orders.sql", "file_source.path", True),
        ("dbt_models", "dbt/shop/models/customers"): (P + "dbt/shop/models/customers.sql", "dbt", True),
        ("dbt_models", "legacy"): (P + "dbt/shop/models/legacy.sql", "file_path", True),
        ("dbt_models", "prefixed"): (P + "dbt/shop/models/prefixed.sql", "file_source.path", True),
        ("dbt_models", "deleted_model"): (P + "dbt/shop/models/deleted_model.sql", "file_source.path", False),
        ("dbt_models", "dbt_build"): (P + "dbts/dbt_build.yaml", "default", True),
        ("dbt_models", "orders_product"): (None, "none", False),
        ("dbt_models", "load_customers_copy"): (None, "none", False),
        ("dbt_models", "helpers"): (P + "custom/shared/helpers_block.py", "file_path", True),
        ("dbt_models", "orders_expectations"): (P + "extensions/orders_expectations.py", "default", True),
        ("null_language", "null_lang"): (P + "data_loaders/null_lang.py", "default", True),
        ("outside_path", "escape"): (None, "file_path", False),
    }
    for (pipeline, block), (path, source, exists) in expected.items():
        row = _block(rich, pipeline, block)
        assert (row["path"] if isinstance(row["path"], str) else None, row["path_source"], row["file_exists"]) == \
            (path, source, exists), (pipeline, block)


def test_block_entry_fields(rich):
    fan_out = _block(rich, "etl_daily", "fan_out")
    assert fan_out["is_dynamic"] and not fan_out["reduce_output"]
    assert _block(rich, "etl_daily", "per_item")["reduce_output"]
    ext = _block(rich, "dbt_models", "orders_expectations")
    assert (ext["section"], ext["extension"], ext["upstream"]) == ("extensions", "great_expectations",
                                                                  ["dbt/shop/models/orders"])
    assert _block(rich, "dbt_models", "load_customers_copy")["replicated_block"] == "load_customers"
    assert pd.isna(_block(rich, "null_language", "null_lang")["language"])  # language: null kept as missing
    assert _block(rich, "null_language", "cyc_a")["has_callback"]
    clean = _block(rich, "etl_daily", "clean_orders")
    assert clean["upstream"] == ["api/load_stripe", "load_customers"] and clean["downstream"] == ["fan_out", "orders_chart"]


def test_edges(rich):
    etl = rich.edges[rich.edges.pipeline == "etl_daily"]
    # 5 block edges + chart + conditional + callback, each listed once although written on both ends
    assert len(etl) == 8 and not etl["dangling"].any()
    ghost = rich.edges[rich.edges.dangling]
    assert ghost[["pipeline", "upstream", "downstream"]].values.tolist() == [["null_language", "ghost_block", "cyc_a"]]


def test_block_files(rich):
    files = rich.block_files.set_index("path")
    stripe = files.loc[P + "data_loaders/api/load_stripe.py"]
    assert (stripe["block"], stripe["block_type"], stripe["subfolder_depth"], stripe["n_tests"]) == \
        ("api/load_stripe", "data_loader", 1, 1)
    assert stripe["has_docstring"] and stripe["decorators"] == ["data_loader", "test"]
    long_file = files.loc[P + "transformers/clean_orders.py"]
    # 40 generated steps + the block function + 2 tests; 302 lines in the file
    assert (long_file["n_functions"], long_file["n_tests"], long_file["lines_total"]) == (43, 2, 302)
    one_line = files.loc[P + "transformers/old_unused.py"]
    assert (one_line["lines_total"], one_line["lines_code"], one_line["referenced"]) == (1, 1, False)
    assert files.loc[P + "callbacks/cyc_a_callback.py", "referenced"]  # legacy has_callback: true
    assert files.loc[P + "dbt/shop/models/orders.sql", "block_type"] == "dbt"
    assert files.loc[P + "data_exporters/export_orders.sql", "lines_code"] == 3
    assert set(files.index[~files["referenced"]]) == {
        P + "data_loaders/legacy_loader.py", P + "scratchpads/scratch.py", P + "transformers/latin1_notes.py",
        P + "transformers/old_unused.py", P + "transformers/syntax_broken.py"}
    assert not any(p.endswith("__init__.py") for p in files.index)
    assert (files["n_pipelines"] == files["referenced"].astype(int)).all()


def test_triggers(rich):
    trig = rich.triggers.set_index("name")
    assert list(trig.index) == ["daily_orders", "orders_api", "tagged", "prod_only", "no_start"]
    assert trig.loc["daily_orders", "valid"] and trig.loc["daily_orders", "envs"] == ["prod"]
    assert trig.loc["daily_orders", "settings"] == {"skip_if_previous_running": True}
    assert trig.loc["daily_orders", "start_time"] == "2024-05-01T00:00:00" and trig.loc["daily_orders", "sla"] == 3600
    assert trig.loc["orders_api", "has_token"] and trig.loc["orders_api", "line"] == 12
    assert trig.loc["tagged", "problem"] == "unknown key(s): tags"
    assert not trig.loc["prod_only", "valid"] and "production" in trig.loc["prod_only", "problem"]
    assert trig.loc["no_start", "problem"] == "missing required key(s): start_time"


def test_io_config_kinds_and_no_values(rich):
    io = rich.io_config.set_index(["profile", "key"])
    kinds = io["value_kind"].to_dict()
    assert kinds[("default", "AWS_ACCESS_KEY_ID")] == "env_var"
    assert kinds[("default", "POSTGRES_PASSWORD")] == "placeholder"
    assert kinds[("default", "trino.password")] == "placeholder"
    assert kinds[("default", "GOOGLE_SERVICE_ACC_KEY.private_key")] == "placeholder"
    assert kinds[("default", "CLICKHOUSE_PASSWORD")] == "empty"
    assert kinds[("default", "POSTGRES_PORT")] == "number"
    assert kinds[("prod", "POSTGRES_PASSWORD")] == "literal"
    assert kinds[("prod", "POSTGRES_HOST")] == "env_var"  # unquoted Jinja still parses
    assert kinds[("prod", "POSTGRES_USER")] == "mage_secret_var"
    assert kinds[("prod", "SNOWFLAKE_PASSWORD")] == "aws_secret_var"
    assert kinds[("prod", "AZURE_CLIENT_SECRET")] == "azure_secret_var"
    assert kinds[("prod", "MOTHERDUCK_TOKEN")] == "jinja_other"
    assert kinds[("prod", "MYSQL_ALLOW_LOCAL_INFILE")] == "bool"
    assert kinds[("prod", "MYSQL_PASSWORD")] == "empty"
    assert io.loc[("prod", "POSTGRES_PASSWORD"), "line"] == 24
    assert io["fingerprint"].notna().sum() == 2  # the two prod literals only


def test_project_row_and_redaction(rich):
    project = rich.projects.iloc[0]
    assert (project["project"], project["path"], project["project_type"]) == ("mage_project", "mage_project",
                                                                             "standalone")
    assert project["retry_config"]["retries"] == 2 and project["queue_config"] == {"concurrency": 4,
                                                                                    "queue_type": "process"}
    assert project["notification_config"]["slack_config"]["webhook_url"] == "{{ env_var('MAGE_SLACK_WEBHOOK_URL') }}"
    assert project["metadata"]["openai_api_key"].startswith("<redacted literal ")
    assert project["n_pipelines"] == 8 and project["variables_dir"] == "~/.mage_data"
    assert "{% if env_var('ENV') == 'prod' %}" in project["metadata_text"]


def test_no_secret_value_anywhere(rich):
    dumped = "".join(getattr(rich, name).to_json(default_handler=str) for name in FRAME_COLUMNS)
    for secret in SECRETS:
        assert secret not in dumped


def test_input_problems(rich):
    problems = {(p.path, p.kind) for p in rich.input_problems.itertuples()}
    assert problems == {
        (P + "pipelines/bad_triggers/triggers.yaml", "yaml"),
        (P + "pipelines/broken_yaml/metadata.yaml", "yaml"),
        (P + "pipelines/outside_path/metadata.yaml", "outside_repo"),
        (P + "transformers/latin1_notes.py", "encoding"),
        (P + "transformers/syntax_broken.py", "syntax"),
    }


def test_hostile_additions_at_test_time(fixtures_dir, tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(fixtures_dir / "repos" / "rich_repo", repo)
    outside = tmp_path / "outside.py"
    outside.write_text("SECRET = 1\n")
    os.symlink(outside, repo / P / "data_loaders" / "linked.py")
    os.symlink(repo / P, repo / P / "custom" / "loop")
    cache = repo / P / "transformers" / "__pycache__"
    cache.mkdir()
    (cache / "clean_orders.cpython-311.pyc").write_bytes(b"\x00\x01")
    (repo / P / "data_loaders" / "blob.py").write_bytes(b"\x00binary")
    inv = read_repo(repo, workers=1)
    paths = set(inv.block_files["path"])
    assert P + "data_loaders/linked.py" not in paths and not any("__pycache__" in p or "/loop/" in p for p in paths)
    assert inv.block_files.set_index("path").loc[P + "data_loaders/blob.py", "skipped"] == "binary (NUL byte)"
    kinds = set(map(tuple, inv.input_problems[["path", "kind"]].values.tolist()))
    assert (P + "data_loaders/linked.py", "outside_repo") in kinds and (P + "data_loaders/blob.py", "binary") in kinds


def test_multi_project_and_exclude(fixtures_dir):
    inv = read_repo(fixtures_dir / "repos" / "multi_project_repo")
    assert inv.projects[["project", "path", "platform_parent", "n_pipelines"]].values.tolist() == [
        ["multi_project_repo", ".", True, 0], ["alpha", "alpha", False, 1], ["beta", "apps/beta", False, 0]]
    assert inv.blocks[["project", "block", "path"]].values.tolist() == [
        ["alpha", "load_alpha", "alpha/data_loaders/load_alpha.py"]]
    assert inv.input_problems["kind"].tolist() == ["missing_project"]
    assert read_repo(fixtures_dir / "repos" / "multi_project_repo", exclude=["alpha/**"]).pipelines.empty


def test_parallel_measurement_matches_serial(fixtures_dir, monkeypatch):
    import auditkit.readers.repo as repo_module
    monkeypatch.setattr(repo_module, "PARALLEL_MIN_FILES", 1)
    parallel = read_repo(fixtures_dir / "repos" / "rich_repo", workers=2).block_files
    serial = read_repo(fixtures_dir / "repos" / "rich_repo", workers=1).block_files
    pd.testing.assert_frame_equal(parallel, serial)


@pytest.mark.parametrize("repo", ["rich_repo", "multi_project_repo", "hostile"])
def test_workers_give_every_frame_exactly_as_in_process(fixtures_dir, monkeypatch, tmp_path, repo):
    """Pipelines and block files read on worker processes (in small batches, so several
    workers share each project) give the same rows, in the same order, problems included."""
    import auditkit.readers.repo as repo_module
    from auditkit.readers.repo import FRAME_COLUMNS

    if repo == "hostile":
        root = tmp_path / "hostile"
        (root / "pipelines").mkdir(parents=True)
        (root / "metadata.yaml").write_text("project_type: standalone\n")
        (root / "data_loaders").mkdir()
        for i in range(30):
            folder = root / "pipelines" / f"p{i:02d}"
            folder.mkdir()
            body = ("blocks: [\n" if i % 7 == 0 else
                    f"blocks:\n- uuid: b{i}\n  type: data_loader\n  upstream_blocks: [missing_{i}]\nname: p{i}\n")
            (folder / "metadata.yaml").write_text(body)
            if i % 5 == 0:
                (folder / "triggers.yaml").write_text("triggers:\n- name: t\n  schedule_type: time\n  schedule_interval: '@daily'\n"
                                                       if i % 10 else "triggers: [oops\n")
            (root / "data_loaders" / f"b{i}.py").write_text("def f(:\n" if i % 9 == 0 else f"x = {i}\n")
    else:
        root = fixtures_dir / "repos" / repo
    monkeypatch.setattr(repo_module, "PARALLEL_MIN_FILES", 1)
    monkeypatch.setattr(repo_module, "_CHUNK", 2)
    calls: list[int] = []
    original = repo_module.WorkerPool.chunk_size
    monkeypatch.setattr(repo_module.WorkerPool, "chunk_size",
                        lambda self, n, largest: (calls.append(self.pool is not None), min(2, original(self, n, largest)))[1])
    parallel = read_repo(root, workers=2, cache=False)
    assert any(calls), "the worker pool did not start"
    serial = read_repo(root, workers=1, cache=False)
    for name in FRAME_COLUMNS:
        pd.testing.assert_frame_equal(getattr(parallel, name), getattr(serial, name), obj=name)
    if repo == "hostile":
        assert {"yaml", "syntax"} <= set(serial.input_problems["kind"])


def _exit_in_worker(parent_pid: int) -> str:
    import os
    if os.getpid() != parent_pid:
        os._exit(3)          # a worker dies mid-task (out of memory, killed)
    return "done here"


def test_a_task_whose_worker_dies_runs_in_process():
    import os

    from auditkit.readers.workers import WorkerPool

    pool = WorkerPool(2, 10_000, 1)
    try:
        assert pool.pool is not None
        pending = [pool.submit(_exit_in_worker, os.getpid()) for _ in range(3)]
        assert [task.result() for task in pending] == ["done here"] * 3
    finally:
        pool.close()


@pytest.mark.parametrize("rel", ["a.py", "a/b.c.py", "x/.hidden", "foo.", "a/b", "a.b/c", ".x.py", "a/..py",
                                 "deep/er/name.sql", "n.tar.gz", "dir.d/file"])
def test_block_uuid_drops_the_suffix_as_pathlib_does(rel):
    from pathlib import PurePosixPath

    from auditkit.readers.repo import _without_suffix

    assert _without_suffix(rel) == str(PurePosixPath(rel).with_suffix(""))


def test_tasks_cancelled_by_a_closed_pool_run_in_process():
    from auditkit.readers.workers import WorkerPool

    pool = WorkerPool(2, 10_000, 1)
    assert pool.pool is not None
    pending = [pool.submit(sum, [i, 1]) for i in range(50)]
    pool.close()                 # e.g. a later submit found the pool broken and closed it
    assert [task.result() for task in pending] == [i + 1 for i in range(50)]


@pytest.mark.parametrize("workers", [1, 2])
def test_progress_counts_every_pipeline_and_block_file(fixtures_dir, monkeypatch, workers):
    """``progress(stage, done, total)`` climbs to the number of pipelines and of block files read."""
    import auditkit.readers.repo as repo_module

    monkeypatch.setattr(repo_module, "PARALLEL_MIN_FILES", 1)
    monkeypatch.setattr(repo_module, "_CHUNK", 2)
    calls: list[tuple[str, int, int]] = []
    inventory = read_repo(fixtures_dir / "repos" / "rich_repo", workers=workers, cache=False,
                          progress=lambda stage, done, total: calls.append((stage, done, total)))
    for stage, expected in (("pipelines", len(inventory.pipelines)), ("block files", len(inventory.block_files))):
        seen = [(done, total) for name, done, total in calls if name == stage]
        assert seen, f"no progress for {stage}"
        assert {total for _, total in seen} == {expected}
        dones = [done for done, _ in seen]
        assert dones == sorted(dones) and dones[0] == 0 if stage == "pipelines" else dones == sorted(dones)
        assert dones[-1] == expected
    assert len([c for c in calls if c[0] == "block files"]) >= 2   # batches report as they arrive


def test_a_failing_progress_callback_does_not_stop_the_reading(fixtures_dir):
    def broken(stage, done, total):
        raise BrokenPipeError("terminal closed")

    inventory = read_repo(fixtures_dir / "repos" / "rich_repo", cache=False, progress=broken)
    assert len(inventory.block_files) > 0 and len(inventory.pipelines) > 0
