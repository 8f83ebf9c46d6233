"""Write a synthetic Mage repository of configurable size, for scale benchmarks and tests.

The output follows Mage's on-disk format (docs: ../shared/mage-reference.md sections 1 and 3):
one or more projects, each with ``metadata.yaml``, ``io_config.yaml``, block files under the
block-type folders (nested subfolders included), and ``pipelines/<uuid>/metadata.yaml`` with
alphabetical keys and every key Mage writes, for the pipeline and for each block entry.

Shapes follow what real repos look like: block sizes are skewed (most 20-200 lines, a tail to
800), pipeline sizes are skewed, some blocks are shared by several pipelines, a few percent of
files are orphans no pipeline references, a few entries point at files that do not exist,
some pipelines have ``triggers.yaml``, ``callbacks`` and ``conditionals``, and about one block
in eight is SQL. Everything is derived from ``seed`` (same seed, same bytes).

Usage::

    python benchmarks/make_synthetic_repo.py DEST --pipelines 2000 --block-files 40000
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
import yaml

_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

# Block kinds that live in the pipeline's ``blocks`` section, with their share of block files.
# (block type, folder, decorator, share)
MAIN_KINDS = (
    ("data_loader", "data_loaders", "data_loader", 0.30),
    ("transformer", "transformers", "transformer", 0.42),
    ("data_exporter", "data_exporters", "data_exporter", 0.18),
    ("custom", "custom", "custom", 0.04),
    ("sensor", "sensors", "sensor", 0.02),
)
SIDE_KINDS = (  # listed under their own pipeline sections
    ("conditional", "conditionals", "condition", 0.02, "conditionals"),
    ("callback", "callbacks", "callback", 0.02, "callbacks"),
)
TYPE_ORDER = {"sensor": 0, "data_loader": 1, "custom": 2, "transformer": 3, "data_exporter": 4}
SQL_SHARE = 0.12            # of loader/transformer/exporter files
ORPHAN_SHARE = 0.04         # block files no pipeline references
SHARED_SHARE = 0.06         # block files referenced by 2..8 pipelines
MISSING_ENTRY_SHARE = 0.004  # block entries whose file does not exist (stale references)
TRIGGER_SHARE = 0.15        # pipelines with triggers.yaml
NESTED_SHARE = 0.35         # block files in a subfolder of their type folder
MIN_LINES, MAX_LINES = 5, 800

DOMAINS = ("orders", "customers", "payments", "refunds", "invoices", "shipments", "inventory",
           "events", "sessions", "marketing", "ads", "crm", "tickets", "fx_rates", "ledger",
           "subscriptions", "products", "reviews", "clicks", "warehouse")
SOURCES = ("api", "postgres", "s3", "bigquery", "snowflake", "gcs", "salesforce", "stripe",
           "hubspot", "kafka", "mysql", "sftp")
TEAMS = ("finance", "growth", "ops", "core", "risk", "platform")
VERBS = {"data_loader": ("load", "fetch", "extract", "read"),
         "transformer": ("clean", "join", "aggregate", "dedupe", "enrich", "normalize", "score"),
         "data_exporter": ("export", "write", "publish", "upsert"),
         "custom": ("check", "notify", "compute"), "sensor": ("wait_for", "poll"),
         "conditional": ("should_run", "is_business_day"), "callback": ("on_done", "alert")}


@dataclass
class SyntheticRepo:
    """What was written: counts to compare a reader against, and one row per file.

    ``files`` columns: project, path (repo-relative POSIX), block_type, uuid, language,
    lines_total, n_pipelines (how many pipelines reference it; 0 for orphans).
    """

    root: str
    projects: list[str]
    pipelines: int
    block_files: int
    block_entries: int
    orphan_block_files: int
    shared_block_files: int
    missing_block_files: int
    triggers: int
    seconds: float
    files: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)

    def counts(self) -> dict:
        """The counts as a plain dict (what the benchmark stores next to the repo)."""
        return {k: v for k, v in self.__dict__.items() if k != "files"}


def skewed_lines(rng: random.Random) -> int:
    """A block size in lines: log-normal (median ~75), most 20-200, clipped to a tail of 800."""
    value = int(rng.lognormvariate(math.log(75), 0.75))
    # The margin keeps the written file (whole code chunks) at or under MAX_LINES.
    return max(MIN_LINES, min(MAX_LINES - 8, value))


# ---------------------------------------------------------------- block file content

_IMPORTS = ("import pandas as pd", "import numpy as np", "import requests", "import io",
            "import json", "import logging", "from datetime import datetime, timedelta",
            "from typing import Any, Dict")


def _chunk(rng: random.Random, i: int, indent: str) -> list[str]:
    """A few lines of plausible pandas/ETL code (always valid inside a function body)."""
    col = rng.choice(("amount", "status", "customer_id", "created_at", "country", "sku", "qty"))
    pick = rng.randrange(9)
    if pick == 0:
        return [f"{indent}df = df[df['{col}'].notna()]"]
    if pick == 1:
        return [f"{indent}# Keep only the rows the downstream report needs ({i}).",
                f"{indent}df['{col}_{i}'] = df['{col}'].astype(str).str.strip()"]
    if pick == 2:
        return [f"{indent}if '{col}' in df.columns:",
                f"{indent}    df['{col}'] = df['{col}'].fillna(0)",
                f"{indent}else:",
                f"{indent}    df['{col}'] = None"]
    if pick == 3:
        return [f"{indent}for name in ['{col}', 'updated_at']:",
                f"{indent}    if name in df.columns:",
                f"{indent}        df[name] = pd.to_numeric(df[name], errors='coerce')"]
    if pick == 4:
        return [f"{indent}try:",
                f"{indent}    df = df.drop_duplicates(subset=['{col}'])",
                f"{indent}except KeyError as exc:",
                f"{indent}    logger.warning('missing column %s', exc)"]
    if pick == 5:
        return [f"{indent}mapping_{i} = {{",
                f"{indent}    'a': 1,",
                f"{indent}    'b': 2,",
                f"{indent}}}",
                f"{indent}df['{col}_code'] = df['{col}'].map(mapping_{i})"]
    if pick == 6:
        return [f"{indent}total_{i} = df['{col}'].sum() if '{col}' in df else 0",
                f"{indent}logger.info('total %s = %s', '{col}', total_{i})"]
    if pick == 7:
        return [f"{indent}df = df.rename(columns={{'{col}': '{col}_v{i}'}})",
                f"{indent}df = df.rename(columns={{'{col}_v{i}': '{col}'}})"]
    return [f"{indent}df = df.sort_values('{col}') if '{col}' in df else df"]


def python_block(rng: random.Random, block_type: str, decorator: str, target: int) -> list[str]:
    """Lines of a Mage Python block with the decorator guard, about ``target`` lines long."""
    lines = [f"if '{decorator}' not in globals():",
             f"    from mage_ai.data_preparation.decorators import {decorator}"]
    with_test = block_type in ("data_loader", "transformer", "data_exporter") and rng.random() < 0.45
    if with_test:
        lines += ["if 'test' not in globals():",
                  "    from mage_ai.data_preparation.decorators import test"]
    imports = {"import logging", "import pandas as pd", "from typing import Any, Dict"} | set(rng.sample(_IMPORTS, rng.randint(0, 3)))
    lines += sorted(imports) + ["", "logger = logging.getLogger(__name__)", ""]
    tail_len = 7 if with_test else 2
    n_helpers = max(0, (target - 60) // 150)
    for h in range(n_helpers):
        lines += ["", f"def _helper_{h}(df: pd.DataFrame) -> pd.DataFrame:",
                  f"    \"\"\"Step {h} of the {block_type} logic.\"\"\""]
        body_target = len(lines) + max(4, (target - 40) // (n_helpers + 1))
        i = 0
        while len(lines) < body_target:
            lines += _chunk(rng, i, "    ")
            i += 1
        lines += ["    return df", ""]
    lines += ["", f"@{decorator}", "def run(*args, **kwargs):" if block_type in ("conditional", "callback", "sensor")
              else f"def {block_type}_step(df: Any = None, *args, **kwargs):"]
    if rng.random() < 0.6:
        lines.append(f"    \"\"\"{block_type.replace('_', ' ').capitalize()} for the synthetic benchmark.\"\"\"")
    lines.append("    df = pd.DataFrame(df if df is not None else [])")
    i = 0
    while len(lines) < target - tail_len - 1:
        lines += _chunk(rng, i, "    ")
        i += 1
    for h in range(n_helpers):
        lines.append(f"    df = _helper_{h}(df)")
    if block_type in ("conditional", "sensor"):
        lines.append("    return len(df) >= 0")
    else:
        lines.append("    return df")
    if with_test:
        lines += ["", "", "@test", "def test_output(output, *args) -> None:",
                  "    assert output is not None, 'The output is undefined'"]
    return lines


def sql_block(rng: random.Random, target: int) -> list[str]:
    """Lines of a SQL block (a CTE chain) about ``target`` lines long."""
    table = f"{rng.choice(('raw', 'staging', 'mart'))}.{rng.choice(DOMAINS)}"
    lines = [f"-- Builds {table} for the synthetic benchmark.", "WITH base AS (",
             "    SELECT *", f"    FROM {table}", "    WHERE created_at >= '{{ execution_date }}'", ")"]
    step = 0
    while len(lines) < target - 3:
        prev = "base" if step == 0 else f"step_{step - 1}"
        col = rng.choice(("amount", "status", "customer_id", "country", "qty"))
        lines += [f", step_{step} AS (", f"    SELECT {col}, COUNT(*) AS n_{step}", f"    FROM {prev}",
                  f"    GROUP BY {col}", ")"]
        step += 1
    last = "base" if step == 0 else f"step_{step - 1}"
    return lines + ["SELECT *", f"FROM {last}", "LIMIT 1000"]


# ---------------------------------------------------------------- YAML documents

def _block_entry(meta: dict, upstream: list[str], downstream: list[str], rng: random.Random) -> dict:
    """One block entry with every key Mage writes (reference section 3.3)."""
    configuration: dict = {}
    if meta["language"] == "sql":
        configuration = {"data_provider": "postgres", "data_provider_profile": "default",
                         "data_provider_schema": "analytics", "export_write_policy": "append"}
    if meta.get("file_source"):
        configuration["file_source"] = {"path": meta["file_source"]}
    retry = {"retries": 3, "delay": 10, "max_delay": 60, "exponential_backoff": True} if rng.random() < 0.1 else None
    return {
        "all_upstream_blocks_executed": True, "color": None, "configuration": configuration,
        "downstream_blocks": downstream, "executor_config": None, "executor_type": "local_python",
        "has_callback": False, "language": meta["language"], "name": meta["uuid"],
        "retry_config": retry, "status": "not_executed",
        "timeout": 3600 if rng.random() < 0.05 else None, "type": meta["block_type"],
        "upstream_blocks": upstream, "uuid": meta["uuid"],
    }


def pipeline_document(uuid: str, main: list[dict], side: list[dict], rng: random.Random,
                      created: datetime) -> dict:
    """A pipeline metadata.yaml mapping: a DAG over ``main`` blocks plus side sections."""
    main = sorted(main, key=lambda m: (TYPE_ORDER[m["block_type"]], m["uuid"]))
    upstream: dict[str, list[str]] = {m["uuid"]: [] for m in main}
    downstream: dict[str, list[str]] = {m["uuid"]: [] for m in main}
    for i, meta in enumerate(main):
        if i == 0 or (meta["block_type"] in ("sensor", "data_loader") and rng.random() < 0.7):
            continue
        for parent in rng.sample(main[:i], min(i, rng.choice((1, 1, 1, 2, 3)))):
            if meta["uuid"] not in downstream[parent["uuid"]] and parent["uuid"] != meta["uuid"]:
                upstream[meta["uuid"]].append(parent["uuid"])
                downstream[parent["uuid"]].append(meta["uuid"])
    sections: dict[str, list[dict]] = {"blocks": [], "callbacks": [], "conditionals": []}
    for meta in main:
        sections["blocks"].append(_block_entry(meta, upstream[meta["uuid"]], downstream[meta["uuid"]], rng))
    for meta in side:
        watched = [rng.choice(main)["uuid"]] if main else []
        sections[meta["section"]].append(_block_entry(meta, watched, [], rng))
    kind = rng.choices(("python", "streaming", "pyspark", "integration"), (0.95, 0.02, 0.01, 0.02))[0]
    domain = rng.choice(DOMAINS)
    return {
        "blocks": sections["blocks"],
        "cache_block_output_in_memory": False,
        "callbacks": sections["callbacks"],
        "concurrency_config": ({"block_run_limit": 4, "pipeline_run_limit": 1} if rng.random() < 0.1 else {}),
        "conditionals": sections["conditionals"],
        "created_at": created.strftime("%Y-%m-%d %H:%M:%S.%f+00:00"),
        "data_integration": None,
        "description": (f"Moves {domain} data for the {rng.choice(TEAMS)} team." if rng.random() < 0.5 else None),
        "executor_config": {},
        "executor_count": 1,
        "executor_type": rng.choice((None, None, None, "local_python", "k8s")),
        "extensions": {},
        "name": uuid.replace("_", " "),
        "notification_config": {},
        "remote_variables_dir": None,
        "retry_config": {},
        "run_pipeline_in_one_process": rng.random() < 0.05,
        "settings": {"triggers": None},
        "spark_config": {},
        "tags": sorted(rng.sample(TEAMS, rng.randint(0, 2))),
        "type": kind,
        "uuid": uuid,
        "variables_dir": "/home/src/mage_data/synthetic",
        "widgets": [],
    }


def triggers_document(uuid: str, rng: random.Random, created: datetime) -> dict:
    """A triggers.yaml mapping with one to three triggers (reference section 4)."""
    triggers = []
    for t in range(rng.randint(1, 3)):
        api = rng.random() < 0.2
        triggers.append({
            "name": f"{uuid}_trigger_{t}",
            "schedule_type": "api" if api else "time",
            "schedule_interval": None if api else rng.choice(("@daily", "@hourly", "0 6 * * *", "*/15 * * * *")),
            "start_time": None if api else created.strftime("%Y-%m-%d %H:%M:%S"),
            "status": rng.choice(("active", "active", "inactive")),
            "sla": rng.choice((None, 3600)),
            "settings": {"skip_if_previous_running": rng.random() < 0.3},
            "envs": rng.choice(([], ["prod"], ["dev", "staging"])),
        })
    return {"triggers": triggers}


def project_metadata(project: str) -> str:
    """The project metadata.yaml, shaped like Mage's template (Jinja kept as text)."""
    return (
        "project_type: standalone\n"
        f"project_uuid: {project}0000000000000000\n"
        "variables_dir: ~/.mage_data\n"
        "variables_retention_period: '90d'\n"
        "help_improve_mage: true\n"
        "retry_config:\n  retries: 2\n  delay: 5\n  max_delay: 60\n  exponential_backoff: true\n"
        "notification_config:\n  alert_on:\n  - trigger_failure\n  - trigger_passed_sla\n"
        "  slack_config:\n    webhook_url: \"{{ env_var('MAGE_SLACK_WEBHOOK_URL') }}\"\n"
        "queue_config:\n  concurrency: 20\n"
    )


