"""The embedded demo repo: realistic Mage layout plus the deliberate good and bad practice
listed in auditkit/demo/README.md, and a deterministic git history."""
from __future__ import annotations

import ast
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from auditkit.demo.build import DEMO_BRANCHES, DEMO_PIPELINES, DEMO_PROJECT_DIR, demo_files, materialize_demo

ROOT = DEMO_PROJECT_DIR
HUB = ROOT / "analytics_hub"
FOLDER_OF_TYPE = {
    "data_loader": "data_loaders", "transformer": "transformers", "data_exporter": "data_exporters",
    "custom": "custom", "sensor": "sensors", "conditional": "conditionals", "callback": "callbacks",
    "chart": "charts", "markdown": "markdowns",
}
EXTENSION = {"python": "py", "sql": "sql", "r": "r", "yaml": "yaml", "markdown": "md"}
SECTIONS = ("blocks", "callbacks", "conditionals", "widgets")
# Reference 3.2 / 3.3: what Mage writes for every pipeline and every block entry.
PIPELINE_KEYS = {
    "blocks", "cache_block_output_in_memory", "callbacks", "concurrency_config", "conditionals", "created_at",
    "data_integration", "description", "executor_config", "executor_count", "executor_type", "extensions",
    "name", "notification_config", "remote_variables_dir", "retry_config", "run_pipeline_in_one_process",
    "settings", "spark_config", "tags", "type", "uuid", "variables_dir", "widgets",
}
BLOCK_KEYS = {
    "all_upstream_blocks_executed", "color", "configuration", "downstream_blocks", "executor_config",
    "executor_type", "has_callback", "language", "name", "retry_config", "status", "timeout", "type",
    "upstream_blocks", "uuid",
}
# Reference 4.1: keys a trigger may have (anything else makes Mage skip it).
TRIGGER_KEYS = {"name", "schedule_type", "schedule_interval", "start_time", "status", "variables", "sla",
                "settings", "envs", "last_enabled_at", "description", "token", "pipeline_uuid", "repo_path"}
TRIGGER_SETTINGS = {"skip_if_previous_running", "allow_blocks_to_fail", "create_initial_pipeline_run",
                    "landing_time_enabled", "pipeline_run_limit", "timeout", "timeout_status"}
VALID_ENVS = {"dev", "staging", "prod", "test", "test_mage"}
STALE_ENTRY = ("load_and_transform_customers", "clean_customers_v2")


