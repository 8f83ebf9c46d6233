"""``auditkit drift`` and ``auditkit report --env``: exit codes, files written, bad input, run
histories side by side, and the 90_drift notebook on a saved result."""
from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

import pytest

from auditkit.cli import build_parser, main
from auditkit.drift import DriftResult, run_drift
from drift_support import LITERAL_PASSWORD, build_drift_repo, git
from history_support import empty_history_db, insert

ENV_ARGS = ["--env", "dev=development", "--env", "staging=staging", "--env", "prod=main"]
NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "90_drift.ipynb"


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    return build_drift_repo(tmp_path_factory.mktemp("drift_cli") / "acme")


def history_db(path: Path, runs: dict[str, list[str]]) -> Path:
    conn = empty_history_db(path)
    n = 0
    for pipeline, statuses in runs.items():
        for status in statuses:
            n += 1
            day = f"2026-01-{1 + n % 27:02d}"
            insert(conn, "pipeline_run", id=n, pipeline_uuid=pipeline, status=status, execution_date=f"{day} 00:00:00",
                   created_at=f"{day} 00:00:00", started_at=f"{day} 00:00:05", completed_at=f"{day} 00:01:05")
    conn.close()
    return path


def run(argv: list[str]) -> tuple[int, str, str]:
    import contextlib

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def test_drift_command_with_histories_writes_the_result(repo, tmp_path):
    prod_db = history_db(tmp_path / "prod.db", {"orders_daily": ["COMPLETED"] * 9 + ["FAILED"],
                                                "customers_sync": ["COMPLETED"] * 4})
    staging_db = history_db(tmp_path / "staging.db", {"orders_daily": ["COMPLETED"] * 3})
    code, out, err = run(["drift", str(repo), *ENV_ARGS, "--history", f"prod={prod_db}",
                          "--history", f"staging={staging_db}", "--out", str(tmp_path / "out")])
    assert code == 0, err
    assert "Environments (promotion order):" in out and "Promotion staging -> prod: 2 commits waiting" in out
    assert "MAGE-DEP-107" in out and "3 on prod skipped staging" in out
    saved = DriftResult.load(tmp_path / "out")
    rates = saved.history.set_index(["env", "pipeline"])["failure_rate"]
    assert rates[("prod", "orders_daily")] == pytest.approx(0.1) and rates[("staging", "orders_daily")] == 0
    dep107 = saved.findings[saved.findings["rule_id"] == "MAGE-DEP-107"]
    assert dep107["pipeline"].tolist() == ["customers_sync"]
    document = json.loads((tmp_path / "out" / "findings.json").read_text())
    assert {f["rule_id"] for f in document["findings"]} >= {"MAGE-DEP-101", "MAGE-DEP-107"}
    for path in (tmp_path / "out").iterdir():
        assert LITERAL_PASSWORD not in path.read_text(encoding="utf-8", errors="replace")


def test_exit_codes(repo, tmp_path):
    assert run(["drift", str(repo), *ENV_ARGS, "--fail-on", "high"])[0] == 1
    assert run(["drift", str(repo), *ENV_ARGS, "--fail-on", "critical"])[0] == 0
    code, _, err = run(["drift", str(repo), "--env", "dev=no-such-branch", "--env", "prod=main"])
    assert code == 2 and "no-such-branch" in err
    assert run(["drift", str(repo), "--env", "prod=main"])[0] == 2
    assert run(["drift", str(repo), *ENV_ARGS, "--history", "qa=x.db"])[0] == 2
    assert run(["drift", str(tmp_path / "missing"), *ENV_ARGS])[0] == 2
    assert run(["drift", str(repo), *ENV_ARGS, "--format", "json"])[0] == 2        # needs --out
    assert build_parser().parse_args(["report", ".", "--env", "dev=development", "--env", "prod=main"]).env == [
        "dev=development", "prod=main"]


def test_an_environment_without_the_project_is_an_input_problem(repo, tmp_path):
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(repo), str(clone)], check=True)
    empty_tree = git(clone, "hash-object", "-t", "tree", "/dev/null").strip()
    git(clone, "branch", "empty", git(clone, "commit-tree", empty_tree, "-m", "empty").strip())
    result = run_drift(clone, ["new=empty", "prod=main"])
    assert result.input_problems["reason"].str.contains("new: no Mage project").any()
    assert set(result.pipelines[result.pipelines["env"] == "new"]["state"]) == {"absent"}
    assert result.promotion["status"].tolist() == ["compared"]
    sub = run_drift(clone / "hub", ["new=empty", "prod=main"])            # the folder is not in that commit
    assert sub.input_problems["reason"].str.contains("new: no Mage project").any()


@pytest.mark.slow
def test_drift_notebook_runs_on_a_saved_result(repo, tmp_path):
    import nbformat
    import papermill as pm

    run_drift(repo, ["dev=development", "staging=staging", "prod=main"]).save(tmp_path / "cache")
    executed = tmp_path / "90_drift.ipynb"
    pm.execute_notebook(str(NOTEBOOK), str(executed), kernel_name="python3", progress_bar=False,
                        parameters={"drift_cache": str(tmp_path / "cache"), "out": str(tmp_path / "csv")})
    nb = nbformat.read(str(executed), as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = json.dumps([c.get("outputs", []) for c in nb.cells])
    for expected in ("Pipelines by environment", "Promotion timeline", "Promotion state", "hotfix_export",
                     "MAGE-DEP-101", "MAGE-DEP-106", "dev_only"):
        assert expected in text, expected
    assert LITERAL_PASSWORD not in text
    assert (tmp_path / "csv" / "drift_pipelines.csv").is_file()


@pytest.mark.slow
def test_demo_report_has_the_drift_section(demo_report):
    out, code = demo_report
    page = (out / "90_drift.html").read_text()
    assert "Pipelines by environment" in page and "Promotion timeline" in page
    summary = json.loads((out / "summary.json").read_text())
    assert summary["drift"]["production"] == "prod"
    assert summary["findings"]["by_rule"].get("MAGE-DEP-101") == 1     # the hotfix pipeline made on main
    assert (out / "_drift" / "drift.json").is_file()
