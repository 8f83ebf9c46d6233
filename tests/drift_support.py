"""A Mage repo with three environment branches, built with git commands, for the drift tests.

History (every kind of difference drift compares is planted once; see EXPECTED in test_drift.py):

* ``main`` starts with project ``hub`` (under a platform ``settings.yaml``): pipelines
  ``orders_daily`` (daily trigger, ``envs: [prod]``), ``customers_sync``, ``legacy_report``
  (a trigger Mage rejects: ``envs: [production]``) and ``old_cleanup``.
* ``staging`` and ``development`` branch from there. On development: orders v2 (code, tags,
  concurrency, a dbt ``staging`` target, pandas upgrade, a settings.yaml change) and the removal
  of ``old_cleanup``; merged into staging. Then, on development only: a new pipeline
  ``marketing_attribution`` (trigger ``envs: [prod]``, on its way), ``legacy_report`` renamed
  ``finance_report``, a ``dedupe_orders`` block added to ``orders_daily``, io_config ``dev``
  profile.
* Hotfixes straight on ``main``: pipeline ``hotfix_export`` with an active ``envs: [prod]``
  trigger and a dead ``envs: [dev]`` one; more retries and a concurrency limit for
  ``customers_sync`` and the project; a literal production password in io_config and ``boto3``.
"""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import yaml

LITERAL_PASSWORD = "Zq8-canary-prod-password-771"   # must never appear in any drift output
_ENV = {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1", "GIT_AUTHOR_NAME": "A", "GIT_AUTHOR_EMAIL": "a@x.io",
        "GIT_COMMITTER_NAME": "A", "GIT_COMMITTER_EMAIL": "a@x.io", "TZ": "UTC", "LC_ALL": "C"}


def git(repo: Path, *args: str, date: str = "2026-01-05T10:00:00") -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(_ENV, GIT_AUTHOR_DATE=date + "+00:00", GIT_COMMITTER_DATE=date + "+00:00")
    done = subprocess.run(["git", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", *args], cwd=repo,
                          env=env, capture_output=True, text=True, check=True)
    return done.stdout


def write(root: Path, rel: str, content) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content if isinstance(content, str) else yaml.safe_dump(content, sort_keys=False))


def block(uuid: str, kind: str, up=(), down=(), **extra) -> dict:
    return {"uuid": uuid, "name": uuid, "type": kind, "language": "python", "upstream_blocks": list(up),
            "downstream_blocks": list(down), "executor_type": "local_python", "retry_config": None, **extra}


def pipeline(root: Path, uuid: str, blocks: list[dict], triggers: list[dict] | None = None, **extra) -> None:
    write(root, f"hub/pipelines/{uuid}/metadata.yaml",
          {"uuid": uuid, "name": uuid, "type": "python", "executor_type": "local_python", "blocks": blocks,
           "tags": [], "retry_config": None, "concurrency_config": None, **extra})
    if triggers is not None:
        write(root, f"hub/pipelines/{uuid}/triggers.yaml", {"triggers": triggers})


def trigger(name: str, interval="@daily", envs=(), status="active") -> dict:
    return {"name": name, "schedule_type": "time", "schedule_interval": interval,
            "start_time": "2026-01-01 00:00:00", "status": status, "envs": list(envs)}


def code(lines: int, kind: str = "transformer", extra: str = "") -> str:
    body = "".join(f"    value_{i} = {i}\n" for i in range(lines))
    return f"@{kind}\ndef run(data, *args, **kwargs):\n{body}{extra}    return data\n"


def io_config(prod_password: str = "{{ env_var('POSTGRES_PASSWORD') }}", dev: bool = False) -> dict:
    env = {"POSTGRES_HOST": "{{ env_var('POSTGRES_HOST') }}", "POSTGRES_PASSWORD": "{{ env_var('POSTGRES_PASSWORD') }}"}
    doc = {"version": "0.1.1", "default": dict(env), "prod": {**env, "POSTGRES_PASSWORD": prod_password}}
    if dev:
        doc["dev"] = {"POSTGRES_HOST": "localhost", "POSTGRES_PASSWORD": "{{ env_var('POSTGRES_PASSWORD') }}"}
    return doc


