"""Facts about the run history a real Mage 0.9.80 left behind (tests/fixtures/mage_0_9_80).

The fixture was produced by tests/fixtures/make_mage_0_9_80_fixture.py (see its README):
pipelines numbers_etl (succeeds; overlapping cron runs get skipped; a 3-day backfill),
flaky_retry (retry_config retries 2: cron runs fail twice then succeed; API runs keep failing
until fixed, then one is retried with "retry blocks" and one with "retry run") and
branching_dynamic (dynamic block with reduce_output, a conditional returning False).

The first part reads the fixture with plain ``sqlite3`` opened read-only and documents
Mage's real format. The second part checks auditkit's history reader against direct SQL
and direct log counts on the same files. Nothing here needs Mage installed.
"""
from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections import Counter, defaultdict
from pathlib import Path

import pytest
import yaml
from auditkit.analytics.summary import history_summary

FIXTURE = Path(__file__).parent / "fixtures" / "mage_0_9_80"
PROJECT = FIXTURE / "project" / "mage_fixture"
MAGE_DATA = FIXTURE / "mage_data"
DB = MAGE_DATA / "mage_fixture" / "mage-ai.db"
LOG_ROOT = MAGE_DATA / "mage_fixture" / "pipelines"
PIPELINES = ("numbers_etl", "flaky_retry", "branching_dynamic")

