"""Block-log streaming: attempt counting (N < M is a retry, N = M the final failure), errors,
bad lines, long lines, symlinks."""
from __future__ import annotations

import json
import os

from auditkit.readers.history import scan_logs


def _line(stamp: str, level: str, message: str, block: str = "api/load", run_id: int = 7) -> str:
    payload = {"block_run_id": run_id, "block_uuid": block, "pipeline_run_id": 3,
               "pipeline_schedule_id": 1, "pipeline_uuid": "p1", "hostname": "h",
               "block_type": "data_loader", "level": level, "message": message}
    return f"{stamp} {json.dumps(payload)}\n"


def _write(root, rel: str, lines: list[str]):
    path = root / "p1" / ".logs" / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(lines))
    return path


def test_attempts_count_only_lines_below_the_last_attempt(tmp_path):
    # Block with retries=2 that failed twice then succeeded: two retries, no final failure.
    _write(tmp_path, "1/20260101T000000/api_load.log", [
        _line("2026-01-01T00:00:01", "INFO", "Start executing block with BlockExecutor."),
        _line("2026-01-01T00:00:05", "WARNING", "Exception thrown when attempting to run api/load, attempt 1 of 3"),
        _line("2026-01-01T00:00:15", "WARNING", "Exception thrown when attempting to run api/load, attempt 2 of 3"),
        _line("2026-01-01T00:00:30", "INFO", "Finish executing block with BlockExecutor."),
    ])
    # Block without retries that failed: 'attempt 1 of 1' is the final failure, not a retry.
    _write(tmp_path, "1/20260102T000000/clean.log", [
        _line("2026-01-02T00:00:05", "WARNING", "Exception thrown when attempting to run clean, attempt 1 of 1",
              block="clean", run_id=8),
        _line("2026-01-02T00:00:05", "ERROR", "Failed: KeyError 'x'\nTraceback ...", block="clean", run_id=8),
    ])
    scan = scan_logs(tmp_path)
    by_block = scan.retries_by_block().set_index("block_uuid")
    assert by_block.loc["api/load", "retries"] == 2
    assert by_block.loc["api/load", "final_failures"] == 0
    assert by_block.loc["clean", "retries"] == 0
    assert by_block.loc["clean", "final_failures"] == 1
    assert scan.files == 2 and scan.lines == 6
    assert scan.errors["message"].tolist() == ["Failed: KeyError 'x'"]   # first line only


def test_dynamic_children_count_under_their_block(tmp_path):
    _write(tmp_path, "1/20260101T000000/child_0.log", [
        _line("2026-01-01T00:00:05", "WARNING", "Exception thrown when attempting to run child, attempt 1 of 2",
              block="child:0", run_id=1)])
    _write(tmp_path, "1/20260101T000000/child_1.log", [
        _line("2026-01-01T00:00:05", "WARNING", "Exception thrown when attempting to run child, attempt 1 of 2",
              block="child:1", run_id=2)])
    frame = scan_logs(tmp_path).retries_by_block()
    assert frame[["block_uuid", "retries", "block_runs_retried"]].values.tolist() == [["child", 2, 2]]


def test_bad_long_and_foreign_lines_are_counted_not_fatal(tmp_path):
    good = _line("2026-01-01T00:00:05", "WARNING", "Exception thrown when attempting to run x, attempt 1 of 2")
    _write(tmp_path, "1/20260101T000000/x.log", [
        "not a log line with attempt in it\n",
        "2026-01-01T00:00:00 {\"attempt\": [1, 2\n",          # broken JSON
        "2026-01-01T00:00:00 " + "A" * 200_000 + " attempt 1 of 2\n",   # absurdly long line
        good,
        "\xff\xfe garbage attempt\n",
    ])
    scan = scan_logs(tmp_path)
    assert scan.retries_by_block()["retries"].sum() == 1
    # Lines without a leading timestamp are continuation lines (Mage writes tracebacks that way);
    # a timestamped line whose JSON is broken or absurdly long is a bad line.
    assert scan.bad_lines == 2 and scan.continuation_lines == 2
    assert any("could not be parsed" in p.reason for p in scan.problems)


def test_window_and_non_block_logs(tmp_path):
    _write(tmp_path, "1/20260101T000000/x.log", [
        _line("2025-12-31T23:00:00", "WARNING", "Exception thrown when attempting to run x, attempt 1 of 2"),
        _line("2026-01-05T00:00:00", "WARNING", "Exception thrown when attempting to run x, attempt 1 of 2"),
    ])
    _write(tmp_path, "pipeline.log", [
        _line("2026-01-05T00:00:00", "WARNING", "Exception thrown when attempting to run x, attempt 1 of 2")])
    from datetime import datetime
    scan = scan_logs(tmp_path, since=datetime(2026, 1, 1))
    assert scan.retries_by_block()["retries"].sum() == 1
    assert scan.files == 1


def test_symlinks_are_not_followed(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "evil.log").write_text(
        _line("2026-01-01T00:00:00", "WARNING", "Exception thrown when attempting to run x, attempt 1 of 9"))
    logs = tmp_path / "root" / "p1" / ".logs" / "1"
    logs.mkdir(parents=True)
    os.symlink(outside, logs / "linked_dir")
    os.symlink(outside / "evil.log", logs / "linked.log")
    scan = scan_logs(tmp_path / "root")
    assert scan.files == 0
    assert scan.attempts.empty


def test_missing_root_gives_empty_scan(tmp_path):
    scan = scan_logs(tmp_path / "absent")
    assert scan.files == 0 and scan.retries_by_block().empty and scan.problems == []


def test_over_long_real_style_line_still_counts(tmp_path):
    # Real Mage lines append the traceback and the whole stack after the message; a line past
    # the JSON-parse limit is read from its leading fields.
    payload = {"block_run_id": 9, "block_uuid": "enrich", "pipeline_run_id": 3, "pipeline_uuid": "p1",
               "level": "WARNING",
               "message": "Exception thrown when attempting to run <function x at 0x1>, attempt 1 of 3",
               "error_stack": ["  File \"x.py\", line 1\n" * 60_000]}
    _write(tmp_path, "1/20260101T000000/enrich.log", [f"2026-01-01T00:00:05 {json.dumps(payload)}\n",
                                                      _line("2026-01-01T00:00:06", "EXCEPTION", "Failed to execute block enrich",
                                                            block="enrich", run_id=9)])
    scan = scan_logs(tmp_path)
    assert len(f"{json.dumps(payload)}") > 1024 * 1024
    assert scan.retries_by_block()[["block_uuid", "retries"]].values.tolist() == [["enrich", 1]]
    assert scan.bad_lines == 0 and scan.lines == 2
    assert scan.errors["message"].tolist() == ["Failed to execute block enrich"]   # EXCEPTION level