def dbt_profiles(staging_target: bool = False) -> dict:
    outputs = {"dev": {"type": "postgres", "host": "localhost", "password": "{{ env_var('DBT_PASSWORD') }}", "port": 5432},
               "prod": {"type": "postgres", "host": "{{ env_var('DBT_HOST') }}", "password": "{{ env_var('DBT_PASSWORD') }}"}}
    if staging_target:
        outputs["staging"] = {"type": "postgres", "host": "{{ env_var('DBT_HOST') }}", "threads": 4}
    return {"shop": {"target": "dev", "outputs": outputs}}


def _initial(root: Path) -> None:
    write(root, "settings.yaml", {"projects": {"hub": {}}})
    write(root, "hub/metadata.yaml", {"project_type": "sub", "retry_config": {"retries": 1, "delay": 10},
                                      "queue_config": {"concurrency": 5},
                                      "notification_config": {"alert_on": ["trigger_failure"]},
                                      "logging_config": {"level": "INFO"}, "variables_retention_period": "90d"})
    write(root, "hub/io_config.yaml", io_config())
    write(root, "hub/requirements.txt", "pandas==2.1.0\nrequests>=2.31\n")
    write(root, "hub/dbt/shop/profiles.yml", dbt_profiles())
    for rel, lines, kind in [("data_loaders/load_orders.py", 10, "data_loader"), ("transformers/clean_orders.py", 20, "transformer"),
                             ("data_exporters/export_orders.py", 8, "data_exporter"),
                             ("data_loaders/load_customers.py", 6, "data_loader"),
                             ("data_exporters/export_customers.py", 6, "data_exporter"),
                             ("data_loaders/load_legacy.py", 5, "data_loader"), ("transformers/shape_legacy.py", 5, "transformer"),
                             ("data_exporters/export_legacy.py", 5, "data_exporter"), ("custom/cleanup_tmp.py", 4, "custom")]:
        write(root, f"hub/{rel}", code(lines, kind))
    orders_blocks(root)
    pipeline(root, "customers_sync", [block("load_customers", "data_loader", down=["export_customers"]),
                                      block("export_customers", "data_exporter", up=["load_customers"])],
             retry_config={"retries": 1})
    legacy_blocks = [block("load_legacy", "data_loader", down=["shape_legacy"]),
                     block("shape_legacy", "transformer", up=["load_legacy"], down=["export_legacy"]),
                     block("export_legacy", "data_exporter", up=["shape_legacy"])]
    pipeline(root, "legacy_report", legacy_blocks, [trigger("broken", envs=["production"])])
    pipeline(root, "old_cleanup", [block("cleanup_tmp", "custom")])


def orders_blocks(root: Path, *, dedupe: bool = False, interval: str = "@daily", status: str = "active",
                  **extra) -> None:
    clean_down = ["dedupe_orders"] if dedupe else ["export_orders"]
    blocks = [block("load_orders", "data_loader", down=["clean_orders"]),
              block("clean_orders", "transformer", up=["load_orders"], down=clean_down)]
    if dedupe:
        blocks.append(block("dedupe_orders", "transformer", up=["clean_orders"], down=["export_orders"]))
    blocks.append(block("export_orders", "data_exporter", up=["dedupe_orders" if dedupe else "clean_orders"]))
    pipeline(root, "orders_daily", blocks, [trigger("daily", interval, envs=["prod"], status=status)], **extra)