# Section 5.3 of the Mage reference: every table of the 0.9.77-0.9.80 schema.
REFERENCE_TABLES = {
    "pipeline_schedule", "pipeline_run", "block_run", "backfill", "event_matcher",
    "pipeline_schedule_event_matcher_association", "generic_job", "user", "role", "permission",
    "user_role", "role_permission", "oauth2_application", "oauth2_access_token", "secret", "tag",
    "tag_association", "user_project", "alembic_version",
}
# Section 5.2/5.3: enum columns hold upper-case member NAMES.
ENUM_COLUMNS = {
    ("pipeline_run", "status"): {"INITIAL", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"},
    ("pipeline_run", "executor_type"): {"AZURE_CONTAINER_INSTANCE", "ECS", "GCP_CLOUD_RUN", "K8S",
                                        "LOCAL_PYTHON", "LOCAL_PYTHON_FORCE", "PYSPARK"},
    ("block_run", "status"): {"INITIAL", "QUEUED", "RUNNING", "COMPLETED", "FAILED", "CANCELLED",
                              "UPSTREAM_FAILED", "CONDITION_FAILED"},
    ("pipeline_schedule", "schedule_type"): {"TIME", "API", "EVENT"},
    ("pipeline_schedule", "status"): {"ACTIVE", "INACTIVE"},
    ("backfill", "status"): {"INITIAL", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"},
    ("backfill", "interval_type"): {"SECOND", "MINUTE", "HOUR", "DAY", "WEEK", "MONTH", "YEAR",
                                    "CUSTOM"},
    ("generic_job", "job_type"): {"CANCEL_PIPELINE_RUN"},
    ("generic_job", "status"): {"INITIAL", "QUEUED", "RUNNING", "COMPLETED", "FAILED"},
    ("permission", "entity"): {"GLOBAL", "PROJECT", "PIPELINE"},
    ("oauth2_application", "client_type"): {"PRIVATE", "PUBLIC"},
    ("oauth2_application", "authorization_grant_type"): {"AUTHORIZATION_CODE",
                                                         "CLIENT_CREDENTIALS"},
}
LOG_LINE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d) (\{.*\})$")
ATTEMPT = re.compile(r"attempt (\d+) of (\d+)")


# ----------------------------------------------------------------------------- helpers

@pytest.fixture(scope="module")
def con():
    connection = sqlite3.connect(f"file:{DB}?mode=ro", uri=True)
    connection.row_factory = sqlite3.Row
    yield connection
    connection.close()


def rows(con, sql: str, args: tuple = ()) -> list[sqlite3.Row]:
    return con.execute(sql, args).fetchall()


def schedule_id(con, pipeline: str, name: str) -> int:
    return rows(con, "select id from pipeline_schedule where pipeline_uuid=? and name=?",
                (pipeline, name))[0]["id"]


def log_files() -> list[Path]:
    return sorted(LOG_ROOT.glob("*/.logs/*/*/*.log"))


def log_records(path: Path) -> list[dict]:
    """The JSON records of one log file (traceback continuation lines are skipped)."""
    out = []
    for line in path.read_text().splitlines():
        match = LOG_LINE.match(line)
        if match:
            out.append(json.loads(match.group(2)))
    return out


def attempt_lines() -> list[tuple[str, str, int, int, int]]:
    """(pipeline, block, block_run_id, N, M) for every 'attempt N of M' record."""
    found = []
    for path in log_files():
        for rec in log_records(path):
            match = ATTEMPT.search(rec.get("message") or "")
            if match:
                found.append((rec["pipeline_uuid"], rec["block_uuid"], rec["block_run_id"],
                              int(match.group(1)), int(match.group(2))))
    return found


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ----------------------------------------------------------------------------- layout

def test_layout_is_mages_own():
    assert (PROJECT / "metadata.yaml").is_file() and (PROJECT / "io_config.yaml").is_file()
    for pipeline in PIPELINES:
        assert (PROJECT / "pipelines" / pipeline / "metadata.yaml").is_file()
        assert (PROJECT / "pipelines" / pipeline / "triggers.yaml").is_file()
        assert (LOG_ROOT / pipeline / ".logs").is_dir()
    assert DB.is_file() and DB.stat().st_size < 2 * 1024 * 1024
    # The copy is checkpointed and build artefacts are left out.
    assert not DB.with_name("mage-ai.db-wal").exists()
    assert not any(p.name in {"__pycache__", ".variables", ".ssh_tunnel"} for p in FIXTURE.rglob("*"))
    assert 10 <= len(log_files()) <= 60
    assert "help_improve_mage: false" in (PROJECT / "metadata.yaml").read_text()


# ----------------------------------------------------------------------------- schema

def test_alembic_head_of_0_9_80(con):
    assert [r[0] for r in rows(con, "select version_num from alembic_version")] == ["39d36f1dab73"]


def test_all_reference_tables_exist(con):
    tables = {r[0] for r in rows(con, "select name from sqlite_master where type='table'")}
    assert REFERENCE_TABLES <= tables
    assoc = {r["name"] for r in rows(con, "pragma table_info(pipeline_schedule_event_matcher_association)")}
    assert assoc == {"pipeline_schedule_id", "event_matcher_id"}   # no id, no timestamps


def test_auditkit_schema_matches_the_real_columns(con):
    """auditkit's schema description (used by the demo generator) names real columns only."""
    schema = pytest.importorskip("auditkit.readers.history.schema")
    for table, columns in schema.TABLES.items():
        real = {r["name"] for r in rows(con, f'pragma table_info("{table}")')}
        assert {name for name, _ in columns} == real, table


def test_enum_columns_store_upper_case_names(con):
    for (table, column), allowed in ENUM_COLUMNS.items():
        values = {r[0] for r in rows(con, f'select distinct "{column}" from "{table}" '
                                          f'where "{column}" is not null')}
        assert values <= allowed, (table, column, values - allowed)
    # Every status this fixture is meant to show is really there.
    assert {r[0] for r in rows(con, "select distinct status from pipeline_run")} >= {
        "COMPLETED", "FAILED", "CANCELLED"}
    assert {r[0] for r in rows(con, "select distinct status from block_run")} >= {
        "COMPLETED", "FAILED", "CANCELLED", "CONDITION_FAILED"}
    assert {r[0] for r in rows(con, "select distinct schedule_type from pipeline_schedule")} == {
        "TIME", "API", None}


def test_sqlite_enum_columns_are_short_varchars(con):
    """VARCHAR(longest name at creation), not enforced: CONDITION_FAILED fits in VARCHAR(9)."""
    types = {r["name"]: r["type"] for r in rows(con, "pragma table_info(block_run)")}
    assert types["status"] == "VARCHAR(9)"
    assert rows(con, "select count(*) from block_run where length(status) > 9")[0][0] >= 1


# ----------------------------------------------------------------------------- triggers

def test_triggers_yaml_rewritten_with_full_keys_and_synced(con):
    full_keys = {"description", "envs", "last_enabled_at", "name", "pipeline_uuid",
                 "schedule_interval", "schedule_type", "settings", "sla", "start_time", "status",
                 "token", "variables"}
    for pipeline in PIPELINES:
        doc = yaml.safe_load((PROJECT / "pipelines" / pipeline / "triggers.yaml").read_text())
        for entry in doc["triggers"]:
            assert set(entry) == full_keys
            db_row = rows(con, "select * from pipeline_schedule where pipeline_uuid=? and name=?",
                          (pipeline, entry["name"]))
            assert len(db_row) == 1
            assert db_row[0]["schedule_type"] == entry["schedule_type"].upper()
            assert db_row[0]["repo_path"].endswith("/mage_fixture")
            if entry["schedule_interval"] == "@once":
                # The DB row flips to INACTIVE after the run; the YAML keeps 'active'.
                assert entry["status"] == "active" and db_row[0]["status"] == "INACTIVE"


def test_api_token_from_yaml_and_random_tokens_elsewhere(con):
    doc = yaml.safe_load((PROJECT / "pipelines/flaky_retry/triggers.yaml").read_text())
    api = next(t for t in doc["triggers"] if t["schedule_type"] == "api")
    assert api["token"]
    tokens = {r["name"]: r["token"] for r in rows(con, "select name, token from pipeline_schedule "
                                                      "where pipeline_uuid='flaky_retry'")}
    assert tokens[api["name"]] == api["token"]
    assert re.fullmatch(r"[0-9a-f]{32}", tokens["every_two_minutes"])   # uuid4 hex from create()


# ----------------------------------------------------------------------------- runs

def test_skipped_ticks_are_cancelled_runs_without_block_runs(con):
    sid = schedule_id(con, "numbers_etl", "every_minute_overlapping")
    settings = json.loads(rows(con, "select settings from pipeline_schedule where id=?", (sid,))[0][0])
    assert settings == {"skip_if_previous_running": True}
    skipped = rows(con, "select * from pipeline_run where status='CANCELLED' and id not in "
                        "(select pipeline_run_id from block_run)")
    assert len(skipped) >= 1
    for run in skipped:
        assert run["pipeline_schedule_id"] == sid and run["started_at"] is None
        # Observed: skipped runs get an execution_partition with a zero microsecond suffix.
        partition = json.loads(run["variables"])["execution_partition"]
        assert re.fullmatch(rf"{sid}/\d{{8}}T\d{{6}}_000000", partition)


def test_api_runs_carry_partition_and_event_variables(con):
    sid = schedule_id(con, "flaky_retry", "api_broken")
    runs = rows(con, "select * from pipeline_run where pipeline_schedule_id=?", (sid,))
    assert len(runs) >= 3
    for run in runs:
        variables = json.loads(run["variables"])
        stamp = run["execution_date"].replace("-", "").replace(":", "").replace(" ", "T").replace(".", "_")
        assert variables["execution_partition"] == f"{sid}/{stamp}"
        assert variables["mode"] == "broken"
        assert json.loads(run["event_variables"]) == {"source": "fixture"}


def test_retry_run_is_a_new_row_with_same_schedule_and_execution_date(con):
    groups = rows(con, "select pipeline_schedule_id, execution_date, group_concat(status) s, "
                       "count(*) n, count(distinct json_extract(variables, '$.execution_partition')) p "
                       "from pipeline_run group by 1, 2 having count(*) > 1")
    # The backfill's days and the cron ticks are distinct; only the retried API run repeats.
    assert len(groups) == 1
    assert sorted(groups[0]["s"].split(",")) == ["COMPLETED", "FAILED"] and groups[0]["p"] == 1


def test_block_run_metrics_shapes(con):
    failed = rows(con, "select metrics from block_run where status='FAILED'")
    assert failed
    for row in failed:
        error = json.loads(row[0])["error"]
        assert set(error) == {"error", "errors", "message"}
        assert isinstance(error["errors"], list) and "Traceback" in error["message"]
    # "Retry blocks": the COMPLETED block run keeps the previous error.
    retried = rows(con, "select br.metrics from block_run br join pipeline_run pr on "
                        "pr.id = br.pipeline_run_id where br.status='COMPLETED' and "
                        "json_extract(br.metrics, '$.error') is not null")
    assert len(retried) == 1
    assert "broken mode" in json.loads(retried[0][0])["error"]["error"]
    # Never-run blocks have SQL NULL metrics; a plain success has {}.
    for status in ("CANCELLED", "CONDITION_FAILED", "INITIAL"):
        assert {r[0] for r in rows(con, "select metrics from block_run where status=?", (status,))} <= {None}
    assert rows(con, "select metrics from block_run where block_uuid='load_orders' "
                     "and status='COMPLETED' limit 1")[0][0] == "{}"
    # Automatic retries leave no trace in the DB: cron runs of flaky_enrich end COMPLETED, {}.
    sid = schedule_id(con, "flaky_retry", "every_two_minutes")
    cron = rows(con, "select br.status, br.metrics from block_run br join pipeline_run pr on "
                     "pr.id = br.pipeline_run_id where pr.pipeline_schedule_id=? and "
                     "br.block_uuid='flaky_enrich'", (sid,))
    assert cron and all(r["status"] == "COMPLETED" and r["metrics"] == "{}" for r in cron)


def test_fail_fast_cancels_downstream_and_leaves_completed_at_null(con):
    run = rows(con, "select * from pipeline_run where status='FAILED'")[0]
    assert run["completed_at"] is None
    statuses = dict(rows(con, "select block_uuid, status from block_run where pipeline_run_id=?",
                         (run["id"],)))
    assert statuses == {"load_orders": "COMPLETED", "flaky_enrich": "FAILED",
                        "export_orders": "CANCELLED"}


def test_dynamic_children_and_false_conditional(con):
    run_id = rows(con, "select id from pipeline_run where pipeline_uuid='branching_dynamic'")[0][0]
    blocks = {r["block_uuid"]: r for r in rows(con, "select * from block_run where pipeline_run_id=?",
                                                (run_id,))}
    assert {"summarize_region:eu", "summarize_region:us", "summarize_region:apac"} <= set(blocks)
    assert json.loads(blocks["list_regions"]["metrics"]) == {"metadata": {"flags": ["dynamic"]}}
    child = json.loads(blocks["summarize_region:us"]["metrics"])
    assert child["dynamic_block_index"] == 1
    assert blocks["archive_regions"]["status"] == "CONDITION_FAILED"
    assert "is_archive_day" not in blocks          # conditionals get no block_run row


def test_backfill_rows(con):
    fill = rows(con, "select * from backfill")[0]
    assert (fill["status"], fill["interval_type"], fill["interval_units"]) == ("COMPLETED", "DAY", 1)
    sched = rows(con, "select * from pipeline_schedule where id=?", (fill["pipeline_schedule_id"],))[0]
    assert sched["name"] == "Backfill january_catch_up"
    assert sched["schedule_type"] is None and sched["repo_path"] is None
    assert sched["schedule_interval"] == "@once" and sched["status"] == "INACTIVE"
    assert sched["variables"] == "null"           # the JSON literal, not SQL NULL
    runs = rows(con, "select execution_date, variables from pipeline_run where backfill_id=? "
                     "order by execution_date", (fill["id"],))
    assert [r[0][:10] for r in runs] == ["2024-01-01", "2024-01-02", "2024-01-03"]
    assert [json.loads(r[1])["ds"] for r in runs] == ["2024-01-01", "2024-01-02", "2024-01-03"]


def test_default_admin_roles_and_frontend_app(con):
    bcrypt = pytest.importorskip("bcrypt")
    user = rows(con, "select * from user")
    assert len(user) == 1 and user[0]["email"] == "admin@admin.com" and user[0]["username"] == "admin"
    assert bcrypt.checkpw(b"admin", user[0]["password_hash"].encode())   # the default password
    assert rows(con, "select typeof(password_salt) from user")[0][0] == "blob"
    assert user[0]["owner"] == 0
    roles = {r["id"]: r["name"] for r in rows(con, "select id, name from role")}
    assert sorted(roles.values()) == ["Admin", "Editor", "Owner", "Viewer"]
    access = {roles[r["role_id"]]: r["access"] for r in rows(
        con, "select role_id, access from permission where entity='GLOBAL'")}
    assert access == {"Owner": 1, "Admin": 2, "Editor": 4, "Viewer": 8}
    link = rows(con, "select role_id from user_role where user_id=?", (user[0]["id"],))
    assert [roles[r[0]] for r in link] == ["Owner"]
    app = rows(con, "select * from oauth2_application")[0]
    assert (app["name"], app["client_type"]) == ("frontend", "PUBLIC")
    assert app["client_id"] == "zkWlN0PkIKSN0C11CfUHUj84OT5XOJ6tDZ6bDRO2"
    assert rows(con, "select count(*) from secret")[0][0] == 0


# ----------------------------------------------------------------------------- logs

def test_log_lines_are_timestamp_json_or_traceback_continuations():
    required = {"block_run_id", "block_uuid", "pipeline_run_id", "pipeline_schedule_id",
                "pipeline_uuid", "level", "message"}
    levels = Counter()
    for path in log_files():
        pipeline, sid = path.parts[-5], path.parts[-3]
        previous_level = None
        for line in path.read_text().splitlines():
            match = LOG_LINE.match(line)
            if not match:
                # Observed: after an EXCEPTION record Mage writes the raw traceback as plain lines.
                assert previous_level == "EXCEPTION", (path, line[:80])
                continue
            record = json.loads(match.group(2))
            previous_level = record["level"]
            levels[record["level"]] += 1
            assert record["pipeline_uuid"] == pipeline
            assert str(record["pipeline_schedule_id"]) == sid
            if path.name != "scheduler.log":
                assert required <= set(record)
                # Dynamic children log to <child>_<suffix>.log (':' becomes '_').
                assert record["block_uuid"].replace(":", "_") == path.stem
    assert set(levels) == {"INFO", "WARNING", "EXCEPTION"}    # failures log EXCEPTION, not ERROR


def test_log_partitions_match_runs(con):
    for path in log_files():
        if path.name == "scheduler.log":
            continue
        run_ids = {r["pipeline_run_id"] for r in log_records(path)}
        for run_id in run_ids:
            run = rows(con, "select * from pipeline_run where id=?", (run_id,))[0]
            variables = json.loads(run["variables"] or "{}") or {}
            expected = variables.get("execution_partition") or (
                f"{run['pipeline_schedule_id']}/" + run["execution_date"][:19]
                .replace("-", "").replace(":", "").replace(" ", "T"))
            assert path.parent.relative_to(path.parents[2]).as_posix() == expected


def test_attempt_lines_of_the_retrying_block(con):
    found = attempt_lines()
    assert found and {(p, b) for p, b, *_ in found} == {("flaky_retry", "flaky_enrich")}
    assert {m for *_, m in found} == {3}                       # retries: 2 -> M = 3
    by_run = defaultdict(list)
    for _, _, run_id, n, _ in found:
        by_run[run_id].append(n)
    status = {r["id"]: (r["status"], r["metrics"]) for r in rows(con, "select * from block_run")}
    kinds = Counter()
    for run_id, attempts in by_run.items():
        if sorted(attempts) == [1, 2]:                         # failed twice, then succeeded
            assert status[run_id] == ("COMPLETED", "{}")
            kinds["recovered"] += 1
        else:                                                  # all attempts failed
            assert sorted(attempts) == [1, 2, 3]
            assert "error" in json.loads(status[run_id][1])
            kinds[status[run_id][0]] += 1
    # Cron runs recovered; one broken run stayed FAILED; one was re-run with "retry blocks".
    assert kinds["recovered"] >= 2 and kinds["FAILED"] == 1 and kinds["COMPLETED"] == 1


# ----------------------------------------------------------------------------- auditkit reader

@pytest.fixture(scope="module")
def history():
    module = pytest.importorskip("auditkit.readers.history")
    before = file_digest(DB)
    opened = module.open_history(mage_data=str(MAGE_DATA))
    yield opened
    opened.close()
    assert file_digest(DB) == before                  # the reader never writes
    assert not DB.with_name("mage-ai.db-wal").exists()


def test_reader_finds_db_and_logs_in_mage_data(history):
    assert history.available and history.alembic_version == "39d36f1dab73"
    assert Path(history.log_root).resolve() == LOG_ROOT.resolve()
    assert [p for p in history.problems if p.kind == "history"] == []


def test_reader_run_counts_equal_direct_sql(history, con):
    summary = history_summary(history)
    expected = defaultdict(dict)
    for r in rows(con, "select pipeline_uuid, status, count(*) from pipeline_run group by 1, 2"):
        expected[r[0]][r[1]] = r[2]
    assert summary["pipeline_runs"] == dict(expected)
    expected_blocks = defaultdict(dict)
    for r in rows(con, "select pr.pipeline_uuid, br.status, count(*) from block_run br join "
                       "pipeline_run pr on pr.id = br.pipeline_run_id group by 1, 2"):
        expected_blocks[r[0]][r[1]] = r[2]
    assert summary["block_runs"] == dict(expected_blocks)


def test_reader_block_stats_count_kept_errors(history, con):
    stats = history.block_run_stats()
    with_error = stats.loc[(stats["block"] == "flaky_enrich") & (stats["status"] == "COMPLETED"),
                           "with_error"].sum()
    direct = rows(con, "select count(*) from block_run where block_uuid='flaky_enrich' and "
                       "status='COMPLETED' and json_extract(metrics, '$.error') is not null")[0][0]
    assert int(with_error) == direct == 1


def test_reader_backfills_equal_direct_sql(history, con):
    expected = [{"id": r[0], "name": r[1], "pipeline_uuid": r[2], "status": r[3],
                 "runs": r[4], "failed_runs": r[5]} for r in rows(
        con, "select b.id, b.name, b.pipeline_uuid, b.status, count(pr.id), "
             "sum(case when pr.status='FAILED' then 1 else 0 end) from backfill b "
             "left join pipeline_run pr on pr.backfill_id = b.id group by b.id")]
    assert history_summary(history)["backfills"] == expected


def test_reader_retry_attempts_equal_log_counts(history):
    retries = Counter(f"{p}/{b}" for p, b, _, n, m in attempt_lines() if n < m)
    assert history_summary(history)["retry_attempts"] == dict(retries)
    assert retries == {"flaky_retry/flaky_enrich": sum(1 for *_, n, m in attempt_lines() if n < m)}


def test_reader_final_failures_equal_log_counts(history):
    finals = sum(1 for *_, n, m in attempt_lines() if n == m)
    by_block = history.logs.retries_by_block()
    assert int(by_block["final_failures"].sum()) == finals == 2


def test_reader_schedules_hide_tokens(history, con):
    frame = history.schedules()
    assert "token" not in frame.columns
    assert len(frame) == rows(con, "select count(*) from pipeline_schedule")[0][0]
    assert bool(frame["has_token"].all())
    secret = rows(con, "select token from pipeline_schedule where name='api_broken'")[0][0]
    assert secret not in frame.to_csv()


def test_reader_accepts_traceback_continuation_lines(history):
    """Real Mage 0.9.80 writes the plain traceback after each EXCEPTION record."""
    assert history.logs.bad_lines == 0
    assert history.logs.continuation_lines > 0


def test_reader_collects_block_failures_from_logs(history):
    errors = history.logs.errors
    assert set(errors["block_uuid"]) == {"flaky_enrich"}
