"""Materialise the embedded demo repo, optionally with a deterministic git history.

The packaged tree (``DEMO_PROJECT_DIR``) is the final state of the demo team's ``main``
branch. :func:`materialize_demo` copies it to a folder and, with ``with_git``, replays a
scripted history of about six months: feature branches merged into ``development`` and then
``main``, a few commits made straight on ``main``, a badly named branch, unmerged work and
release tags. Every commit has a fixed author, committer and date, so the same demo content
always gives the same commit hashes.

Only the ``git`` command line is used, with the user's global and system git config ignored.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

DEMO_PROJECT_DIR = Path(__file__).resolve().parent / "project"
DEMO_PROJECT_NAME = "analytics_hub"

# Pipeline folder uuids of the demo; the run-history generator uses the same list.
DEMO_PIPELINES: list[str] = [
    "sales_daily_revenue_report",
    "marketing_campaign_attribution_hourly",
    "finance_monthly_reconciliation",
    "product_events_realtime",
    "crm_salesforce_sync_daily",
    "load_and_transform_customers",
    "ops_file_ingest_daily",
    "test_pipeline_2",
]

DEMO_BRANCHES: list[str] = [
    "main", "development", "feature/stripe-loaders", "feature/finance-close",
    "feature/salesforce-sync", "feature/product-events-stream", "feature/ops-file-ingest",
    "feature/attribution-v2", "johns-fix",
]
DEMO_TAGS: list[str] = ["v0.1.0", "v0.2.0", "v0.3.0"]

_SKIP_NAMES = {"__pycache__", ".DS_Store"}
_COMMITTER = ("Acme CI", "ci@acme-analytics.io")
_AUTHORS = {
    "maya": ("Maya Chen", "maya.chen@acme-analytics.io"),
    "tom": ("Tom Okafor", "tom.okafor@acme-analytics.io"),
    "john": ("John Miller", "john.m@acme-analytics.io"),
}
_HUB = DEMO_PROJECT_NAME


@dataclass
class _Step:
    """One scripted history event; exactly one of add/draft/append/merge/branch/tag is used."""

    branch: str
    date: str = ""
    author: str = "maya"
    message: str = ""
    add: list[str] = field(default_factory=list)        # globs (* in a folder, ** across): final content
    draft: list[str] = field(default_factory=list)      # path globs: write an earlier, shorter version
    append: dict[str, str] = field(default_factory=dict)  # path -> text appended (unmerged work)
    merge: str | None = None                            # branch merged into ``branch``
    start_from: str | None = None                       # create ``branch`` from this branch
    tag: str | None = None                              # tag the tip of ``branch``


def _s(branch, date, author, message, *add, draft=(), append=None):
    return _Step(branch, f"{date}T{_time(date, message)}+00:00", author, message, list(add), list(draft),
                 dict(append or {}))


def _time(date: str, message: str) -> str:
    # Spread commits over the working day without a random generator: stable per message.
    minutes = 9 * 60 + sum(map(ord, date + message)) % (8 * 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}:{sum(map(ord, message)) % 60:02d}"


def _branch(name, from_branch):
    return _Step(name, start_from=from_branch)


def _merge(source, into, date, author, message):
    return _Step(into, f"{date}T17:05:00+00:00", author, message, merge=source)


def _tag(name, branch):
    return _Step(branch, tag=name)


_P = f"{_HUB}/pipelines"
HISTORY: list[_Step] = [
    _s("main", "2024-05-02", "maya", "Initial commit", ".gitignore", "requirements.txt",
       "docker-compose.yml", draft=["README.md"]),
    _s("main", "2024-05-02", "maya", "add mage project", f"{_HUB}/__init__.py", f"{_HUB}/*/__init__.py",
       f"{_HUB}/.gitignore", f"{_HUB}/metadata.yaml", f"{_HUB}/io_config.yaml", f"{_HUB}/requirements.txt",
       f"{_HUB}/dbt/profiles.yml"),
    _s("main", "2024-05-02", "maya", "wip", f"{_P}/test_pipeline_2/*", f"{_HUB}/data_loaders/load_titanic.py",
       f"{_HUB}/transformers/fill_in_missing_values.py", f"{_HUB}/data_exporters/export_titanic_clean.py"),
    _branch("development", "main"),
    _branch("feature/stripe-loaders", "development"),
    _s("feature/stripe-loaders", "2024-05-06", "maya", "feat: add stripe loader",
       f"{_HUB}/utils/stripe_client.py", f"{_HUB}/utils/dates.py", f"{_HUB}/data_loaders/api/*"),
    _s("feature/stripe-loaders", "2024-05-07", "maya", "feat: add postgres orders loader and fx rates",
       f"{_HUB}/data_loaders/database/*", f"{_HUB}/data_loaders/load_fx_rates.sql", f"{_HUB}/utils/warehouse.py"),
    _s("feature/stripe-loaders", "2024-05-09", "tom", "feat(sales): cleaning and join transformers",
       f"{_HUB}/transformers/cleaning/*", f"{_HUB}/transformers/transform_join_orders_charges.py",
       f"{_HUB}/transformers/transform_flag_refund_anomalies.py", draft=[f"{_HUB}/utils/logging_helpers.py"]),
    _s("feature/stripe-loaders", "2024-05-10", "maya", "feat(sales): regional fan-out with dynamic blocks",
       f"{_HUB}/transformers/transform_split_by_region.py", f"{_HUB}/transformers/aggregation/*",
       f"{_HUB}/transformers/transform_combine_region_totals.py", f"{_HUB}/data_exporters/export_revenue_*",
       f"{_HUB}/data_exporters/export_daily_summary_*", f"{_HUB}/markdowns/*.md", f"{_HUB}/conditionals/*.py",
       f"{_HUB}/callbacks/*.py", f"{_HUB}/charts/*.py", f"{_P}/sales_daily_revenue_report/metadata.yaml",
       f"{_P}/sales_daily_revenue_report/__init__.py"),
    _s("feature/stripe-loaders", "2024-05-13", "maya", "feat(sales): schedule daily revenue trigger",
       f"{_P}/sales_daily_revenue_report/triggers.yaml"),
    _merge("feature/stripe-loaders", "development", "2024-05-13", "maya",
           "Merge branch 'feature/stripe-loaders' into development"),
    _merge("development", "main", "2024-05-14", "maya", "release: sales daily revenue report"),
    _tag("v0.1.0", "main"),
    _branch("feature/finance-close", "development"),
    _s("feature/finance-close", "2024-05-20", "tom", "feat: finance reconciliation pipeline skeleton",
       f"{_HUB}/data_loaders/load_gl_entries.sql", f"{_HUB}/data_loaders/load_bank_statements.py",
       f"{_HUB}/data_loaders/load_stripe_payouts.sql", f"{_P}/finance_monthly_reconciliation/__init__.py",
       f"{_P}/finance_monthly_reconciliation/metadata.yaml"),
    _s("feature/finance-close", "2024-05-24", "tom", "feat(finance): dbt ledger balances model",
       f"{_HUB}/dbt/analytics/**"),
    _s("feature/finance-close", "2024-05-29", "tom", "feat(finance): reconcile bank and stripe accounts",
       draft=[f"{_HUB}/transformers/transform_reconcile_ledger.py"]),
    _s("development", "2024-06-03", "john", "marketing stuff", f"{_HUB}/data_loaders/load_google_ads_spend.py",
       f"{_HUB}/data_loaders/load_facebook_ads_spend.py", f"{_HUB}/data_loaders/load_web_sessions.sql",
       f"{_HUB}/data_loaders/load_and_export_campaign_touchpoints.py",
       f"{_P}/marketing_campaign_attribution_hourly/__init__.py",
       f"{_P}/marketing_campaign_attribution_hourly/metadata.yaml"),
    _s("feature/finance-close", "2024-06-04", "tom", "feat(finance): reconcile subledger, schedule and tax accounts",
       f"{_HUB}/transformers/transform_reconcile_ledger.py"),
    _s("development", "2024-06-05", "john", "fix", f"{_HUB}/transformers/transform_normalize_ad_spend.py",
       f"{_HUB}/transformers/sessionize_touchpoints.py", f"{_HUB}/transformers/transform_attribute_*.py",
       f"{_HUB}/transformers/merge_attribution_models.py", f"{_HUB}/data_exporters/export_attribution_*"),
    _s("feature/finance-close", "2024-06-06", "tom",
       "feat(finance): exports, variance summary and month-close trigger",
       f"{_HUB}/transformers/transform_flag_discrepancies.sql", f"{_HUB}/transformers/summarize_variance.r",
       f"{_HUB}/data_exporters/export_reconciliation_report.py",
       f"{_HUB}/data_exporters/export_discrepancies_to_snowflake.py", f"{_HUB}/data_exporters/export_audit_trail.py",
       f"{_P}/finance_monthly_reconciliation/triggers.yaml"),
    _merge("feature/finance-close", "development", "2024-06-07", "tom",
           "Merge branch 'feature/finance-close' into development"),
    _s("development", "2024-06-10", "john", "asdf", f"{_HUB}/transformers/marketing/**",
       f"{_P}/marketing_campaign_attribution_hourly/triggers.yaml"),
    _merge("development", "main", "2024-06-11", "john", "Merge branch 'development'"),
    _branch("feature/salesforce-sync", "development"),
    _s("feature/salesforce-sync", "2024-06-24", "maya", "feat: salesforce to snowflake integration pipeline",
       f"{_HUB}/data_loaders/salesforce_source.yaml", f"{_HUB}/data_exporters/snowflake_destination.yaml",
       f"{_P}/crm_salesforce_sync_daily/__init__.py", f"{_P}/crm_salesforce_sync_daily/metadata.yaml",
       f"{_P}/crm_salesforce_sync_daily/data_integration_catalog.json"),
    _s("feature/salesforce-sync", "2024-06-26", "maya", "feat(crm): mask contact PII before load",
       f"{_HUB}/transformers/mask_contact_pii.py", f"{_P}/crm_salesforce_sync_daily/triggers.yaml"),
    _merge("feature/salesforce-sync", "development", "2024-06-27", "maya",
           "Merge branch 'feature/salesforce-sync' into development"),
    _branch("feature/product-events-stream", "development"),
    _s("feature/product-events-stream", "2024-07-15", "tom", "feat: kafka product events streaming pipeline",
       f"{_HUB}/data_loaders/kafka_product_events.yaml", f"{_HUB}/transformers/filter_bot_traffic.py",
       f"{_HUB}/data_exporters/sink_events_to_clickhouse.yaml", f"{_P}/product_events_realtime/__init__.py",
       f"{_P}/product_events_realtime/metadata.yaml",
       draft=[f"{_HUB}/transformers/transform_enrich_product_events.py"]),
    _s("feature/product-events-stream", "2024-07-18", "tom", "fix(streaming): hash user identifiers",
       f"{_HUB}/transformers/transform_enrich_product_events.py", f"{_P}/product_events_realtime/triggers.yaml"),
    _merge("feature/product-events-stream", "development", "2024-07-19", "tom",
           "Merge branch 'feature/product-events-stream' into development"),
    _merge("development", "main", "2024-07-22", "maya", "release: finance close, crm sync, product events"),
    _tag("v0.2.0", "main"),
    _s("development", "2024-08-01", "maya", "docs: describe repo layout", "README.md"),
    _s("main", "2024-08-12", "john", "LoadAndTransformCustomers", f"{_HUB}/data_loaders/load_customers_csv.py",
       f"{_HUB}/transformers/customer_stuff.py", f"{_HUB}/transformers/apply_rules.py",
       f"{_HUB}/data_exporters/export_customers.py", f"{_P}/load_and_transform_customers/*"),
    _branch("johns-fix", "main"),
    _s("johns-fix", "2024-08-14", "john", "fix customers",
       append={f"{_HUB}/transformers/customer_stuff.py": "    # TODO close conn\n"}),
    _s("development", "2024-08-20", "maya", "chore: prod docker compose and deploy workflow",
       "docker-compose.prod.yml", ".github/**"),
    _s("development", "2024-08-21", "john", "add env", ".env"),
    _branch("feature/ops-file-ingest", "development"),
    _s("feature/ops-file-ingest", "2024-09-02", "maya", "feat: partner file ingest with dynamic fan-out",
       f"{_HUB}/data_loaders/file/list_landing_files.py", f"{_HUB}/sensors/*.py",
       f"{_P}/ops_file_ingest_daily/__init__.py", f"{_P}/ops_file_ingest_daily/metadata.yaml"),
    _s("feature/ops-file-ingest", "2024-09-05", "maya", "feat(ops): chunked reads with checkpoints",
       draft=[f"{_HUB}/data_loaders/file/load_landing_file_chunked.py"]),
    _s("feature/ops-file-ingest", "2024-09-09", "maya", "feat(ops): validate, merge and archive partner files",
       f"{_HUB}/data_loaders/file/load_landing_file_chunked.py", f"{_HUB}/transformers/file/*",
       f"{_HUB}/transformers/transform_merge_file_batches.py", f"{_HUB}/data_exporters/export_files_to_lake.py",
       f"{_HUB}/custom/*.py"),
    _s("feature/ops-file-ingest", "2024-09-10", "maya", "feat(ops): daily ingest trigger",
       f"{_P}/ops_file_ingest_daily/triggers.yaml"),
    _merge("feature/ops-file-ingest", "development", "2024-09-11", "maya",
           "Merge branch 'feature/ops-file-ingest' into development"),
    _s("development", "2024-09-20", "tom", "refactor: share logging helpers", f"{_HUB}/utils/logging_helpers.py"),
    _s("development", "2024-10-01", "john", "wip", f"{_HUB}/data_loaders/load_hubspot_contacts_old.py",
       f"{_HUB}/transformers/scratch_revenue_check.py"),
    _branch("feature/attribution-v2", "development"),
    _s("feature/attribution-v2", "2024-10-14", "tom", "feat(marketing): WIP time-decay attribution",
       append={f"{_HUB}/transformers/merge_attribution_models.py":
               "\n\ndef time_decay_weights(n_touches, half_life_days=7):\n    raise NotImplementedError\n"}),
    # Anything the script above did not place lands here, so main always ends as the full tree.
    _s("development", "2024-10-25", "maya", "chore: add block template for snowflake upserts",
       f"{_HUB}/custom_templates/**", "**"),
    _merge("development", "main", "2024-10-28", "maya", "release: ops file ingest"),
    _tag("v0.3.0", "main"),
]


def demo_files(src: Path = DEMO_PROJECT_DIR) -> list[str]:
    """Repo-relative POSIX paths of every file of the packaged demo tree, sorted."""
    files = []
    for path in sorted(src.rglob("*")):
        rel = path.relative_to(src)
        if path.is_file() and not _skipped(rel):
            files.append(rel.as_posix())
    return files


def _skipped(rel: Path) -> bool:
    return any(part in _SKIP_NAMES for part in rel.parts) or rel.suffix == ".pyc"


def materialize_demo(dest: str | Path, *, with_git: bool = True) -> Path:
    """Copy the demo repo to ``dest`` (replacing an earlier copy) and return its path.

    With ``with_git`` the copy is a git repo with the scripted history checked out on
    ``main``; without it, just the files. ``dest`` must not exist, be empty, or hold an
    earlier demo copy: any other content is refused rather than deleted.
    """
    dest = Path(dest).resolve()
    files = demo_files()
    _clear_previous_copy(dest, set(files))
    dest.mkdir(parents=True, exist_ok=True)
    if not with_git:
        for rel in files:
            _write(dest / rel, (DEMO_PROJECT_DIR / rel).read_bytes())
        return dest
    _replay_history(dest, files)
    return dest


def _clear_previous_copy(dest: Path, demo_paths: set[str]) -> None:
    if not dest.exists():
        return
    if not dest.is_dir():
        raise FileExistsError(f"{dest} exists and is not a folder")
    extra_files = []
    for path in dest.rglob("*"):
        rel = path.relative_to(dest)
        if rel.parts[0] == ".git" or _skipped(rel) or not path.is_file():
            continue
        if rel.as_posix() not in demo_paths:
            extra_files.append(rel.as_posix())
    if extra_files:
        raise FileExistsError(
            f"{dest} holds files that are not part of the demo (e.g. {extra_files[0]}); not replacing it")
    shutil.rmtree(dest)


def _write(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)


def _draft(content: bytes) -> bytes:
    """An earlier version of a file: its first ~60% of lines."""
    lines = content.splitlines(keepends=True)
    return b"".join(lines[: max(1, len(lines) * 3 // 5)])


def _git_env(date: str | None, author: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    name, email = _AUTHORS[author]
    env.update(GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1", GIT_AUTHOR_NAME=name,
               GIT_AUTHOR_EMAIL=email, GIT_COMMITTER_NAME=_COMMITTER[0], GIT_COMMITTER_EMAIL=_COMMITTER[1],
               TZ="UTC", LC_ALL="C")
    if date:
        env.update(GIT_AUTHOR_DATE=date, GIT_COMMITTER_DATE=date)
    return env


def _git(repo: Path, *args: str, date: str | None = None, author: str = "maya") -> str:
    cmd = ["git", "-c", f"user.name={_COMMITTER[0]}", "-c", f"user.email={_COMMITTER[1]}",
           "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false", "-c", "core.autocrlf=false",
           "-c", "core.hooksPath=" + os.devnull, "-c", "init.defaultBranch=main", *args]
    done = subprocess.run(cmd, cwd=repo, env=_git_env(date, author), capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args[:2])} failed in the demo repo: {done.stderr.strip()}")
    return done.stdout


def _replay_history(repo: Path, files: list[str]) -> None:
    written: set[str] = set()  # files whose final content is committed somewhere
    _git(repo, "init", "-q", "-b", "main")
    current = "main"
    for step in HISTORY:
        if step.start_from:
            _git(repo, "checkout", "-q", "-b", step.branch, step.start_from)
            current = step.branch
            continue
        if step.tag:
            _git(repo, "tag", step.tag, step.branch)
            continue
        if step.branch != current:  # also avoids checking out the unborn main before commit one
            _git(repo, "checkout", "-q", step.branch)
            current = step.branch
        if step.merge:
            _git(repo, "merge", "-q", "--no-ff", "-m", step.message, step.merge,
                 date=step.date, author=step.author)
            continue
        for rel in _matching(files, step.draft, written):
            _write(repo / rel, _draft((DEMO_PROJECT_DIR / rel).read_bytes()))
        for rel in _matching(files, step.add, written):
            _write(repo / rel, (DEMO_PROJECT_DIR / rel).read_bytes())
            written.add(rel)
        for rel, text in step.append.items():
            with open(repo / rel, "a", encoding="utf-8") as handle:
                handle.write(text)
        _git(repo, "add", "-A")
        if not _git(repo, "status", "--porcelain").strip():
            continue  # e.g. the catch-all step when every file was already placed
        _git(repo, "commit", "-q", "-m", step.message, date=step.date, author=step.author)
    _git(repo, "checkout", "-q", "main")


def _glob_regex(pattern: str) -> re.Pattern:
    """``*`` matches within one folder, ``**`` across folders."""
    parts = (".*" if piece == "**" else re.escape(piece).replace(r"\*", "[^/]*")
             for piece in re.split(r"(\*\*)", pattern))
    return re.compile("".join(parts) + r"\Z")


def _matching(files: list[str], patterns: list[str], done: set[str]) -> list[str]:
    regexes = [_glob_regex(p) for p in patterns]
    return [f for f in files if f not in done and any(r.match(f) for r in regexes)]