IO_CONFIG = (
    "version: 0.1.1\n"
    "default:\n"
    "  AWS_ACCESS_KEY_ID: \"{{ env_var('AWS_ACCESS_KEY_ID') }}\"\n"
    "  AWS_SECRET_ACCESS_KEY: \"{{ env_var('AWS_SECRET_ACCESS_KEY') }}\"\n"
    "  POSTGRES_CONNECT_TIMEOUT: 10\n"
    "  POSTGRES_DBNAME: postgres\n"
    "  POSTGRES_SCHEMA: public\n"
    "  POSTGRES_USER: \"{{ env_var('POSTGRES_USER') }}\"\n"
    "  POSTGRES_PASSWORD: \"{{ mage_secret_var('postgres_password') }}\"\n"
    "  POSTGRES_HOST: \"{{ env_var('POSTGRES_HOST') }}\"\n"
    "  POSTGRES_PORT: 5432\n"
)


# ---------------------------------------------------------------- planning and writing

def _plan_files(rng: random.Random, n: int) -> list[dict]:
    """Block file descriptions (type, uuid, language, target size), unique uuids per type."""
    kinds = [(k[0], k[1], k[2], k[3], "blocks") for k in MAIN_KINDS] + list(SIDE_KINDS)
    weights = [k[3] for k in kinds]
    files, seen = [], set()
    for i in range(n):
        block_type, folder, decorator, _, section = rng.choices(kinds, weights)[0]
        stem = f"{rng.choice(VERBS[block_type])}_{rng.choice(DOMAINS)}_{i:06d}"
        if block_type == "data_loader":
            stem = f"{rng.choice(VERBS[block_type])}_{rng.choice(SOURCES)}_{rng.choice(DOMAINS)}_{i:06d}"
        sub = ""
        if rng.random() < NESTED_SHARE:
            depth = rng.choices((1, 2, 3), (0.7, 0.25, 0.05))[0]
            parts = [rng.choice(TEAMS), rng.choice(SOURCES), rng.choice(DOMAINS)][:depth]
            sub = "/".join(parts) + "/"
        uuid = sub + stem
        language = "sql" if block_type in ("data_loader", "transformer", "data_exporter") and rng.random() < SQL_SHARE else "python"
        key = (folder, uuid)
        assert key not in seen  # the running index keeps stems unique
        seen.add(key)
        files.append({"block_type": block_type, "folder": folder, "decorator": decorator,
                      "section": section, "uuid": uuid, "language": language,
                      "target": skewed_lines(rng), "n_pipelines": 0})
    return files


