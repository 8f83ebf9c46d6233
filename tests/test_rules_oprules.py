"""The issue-18 cases of tests/rule_cases_oprules.py one by one (the coverage meta-test runs
them all together), the findings they make carry no secret, and the figures the rules and the
runs section read: the audited environment, the history's size, hung runs and stalls."""
from __future__ import annotations

import os
import sqlite3

import pytest
from history_support import empty_history_db, insert
from inventory_factory import make_inventory
from rule_cases_oprules import CANARY_TOKEN, CANARY_VALUE, CASES, hourly_runs, schedule

from auditkit.analytics import schedule_sync, upkeep
from auditkit.config import ConfigError, parse_config
from auditkit.readers.history import open_history


@pytest.mark.parametrize("rule_id,label,run,expected", CASES, ids=[f"{c[0]}:{c[1]}" for c in CASES])
def test_case(rule_id, label, run, expected, tmp_path):
    found = run(tmp_path)
    assert len(found) == expected, [f.message for f in found]
    for f in found:
        text = " ".join(str(v) for v in (f.message, f.evidence, f.extra))
        assert CANARY_TOKEN not in text and CANARY_VALUE not in text


def test_settings_drift_names_variable_keys_never_values(tmp_path):
    run = next(c for c in CASES if c[1] == "a variable key added in the UI (keys only)")[2]
    (finding,) = run(tmp_path)
    assert "api_key" in finding.message and CANARY_VALUE not in finding.message


def test_settings_drift_says_not_set_for_a_setting_absent_from_one_side(tmp_path):
    run = next(c for c in CASES if c[1] == "a timeout set only in the DB")[2]
    (finding,) = run(tmp_path)
    assert "settings.timeout: DB 10800, code not set" in finding.message
    assert "None" not in finding.message


def _history(tmp_path, rows):
    conn = empty_history_db(tmp_path / "h.db")
    for table, row in rows:
        insert(conn, table, **row)
    conn.close()
    return open_history(str(tmp_path / "h.db"))


def test_schedules_frame_keeps_variable_keys_and_no_token(tmp_path):
    history = _history(tmp_path, [schedule(variables={"b": CANARY_VALUE, "a": 1})])
    frame = history.schedules()
    assert frame["variable_keys"].tolist() == [["a", "b"]]
    assert "variables" not in frame.columns and "token" not in frame.columns
    assert CANARY_VALUE not in frame.to_csv() and CANARY_TOKEN not in frame.to_csv()


def test_volume_figures_agree_with_sqlite(tmp_path):
    history = _history(tmp_path, [schedule(), *hourly_runs()])
    volume = upkeep.history_volume(history)
    path = tmp_path / "h.db"
    with sqlite3.connect(path) as conn:
        runs = conn.execute("SELECT COUNT(*) FROM pipeline_run").fetchone()[0]
        page = conn.execute("PRAGMA page_size").fetchone()[0] * conn.execute("PRAGMA page_count").fetchone()[0]
    tables = volume["tables"].set_index("table")
    assert tables.loc["pipeline_run", "rows"] == runs == 24
    assert volume["db_bytes"] == page == os.path.getsize(path)
    assert volume["months"]["pipeline_runs"].sum() == runs and volume["purged"] is False
    assert str(volume["oldest"]).startswith("2026-03-01 00:01")


def test_stall_is_the_gap_with_due_ticks(tmp_path):
    history = _history(tmp_path, [schedule(schedule_interval="0 * * * *"), *hourly_runs(range(8, 14))])
    stalls = upkeep.scheduler_stalls(history)
    assert len(stalls) == 1
    assert stalls.loc[0, "duration_s"] == pytest.approx(7 * 3600, abs=0.01) and stalls.loc[0, "due_ticks"] == 6
    assert f"{stalls.loc[0, 'start']:%H:%M}" == "07:01" and f"{stalls.loc[0, 'end']:%H:%M}" == "14:01"


def test_audited_env_inference_and_config():
    assert schedule_sync.audited_env(None, make_inventory(), "staging") == ("staging", "auditkit.yaml")
    assert schedule_sync.audited_env(None, make_inventory())[0] is None
    assert parse_config({"mage_env": "Prod"}).mage_env == "prod"
    assert parse_config({}).mage_env is None
    with pytest.raises(ConfigError, match="mage_env"):
        parse_config({"mage_env": "production"})


def test_summary_and_frames_carry_no_token_or_variable_value(tmp_path):
    import json

    from auditkit.analytics.summary import history_volume_summary

    rows = [schedule(variables={"api_key": CANARY_VALUE}), schedule(2, "hook", schedule_type="API"), *hourly_runs()]
    history = _history(tmp_path, rows)
    inv = make_inventory(pipelines=[{}], triggers=[{"start_time": "2026-03-01 00:00:00", "variable_keys": []}])
    texts = [json.dumps(history_volume_summary(history, inv), default=str),
             schedule_sync.settings_drift(history, inv).to_csv(), schedule_sync.trigger_drift(history, inv).to_csv(),
             upkeep.hung_runs(history, inv).to_csv(), upkeep.scheduler_stalls(history).to_csv(),
             history.open_runs().to_csv(), history.schedules().to_csv()]
    assert "api_key" in texts[1]            # the key is named ...
    for text in texts:                      # ... never the value, never the token
        assert CANARY_TOKEN not in text and CANARY_VALUE not in text


def test_a_run_hung_since_before_the_window_is_still_open(tmp_path):
    from datetime import timedelta

    from rule_cases_oprules import COMPLETED, DAY, NEWEST, run_row

    history = _history(tmp_path, [schedule(), *COMPLETED, run_row(9, DAY + timedelta(days=2), "RUNNING"), NEWEST])
    later = history.between(since=DAY + timedelta(days=5))
    assert later.open_runs()["run_id"].tolist() == [9]
    assert upkeep.hung_runs(later)["run_id"].tolist() == [9]
    earlier = history.between(until=DAY + timedelta(days=1))
    assert earlier.open_runs().empty