def build_drift_repo(root: Path) -> Path:
    """Create the three-branch repo at ``root`` (checked out on main) and return it."""
    root.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    _initial(root)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "feat: initial project", date="2026-01-02T09:00:00")
    git(root, "branch", "staging")
    git(root, "checkout", "-q", "-b", "development")

    # development, promoted to staging
    write(root, "hub/transformers/clean_orders.py", code(22, extra="    value_0 = -1\n"))
    write(root, "hub/requirements.txt", "pandas==2.2.1\nrequests>=2.31\n")
    write(root, "hub/dbt/shop/profiles.yml", dbt_profiles(staging_target=True))
    write(root, "settings.yaml", {"projects": {"hub": {"path": "hub"}}})
    orders_blocks(root, tags=["sales"], concurrency_config={"pipeline_run_limit": 2}, interval="0 6 * * *")
    git(root, "commit", "-qam", "feat(orders): v2 cleaning", date="2026-01-06T10:00:00")
    git(root, "rm", "-rq", "hub/pipelines/old_cleanup")
    git(root, "commit", "-qm", "chore: retire old_cleanup", date="2026-01-07T10:00:00")
    git(root, "checkout", "-q", "staging")
    git(root, "merge", "-q", "--no-ff", "-m", "Merge branch 'development' into staging", "development",
        date="2026-01-08T10:00:00")

    # development only: waiting for staging
    git(root, "checkout", "-q", "development")
    write(root, "hub/data_loaders/load_ads.py", code(7, "data_loader"))
    write(root, "hub/transformers/attribute.py", code(9))
    pipeline(root, "marketing_attribution", [block("load_ads", "data_loader", down=["attribute"]),
                                             block("attribute", "transformer", up=["load_ads"])],
             [trigger("hourly", "@hourly", envs=["prod"])])
    git(root, "add", "-A")
    git(root, "commit", "-qm", "feat: marketing attribution pipeline", date="2026-01-12T10:00:00")
    git(root, "mv", "hub/pipelines/legacy_report", "hub/pipelines/finance_report")
    meta = yaml.safe_load((root / "hub/pipelines/finance_report/metadata.yaml").read_text())
    meta.update(uuid="finance_report", name="finance_report")
    write(root, "hub/pipelines/finance_report/metadata.yaml", meta)
    write(root, "hub/transformers/dedupe_orders.py", code(12))
    orders_blocks(root, dedupe=True, tags=["sales"], concurrency_config={"pipeline_run_limit": 2}, interval="0 6 * * *",
                  status="inactive")
    write(root, "hub/io_config.yaml", io_config(dev=True))
    git(root, "add", "-A")
    git(root, "commit", "-qm", "refactor: rename legacy_report, dedupe orders", date="2026-01-13T10:00:00")

    # hotfixes straight on main
    git(root, "checkout", "-q", "main")
    write(root, "hub/data_exporters/export_hotfix.py", code(5, "data_exporter"))
    pipeline(root, "hotfix_export", [block("load_customers", "data_loader", down=["export_hotfix"]),
                                     block("export_hotfix", "data_exporter", up=["load_customers"])],
             [trigger("nightly", envs=["prod"]), trigger("dev_only", "@hourly", envs=["dev"])])
    git(root, "add", "-A")
    git(root, "commit", "-qm", "fix: hotfix export pipeline", date="2026-01-09T10:00:00")
    meta = yaml.safe_load((root / "hub/pipelines/customers_sync/metadata.yaml").read_text())
    meta.update(retry_config={"retries": 3, "delay": 30}, concurrency_config={"block_run_limit": 1})
    write(root, "hub/pipelines/customers_sync/metadata.yaml", meta)
    project = yaml.safe_load((root / "hub/metadata.yaml").read_text())
    project["retry_config"] = {"retries": 2, "delay": 10}
    write(root, "hub/metadata.yaml", project)
    git(root, "commit", "-qam", "fix: more retries for customers", date="2026-01-10T10:00:00")
    write(root, "hub/io_config.yaml", io_config(prod_password=LITERAL_PASSWORD))
    write(root, "hub/requirements.txt", "pandas==2.1.0\nrequests>=2.31\nboto3==1.34.0\n")
    git(root, "commit", "-qam", "fix: prod db password", date="2026-01-11T10:00:00")
    return root


def export_branch(repo: Path, ref: str, dest: Path) -> Path:
    """The files of ``ref`` as a plain folder (a separate checkout), without .git."""
    dest.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(repo), "archive", "--format=tar", ref], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=True)
    return dest