def _pipeline_sizes(rng: random.Random, n_pipelines: int, n_entries: int) -> list[int]:
    """Skewed pipeline sizes (at least one entry each) summing to ``n_entries``."""
    weights = [rng.lognormvariate(0, 0.8) for _ in range(n_pipelines)]
    scale = max(0, n_entries - n_pipelines) / sum(weights)
    sizes = [1 + int(w * scale) for w in weights]
    for i in range(n_entries - sum(sizes)):
        sizes[i % n_pipelines] += 1
    return sizes


def make_synthetic_repo(dest: str | os.PathLike, *, pipelines: int = 2000, block_files: int = 40000,
                        seed: int = 1, projects: int = 1) -> SyntheticRepo:
    """Write a synthetic Mage repo under ``dest`` (must not exist or be empty) and describe it.

    Projects are folders ``dest/project_<i>`` (``dest/synthetic_project`` when ``projects=1``):
    the Mage project is in a subfolder of the repo, as in most real repos. Pipelines and block
    files are split evenly between projects. Deterministic from ``seed``.
    """
    started = time.perf_counter()
    root = Path(dest)
    if root.exists() and any(root.iterdir()):
        raise FileExistsError(f"{root} exists and is not empty; refusing to write into it")
    if pipelines < 1 or block_files < 1 or projects < 1:
        raise ValueError("pipelines, block_files and projects must be at least 1")
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    (root / "README.md").write_text("Synthetic Mage repository written by benchmarks/make_synthetic_repo.py.\n")
    (root / ".gitignore").write_text(".variables/\n.logs/\nmage_data/\n__pycache__/\n")
    names = ["synthetic_project"] if projects == 1 else [f"project_{i}" for i in range(projects)]
    rows: list[dict] = []
    totals = {"pipelines": 0, "block_entries": 0, "orphans": 0, "shared": 0, "missing": 0, "triggers": 0}
    epoch = datetime(2024, 1, 1, tzinfo=timezone.utc)
    for p_index, project in enumerate(names):
        n_pipe = pipelines // projects + (1 if p_index < pipelines % projects else 0)
        n_files = block_files // projects + (1 if p_index < block_files % projects else 0)
        if n_pipe == 0 and n_files == 0:
            continue
        proj = root / project
        _write_project_skeleton(proj, project)
        files = _plan_files(rng, n_files)
        _assign_and_write_pipelines(rng, proj, project, files, n_pipe, epoch, totals)
        _write_block_files(rng, proj, files)
        for f in files:
            ext = "sql" if f["language"] == "sql" else "py"
            rows.append({"project": project, "path": f"{project}/{f['folder']}/{f['uuid']}.{ext}",
                         "block_type": f["block_type"], "uuid": f["uuid"], "language": f["language"],
                         "lines_total": f["lines"], "n_pipelines": f["n_pipelines"]})
    frame = pd.DataFrame(rows, columns=["project", "path", "block_type", "uuid", "language",
                                        "lines_total", "n_pipelines"])
    return SyntheticRepo(
        root=str(root.resolve()), projects=names, pipelines=totals["pipelines"],
        block_files=len(frame), block_entries=totals["block_entries"],
        orphan_block_files=int((frame["n_pipelines"] == 0).sum()),
        shared_block_files=int((frame["n_pipelines"] > 1).sum()),
        missing_block_files=totals["missing"], triggers=totals["triggers"],
        seconds=round(time.perf_counter() - started, 2), files=frame,
    )


