"""The recipes notebook answers each everyday question in three lines or fewer, and its answers
are right: executed with papermill on the embedded demo and checked against the demo's database
read with sqlite3 and against the audit's findings."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import nbformat
import pandas as pd
import papermill as pm
import pytest

import auditkit
from auditkit.report.notebooks import notebooks_dir

RECIPES = notebooks_dir() / "recipes" / "recipes.ipynb"


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("recipes")
    out = folder / "recipes.ipynb"
    pm.execute_notebook(str(RECIPES), str(out), parameters={"out": str(folder)}, kernel_name="python3",
                        progress_bar=False, cwd=str(folder))
    return folder, nbformat.read(out, as_version=4)


def _recipe_cells(nb) -> list:
    code = [c for c in nb.cells if c.cell_type == "code"]
    setup = next(i for i, c in enumerate(code) if "open_audit" in c.source)
    return code[setup + 1:]         # after the parameters, injected parameters and set-up cells


def test_every_recipe_runs_and_is_three_lines_or_fewer(executed):
    _, nb = executed
    recipes = _recipe_cells(nb)
    assert len(recipes) == 6
    for cell in recipes:
        lines = [line for line in cell.source.splitlines() if line.strip()]
        assert len(lines) <= 3, cell.source
        assert cell.outputs and not [o for o in cell.outputs if o.output_type == "error"], cell.source


def test_recipe_answers_match_the_database_and_the_findings(executed):
    folder, _ = executed
    audit = auditkit.open_audit("")
    runs = audit.history.runs
    pipeline = runs["pipeline"].value_counts().index[0]
    [csv] = folder.glob("*-findings.csv")
    assert csv.name == f"{pipeline}-findings.csv"
    written = pd.read_csv(csv)
    expected = audit.findings[audit.findings["pipelines"].map(lambda names: pipeline in names)
                              & audit.findings["severity"].isin(["critical", "high"])]
    assert sorted(written["fingerprint"]) == sorted(expected["fingerprint"]) and len(written) > 0
    # the block that failed most in the last 30 days, counted by SQL on the same DB
    db = Path(audit.history.label)
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        newest = conn.execute("SELECT MAX(created_at) FROM pipeline_run").fetchone()[0]
        top = conn.execute(
            "SELECT COUNT(*) AS n FROM block_run br JOIN pipeline_run pr ON pr.id = br.pipeline_run_id "
            "WHERE br.status = 'FAILED' AND pr.created_at >= datetime(?, '-30 days') "
            "GROUP BY pr.pipeline_uuid, br.block_uuid ORDER BY n DESC LIMIT 1", (newest,)).fetchone()[0]
    last_month = audit.history.between("30d").block_runs()
    failed = last_month[last_month["status"] == "FAILED"].value_counts(["pipeline", "block"])
    assert int(failed.iloc[0]) == top > 0


def test_http_recipe_reads_the_code_facts_frame_and_matches_the_raw_facts(executed):
    """The HTTP-without-retries recipe answers from ``inventory.code_facts``; the same answer
    computed from the per-file fact dicts the rules read."""
    from auditkit.analytics.retries import effective_retry_config

    _, nb = executed
    [cell] = [c for c in _recipe_cells(nb) if "http_calls" in c.source]
    assert "code_facts" in cell.source
    [result] = [o for o in cell.outputs if o.output_type == "execute_result"]
    audit = auditkit.open_audit("")
    files, blocks = audit.inventory.block_files, audit.inventory.blocks
    calling = {p for p, f in zip(files["path"], files["facts"]) if (f or {}).get("http_calls")}
    http = blocks[blocks["path"].isin(calling)][["pipeline", "block"]]
    config = effective_retry_config(audit.inventory).merge(http)
    expected = sorted(config.loc[config["retries"] == 0, "pipeline"].unique())
    assert len(http) > 0 and result.data["text/plain"] == repr(expected)
    facts = audit.inventory.code_facts
    assert set(facts.loc[facts["fact"] == "http_calls", "path"]) == calling