def load(path: Path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def pipelines() -> dict[str, dict]:
    return {p.parent.name: load(p) for p in sorted((HUB / "pipelines").glob("*/metadata.yaml"))}


def entries():
    """(pipeline, section, block entry) for every block entry of every pipeline."""
    for name, meta in pipelines().items():
        for section in SECTIONS:
            for block in meta.get(section) or []:
                yield name, section, block


def entry_path(block: dict) -> str:
    conf = block.get("configuration") or {}
    explicit = (conf.get("file_source") or {}).get("path") or conf.get("file_path")
    if explicit:
        return explicit
    return f"{FOLDER_OF_TYPE[block['type']]}/{block['uuid']}.{EXTENSION[block['language']]}"


def block_files() -> list[Path]:
    files = [p for folder in FOLDER_OF_TYPE.values() for p in (HUB / folder).rglob("*")
             if p.is_file() and p.name != "__init__.py"]
    return files + sorted((HUB / "dbt" / "analytics" / "models").rglob("*.sql"))


def n_lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


# --- parsing and Mage format -------------------------------------------------------------

def test_every_yaml_file_parses_safely():
    yaml_files = [p for p in ROOT.rglob("*") if p.suffix in (".yaml", ".yml")]
    assert len(yaml_files) >= 20
    for path in yaml_files:
        assert load(path) is not None, path


def test_pipeline_folders_match_the_published_list():
    metas = pipelines()
    assert sorted(metas) == sorted(DEMO_PIPELINES)
    assert len(metas) >= 7
    for folder, meta in metas.items():
        assert meta["uuid"] == folder
    assert {m["type"] for m in metas.values()} >= {"python", "streaming", "integration"}


def test_pipeline_yaml_looks_written_by_mage():
    for folder, meta in pipelines().items():
        assert set(meta) == PIPELINE_KEYS, folder
        assert list(meta) == sorted(meta), f"{folder}: keys not in Mage's alphabetical order"
        assert meta["data_integration"] is None
        for section in SECTIONS:
            for block in meta[section]:
                assert set(block) == BLOCK_KEYS, (folder, block["uuid"])
                assert list(block) == sorted(block)


def test_downstream_lists_mirror_upstream_lists():
    for folder, meta in pipelines().items():
        by_uuid = {b["uuid"]: b for s in SECTIONS for b in meta[s]}
        for block in by_uuid.values():
            for up in block["upstream_blocks"]:
                assert block["uuid"] in by_uuid[up]["downstream_blocks"], (folder, up, block["uuid"])


def test_sizes_of_the_demo():
    all_entries = list(entries())
    assert len(all_entries) >= 55
    files = block_files()
    assert len(files) >= 45
    sizes = sorted(n_lines(p) for p in files)
    assert sizes[0] <= 12 and sizes[-1] >= 700
    assert sum(250 <= s <= 550 for s in sizes) >= 2
    model = pipelines()["sales_daily_revenue_report"]
    assert 12 <= len(model["blocks"]) <= 16


def test_python_block_files_are_valid_mage_blocks():
    guarded = 0
    for path in block_files():
        if path.suffix != ".py":
            continue
        text = path.read_text(encoding="utf-8")
        ast.parse(text, filename=str(path))
        guarded += "not in globals():" in text
    assert guarded >= 35


# --- features the report sections need -------------------------------------------------

def test_model_pipeline_uses_every_reliability_feature():
    meta = pipelines()["sales_daily_revenue_report"]
    assert meta["tags"] == ["sales", "etl", "production", "critical"]
    assert meta["concurrency_config"]["block_run_limit"] > 0
    blocks = {b["uuid"]: b for b in meta["blocks"]}
    assert {"api/load_stripe_charges", "database/load_postgres_orders"} <= set(blocks)
    assert sum(b["retry_config"] is not None for b in blocks.values()) >= 4
    dynamic = [b for b in blocks.values() if b["configuration"].get("dynamic")]
    assert len(dynamic) == 1
    children = [blocks[u] for u in dynamic[0]["downstream_blocks"]]
    assert any(c["configuration"].get("reduce_output") for c in children)
    gated = meta["conditionals"][0]["upstream_blocks"]
    assert meta["conditionals"] and set(gated) <= set(blocks)
    assert meta["callbacks"] and set(meta["callbacks"][0]["upstream_blocks"]) <= set(blocks)
    assert [w["type"] for w in meta["widgets"]] == ["chart"]
    assert any(b["type"] == "markdown" for b in blocks.values())


def test_languages_and_special_blocks():
    all_entries = list(entries())
    languages = {b["language"] for _, _, b in all_entries}
    assert languages >= {"python", "sql", "r", "yaml", "markdown"}
    sql_with_provider = [b for _, _, b in all_entries
                         if b["language"] == "sql" and b["configuration"].get("data_provider")]
    assert len(sql_with_provider) >= 3
    dbt = [b for _, _, b in all_entries if b["type"] == "dbt"]
    assert len(dbt) == 1
    dbt_file = HUB / dbt[0]["configuration"]["file_source"]["path"]
    assert dbt_file.is_file() and "ref('stg_gl_entries')" in dbt_file.read_text()
    assert (HUB / "dbt" / "analytics" / "dbt_project.yml").is_file()


def test_subfolders_include_one_too_deep():
    depths = [len(p.relative_to(HUB).parts) - 2 for p in block_files() if "dbt" not in p.parts]
    assert max(depths) == 3, "one block nested 3 folders deep (guide: 1-2 levels)"
    assert sum(d >= 1 for d in depths) >= 8


def test_every_entry_file_exists_except_the_stale_one():
    missing = {(p, b["uuid"]) for p, _, b in entries() if not (HUB / entry_path(b)).is_file()}
    assert missing == {STALE_ENTRY}


def test_orphan_block_files_exist():
    referenced = {entry_path(b) for _, _, b in entries()}
    orphans = [p for p in block_files() if p.relative_to(HUB).as_posix() not in referenced]
    assert len(orphans) >= 3


def test_pipeline_naming_breaks_exactly_twice():
    frequency = re.compile(r"^[a-z]+(_[a-z]+)*_?(daily|hourly|weekly|monthly|realtime)(_[a-z]+)*$")
    bad = {uuid for uuid, meta in pipelines().items()
           if not (frequency.match(uuid) and meta["name"] == uuid)}
    assert bad == {"load_and_transform_customers", "test_pipeline_2"}
    assert pipelines()["load_and_transform_customers"]["name"] == "LoadAndTransformCustomers"


def test_execution_settings_vary_between_pipelines():
    metas = pipelines()
    assert metas["finance_monthly_reconciliation"]["executor_type"] == "k8s"
    assert metas["finance_monthly_reconciliation"]["run_pipeline_in_one_process"] is False
    assert metas["ops_file_ingest_daily"]["run_pipeline_in_one_process"] is True
    assert metas["ops_file_ingest_daily"]["executor_type"] == "local_python"
    assert metas["product_events_realtime"]["executor_count"] == 2
    assert (HUB / "pipelines" / "crm_salesforce_sync_daily" / "data_integration_catalog.json").is_file()
    messy = metas["marketing_campaign_attribution_hourly"]["tags"]
    assert any(t != t.lower() or " " in t for t in messy)
    assert metas["load_and_transform_customers"]["tags"] == []


def test_code_mixes_good_and_bad_practice():
    texts = {p.relative_to(HUB).as_posix(): p.read_text(encoding="utf-8") for p in block_files()}
    with_tests = [k for k, t in texts.items() if "@test" in t]
    assert len(with_tests) >= 15 and len(texts) - len(with_tests) >= 15
    assert re.search(r"except Exception:\s*\n\s*pass", texts["data_loaders/load_facebook_ads_spend.py"])
    assert "eval(" in texts["transformers/apply_rules.py"]
    customer = texts["transformers/customer_stuff.py"]
    assert 'query = f"SELECT' in customer and ".close()" not in customer
    assert "chunksize" not in texts["data_loaders/load_customers_csv.py"]
    assert "chunksize=" in texts["data_loaders/file/load_landing_file_chunked.py"]
    assert sum("print(" in t for t in texts.values()) >= 4
    assert sum("from analytics_hub.utils" in t for t in texts.values()) >= 15
    exports = "".join(t for k, t in texts.items() if k.startswith("data_exporters/"))
    assert "if_exists='replace'" in exports and "if_exists='append'" in exports


# --- triggers ----------------------------------------------------------------------------

def all_triggers():
    for path in sorted((HUB / "pipelines").glob("*/triggers.yaml")):
        for trigger in load(path)["triggers"]:
            yield path.parent.name, trigger


def test_triggers_cover_the_cases():
    triggers = list(all_triggers())
    with_file = {p for p, _ in triggers}
    assert len(with_file) >= 5
    assert {"load_and_transform_customers", "test_pipeline_2"}.isdisjoint(with_file)
    intervals = {t.get("schedule_interval") for _, t in triggers}
    assert {"@once", "@daily", "@hourly"} <= intervals
    assert any(isinstance(i, str) and len(i.split()) == 5 for i in intervals), "a cron schedule"
    assert any(t.get("sla") for _, t in triggers) and any(not t.get("sla") for _, t in triggers)
    assert any(t.get("envs") for _, t in triggers) and any(not t.get("envs") for _, t in triggers)
    api_with_token = [t for _, t in triggers if t["schedule_type"] == "api" and t.get("token")]
    assert len(api_with_token) == 1


def test_exactly_one_trigger_has_an_invalid_key():
    invalid = [(p, t["name"]) for p, t in all_triggers() if set(t) - TRIGGER_KEYS]
    assert invalid == [("finance_monthly_reconciliation", "month_close_staging")]
    for _, trigger in all_triggers():
        assert {"name", "schedule_type", "start_time", "schedule_interval"} <= set(trigger)
        assert set(trigger.get("settings") or {}) <= TRIGGER_SETTINGS
        assert set(trigger.get("envs") or []) <= VALID_ENVS


# --- project config and secrets ------------------------------------------------------------

TEMPLATE_PLACEHOLDERS = {"password", "username", "temp_password", "key-id", "YOUR-WEAVIATE-API-KEY",
                         "-----BEGIN PRIVATE KEY-----\nyour_private_key\n-----END_PRIVATE_KEY"}
# Matched against the last part of a dotted key: token_uri is a URL, not a token.
CREDENTIAL_KEY = re.compile(r"PASSWORD|SECRET|(^|_)TOKEN$|PRIVATE_KEY$|API_KEY", re.IGNORECASE)


def leaves(node, prefix=""):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from leaves(value, f"{prefix}.{key}" if prefix else str(key))
    else:
        yield prefix, node


def test_io_config_has_exactly_one_literal_credential():
    config = load(HUB / "io_config.yaml")
    assert {"default", "dev", "prod"} <= set(config)
    literal = []
    kinds = {"jinja": 0, "placeholder": 0}
    for profile in ("default", "dev", "prod"):
        for key, value in leaves(config[profile]):
            if not CREDENTIAL_KEY.search(key.rsplit('.', 1)[-1]) or value is None:
                continue
            if "{{" in str(value):
                kinds["jinja"] += 1
            elif str(value) in TEMPLATE_PLACEHOLDERS:
                kinds["placeholder"] += 1
            else:
                literal.append(f"{profile}.{key}")  # the location only, never the value
    assert literal == ["dev.SNOWFLAKE_PASSWORD"]
    assert kinds["jinja"] >= 4 and kinds["placeholder"] >= 2
    text = (HUB / "io_config.yaml").read_text()
    assert "mage_secret_var(" in text and "env_var(" in text


def test_project_metadata_settings():
    meta = load(HUB / "metadata.yaml")
    assert meta["project_type"] == "standalone"
    assert meta["retry_config"]["retries"] == 2 and meta["retry_config"]["delay"] == 10
    assert meta["queue_config"] == {"concurrency": 8}
    assert meta["notification_config"]["slack_config"]["webhook_url"] == "{{ env_var('MAGE_SLACK_WEBHOOK_URL') }}"
    for name in ("__init__.py", ".gitignore", "requirements.txt", "utils/__init__.py"):
        assert (HUB / name).is_file(), name
    assert "mage_data/" in (HUB / ".gitignore").read_text().split()


def test_docker_compose_files_differ_in_hardening():
    dev = load(ROOT / "docker-compose.yml")["services"]["magic"]
    prod = load(ROOT / "docker-compose.prod.yml")["services"]["magic"]
    assert re.fullmatch(r"mageai/mageai:\d+\.\d+\.\d+", dev["image"])
    assert dev["ports"] == ["6789:6789"]
    assert str(dev["environment"].get("REQUIRE_USER_AUTHENTICATION", "0")) == "0"
    assert "JWT_SECRET" not in dev["environment"] and dev["environment"]["DEFAULT_OWNER_PASSWORD"]
    assert str(prod["environment"]["REQUIRE_USER_AUTHENTICATION"]) == "1"
    assert str(prod["environment"]["DISABLE_NOTEBOOK_EDIT_ACCESS"]) == "1"
    assert prod["environment"]["JWT_SECRET"].startswith("${")
    assert all(p.startswith("127.0.0.1:") for p in prod["ports"])


def test_committed_env_file_and_ci_workflow():
    env = (ROOT / ".env").read_text()
    assert re.search(r"^STRIPE_API_KEY=sk_live_[0-9A-Za-z]{24,}$", env, re.MULTILINE)
    workflow = load(ROOT / ".github" / "workflows" / "deploy.yml")
    # PyYAML reads the bare key `on` as True.
    assert workflow[True]["push"]["branches"] == ["main"]


# --- materialised copy with git history -------------------------------------------------------

def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def demo_repo(tmp_path_factory) -> Path:
    return materialize_demo(tmp_path_factory.mktemp("demo") / "repo")


def test_materialized_repo_has_the_branch_story(demo_repo):
    branches = set(git(demo_repo, "for-each-ref", "--format=%(refname:short)", "refs/heads").split())
    assert branches == set(DEMO_BRANCHES)
    assert "staging" not in branches and "johns-fix" in branches
    assert sum(b.startswith("feature/") for b in branches) >= 3
    assert len(git(demo_repo, "tag").split()) >= 2
    assert git(demo_repo, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main"
    assert git(demo_repo, "status", "--porcelain") == ""
    # johns-fix was never merged
    assert git(demo_repo, "branch", "--no-merged", "main", "--format=%(refname:short)").split()


def test_materialized_history_spans_months_with_mixed_messages(demo_repo):
    log = git(demo_repo, "log", "--all", "--format=%at %s").splitlines()
    assert 25 <= len(log) <= 60
    stamps = [int(line.split()[0]) for line in log]
    assert (max(stamps) - min(stamps)) / 86400 >= 150
    subjects = [line.split(" ", 1)[1] for line in log]
    assert sum(bool(re.match(r"(feat|fix|docs|chore|refactor)(\(.+\))?: ", s)) for s in subjects) >= 10
    assert {"wip", "fix", "asdf"} <= set(subjects)


def test_materialized_main_is_the_packaged_tree(demo_repo):
    tracked = set(git(demo_repo, "ls-files").split("\n")) - {""}
    assert tracked == set(demo_files())
    for rel in ("analytics_hub/transformers/transform_reconcile_ledger.py", ".env", "README.md"):
        assert (demo_repo / rel).read_bytes() == (ROOT / rel).read_bytes()


def test_materialize_is_deterministic_and_replaces_its_previous_copy(demo_repo, tmp_path):
    again = materialize_demo(tmp_path / "again")
    assert git(again, "rev-parse", "HEAD") == git(demo_repo, "rev-parse", "HEAD")
    (again / "analytics_hub" / "metadata.yaml").write_text("changed")
    materialize_demo(again)  # overwrite the earlier copy
    assert (again / "analytics_hub" / "metadata.yaml").read_bytes() == (HUB / "metadata.yaml").read_bytes()


def test_materialize_without_git_and_refusing_foreign_folders(tmp_path):
    plain = materialize_demo(tmp_path / "plain", with_git=False)
    assert not (plain / ".git").exists()
    assert (plain / ".env").is_file() and (plain / ".github" / "workflows" / "deploy.yml").is_file()
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("keep me")
    with pytest.raises(FileExistsError):
        materialize_demo(foreign)
    assert (foreign / "thesis.tex").read_text() == "keep me"