def _write_project_skeleton(proj: Path, project: str) -> None:
    proj.mkdir(parents=True, exist_ok=True)
    (proj / "metadata.yaml").write_text(project_metadata(project))
    (proj / "io_config.yaml").write_text(IO_CONFIG)
    (proj / "requirements.txt").write_text("pandas\nrequests\n")
    (proj / "__init__.py").write_text("")
    folders = {k[1] for k in MAIN_KINDS} | {k[1] for k in SIDE_KINDS} | {"pipelines", "utils", "charts", "scratchpads"}
    for folder in sorted(folders):
        (proj / folder).mkdir(exist_ok=True)
        (proj / folder / "__init__.py").write_text("")


def _assign_and_write_pipelines(rng: random.Random, proj: Path, project: str, files: list[dict],
                                n_pipe: int, epoch: datetime, totals: dict) -> None:
    """Decide which pipeline uses which file (orphans, shared, stale entries) and write the YAML."""
    if n_pipe == 0:
        return
    order = list(range(len(files)))
    rng.shuffle(order)
    n_orphans = int(len(files) * ORPHAN_SHARE)
    n_shared = int(len(files) * SHARED_SHARE)
    used = order[n_orphans:]
    shared = used[:n_shared]
    members: list[list[int]] = [[] for _ in range(n_pipe)]
    # Each used file goes to one pipeline, chosen so that pipeline sizes are skewed.
    sizes = _pipeline_sizes(rng, n_pipe, max(len(used), n_pipe))
    cursor = 0
    for p, size in enumerate(sizes):
        members[p].extend(used[cursor:cursor + size])
        cursor += size
    for idx in shared:  # shared files are also used by 1-7 more pipelines
        for p in rng.sample(range(n_pipe), min(n_pipe, rng.randint(1, 7))):
            if idx not in members[p]:
                members[p].append(idx)
    for p in range(n_pipe):
        uuid = f"{rng.choice(DOMAINS)}_{rng.choice(('daily', 'hourly', 'sync', 'etl', 'report'))}_{p:05d}"
        created = epoch + timedelta(minutes=rng.randrange(0, 600_000))
        main, side = [], []
        for idx in members[p]:
            files[idx]["n_pipelines"] += 1
            (side if files[idx]["section"] != "blocks" else main).append(files[idx])
        if main and rng.random() < MISSING_ENTRY_SHARE * max(1, len(main)):
            ghost_type = rng.choice(("transformer", "data_exporter"))
            main.append({"block_type": ghost_type, "uuid": f"removed_{ghost_type}_{p:05d}",
                         "language": "python", "section": "blocks"})
            totals["missing"] += 1
        folder = proj / "pipelines" / uuid
        folder.mkdir()
        (folder / "__init__.py").write_text("")
        doc = pipeline_document(uuid, main, side, rng, created)
        (folder / "metadata.yaml").write_text(yaml.dump(doc, Dumper=_Dumper, sort_keys=True, default_flow_style=False))
        totals["pipelines"] += 1
        totals["block_entries"] += len(doc["blocks"]) + len(doc["callbacks"]) + len(doc["conditionals"])
        if rng.random() < TRIGGER_SHARE:
            tdoc = triggers_document(uuid, rng, created)
            (folder / "triggers.yaml").write_text(yaml.dump(tdoc, Dumper=_Dumper, sort_keys=False))
            totals["triggers"] += len(tdoc["triggers"])


def _write_block_files(rng: random.Random, proj: Path, files: list[dict]) -> None:
    made: set[str] = set()
    for f in files:
        ext = "sql" if f["language"] == "sql" else "py"
        path = proj / f["folder"] / f"{f['uuid']}.{ext}"
        parent = str(path.parent)
        if parent not in made:
            os.makedirs(parent, exist_ok=True)
            made.add(parent)
        if f["language"] == "sql":
            lines = sql_block(rng, f["target"])
        else:
            lines = python_block(rng, f["block_type"], f["decorator"], f["target"])
        f["lines"] = len(lines)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest", help="folder to create (must not exist or be empty)")
    parser.add_argument("--pipelines", type=int, default=2000)
    parser.add_argument("--block-files", type=int, default=40000)
    parser.add_argument("--projects", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    try:
        made = make_synthetic_repo(args.dest, pipelines=args.pipelines, block_files=args.block_files,
                                   seed=args.seed, projects=args.projects)
    except (FileExistsError, ValueError) as exc:
        print(f"make_synthetic_repo: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(made.counts(), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
