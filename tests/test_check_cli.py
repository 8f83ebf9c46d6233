"""`auditkit check`: the table, the files, and the exit codes CI relies on."""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from auditkit.cli import main

LOADER = '''"""Load orders from the API."""
@data_loader
def load_data(*args, **kwargs):
    return [1, 2, 3]


@test
def test_output(output, *args):
    assert output is not None
    assert len(output) > 0
'''
PIPELINE = """name: sales_orders_daily
uuid: sales_orders_daily
type: python
description: Loads orders every day.
tags: [sales]
blocks:
- uuid: load_orders
  type: data_loader
  language: python
  upstream_blocks: []
  downstream_blocks: [transform_orders]
- uuid: transform_orders
  type: transformer
  language: python
  upstream_blocks: [load_orders]
  downstream_blocks: []
"""


@pytest.fixture
def repo(tmp_path) -> Path:
    """A one-pipeline Mage project whose transformer file is missing (MAGE-BLK-009, high)."""
    root = tmp_path / "repo"
    project = root / "proj"
    (project / "pipelines" / "sales_orders_daily").mkdir(parents=True)
    (project / "data_loaders").mkdir()
    (project / "transformers").mkdir()
    (project / "metadata.yaml").write_text("project_type: standalone\n")
    (project / "io_config.yaml").write_text("version: 0.1.1\ndefault:\n  POSTGRES_HOST: \"{{ env_var('PG_HOST') }}\"\n")
    (project / "pipelines" / "sales_orders_daily" / "metadata.yaml").write_text(PIPELINE)
    (project / "data_loaders" / "load_orders.py").write_text(LOADER)
    return root


def check(capsys, *args) -> tuple[int, str, str]:
    code = main(["check", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def test_table_lists_findings_and_exit_is_zero_without_fail_on(repo, capsys):
    code, out, _ = check(capsys, repo)
    assert code == 0
    assert "MAGE-BLK-009" in out and "proj/transformers/transform_orders.py" in out
    assert out.splitlines()[0].split()[:3] == ["RULE", "SEVERITY", "LOCATION"]


def test_fail_on_gates_by_severity(repo, capsys):
    assert check(capsys, repo, "--fail-on", "high")[0] == 1
    assert check(capsys, repo, "--fail-on", "critical")[0] == 0


def test_waived_findings_do_not_fail_and_are_marked(repo, capsys):
    (repo / "auditkit.yaml").write_text(
        "waivers:\n  - {rule: MAGE-BLK-009, path: 'proj/transformers/**', reason: being restored}\n")
    code, out, _ = check(capsys, repo, "--fail-on", "high")
    assert code == 0
    assert any("MAGE-BLK-009" in line and "[waived]" in line for line in out.splitlines())


def test_baseline_fails_only_on_new_findings(repo, tmp_path, capsys):
    first = tmp_path / "first"
    assert check(capsys, repo, "--format", "json", "--out", first)[0] == 0
    baseline = first / "findings.json"
    code, out, _ = check(capsys, repo, "--baseline", baseline, "--fail-on", "info")
    assert code == 0 and "No findings." in out
    # a new problem: a loader that no pipeline uses (MAGE-BLK-010, low)
    (repo / "proj" / "data_loaders" / "load_refunds.py").write_text('"""Refunds."""\n@data_loader\ndef load(*a, **k):\n    return []\n')
    code, out, _ = check(capsys, repo, "--baseline", baseline, "--fail-on", "low")
    assert code == 1
    assert "load_refunds.py" in out and "MAGE-BLK-009" not in out


def test_files_are_written_and_sarif_is_valid(repo, tmp_path, capsys):
    out_dir = tmp_path / "out"
    code, _, err = check(capsys, repo, "--format", "sarif", "--format", "csv", "--out", out_dir)
    assert code == 0 and "findings.sarif" in err
    assert sorted(p.name for p in out_dir.iterdir()) == ["findings.csv", "findings.sarif"]
    schema = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())
    sarif = json.loads((out_dir / "findings.sarif").read_text())
    jsonschema.validate(sarif, schema)
    uris = {loc["physicalLocation"]["artifactLocation"]["uri"]
            for r in sarif["runs"][0]["results"] for loc in r.get("locations", [])}
    assert "proj/transformers/transform_orders.py" in uris
    assert not any(u.startswith("/") for u in uris)


def test_file_formats_alone_print_only_the_summary_line(repo, tmp_path, capsys):
    """--format json (files for a machine) prints the one summary line, not the whole table;
    naming table as well prints both."""
    code, out, _ = check(capsys, repo, "--format", "json", "--out", tmp_path / "a")
    assert code == 0 and len(out.splitlines()) == 1 and "findings (" in out and "MAGE-BLK-009" not in out
    code, out, _ = check(capsys, repo, "--format", "table", "--format", "json", "--out", tmp_path / "b")
    assert out.splitlines()[0].split()[:3] == ["RULE", "SEVERITY", "LOCATION"] and "MAGE-BLK-009" in out
    assert "findings (" in out.splitlines()[-1]


def test_out_alone_writes_all_three_files(repo, tmp_path, capsys):
    check(capsys, repo, "--out", tmp_path / "all")
    assert sorted(p.name for p in (tmp_path / "all").iterdir()) == ["findings.csv", "findings.json", "findings.sarif"]


@pytest.mark.parametrize("setup,args,message", [
    ("config", ["--config", "{repo}/bad.yaml"], "configuration error"),
    ("baseline", ["--baseline", "{repo}/baseline.json"], "baseline"),
    ("none", ["--baseline", "{repo}/missing.json"], "baseline not found"),
    ("none", ["--format", "json"], "needs --out"),
])
def test_input_errors_exit_2(repo, capsys, setup, args, message):
    (repo / "bad.yaml").write_text("thresholds: {MAGE-BLK-001: {max_lnes: 3}}\n")
    (repo / "baseline.json").write_text("[1, 2]")
    code, _, err = check(capsys, repo, *[a.format(repo=repo) for a in args])
    assert code == 2 and message in err


def test_not_a_mage_repo_exits_2(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    code, _, err = check(capsys, tmp_path / "empty")
    assert code == 2 and err


@pytest.mark.slow
def test_no_rule_raises_on_the_demo_and_every_own_category_fires(tmp_path):
    from auditkit.audit import run_audit
    from auditkit.demo.workspace import prepare_demo

    repo, mage_data = prepare_demo(tmp_path / "demo")
    audit = run_audit(repo, mage_data=mage_data)
    rule_run = audit.rule_run
    assert rule_run.errors == [], rule_run.errors
    categories = set(audit.findings["category"])
    assert {"blocks", "documentation", "testing", "pipelines"} <= categories


def test_input_problems_reach_every_output_with_their_path(repo, tmp_path, capsys):
    """What could not be read is named in the CLI summary, findings.json, findings.csv (rule
    INPUT) and findings.sarif (tool execution notifications): a CI log shows it."""
    broken = repo / "proj" / "pipelines" / "broken_daily"
    broken.mkdir()
    (broken / "metadata.yaml").write_text("blocks: [unclosed\n")
    out_dir = tmp_path / "out"
    code, out, err = check(capsys, repo, "--out", out_dir)
    assert code == 0
    assert "input problem" in out and "proj/pipelines/broken_daily/metadata.yaml" in err
    document = json.loads((out_dir / "findings.json").read_text())
    assert [p["path"] for p in document["input_problems"]] == ["proj/pipelines/broken_daily/metadata.yaml"]
    assert document["summary"]["input_problems"] == 1
    rows = (out_dir / "findings.csv").read_text().splitlines()
    assert any(r.startswith("INPUT,") and "broken_daily/metadata.yaml" in r for r in rows)
    sarif = json.loads((out_dir / "findings.sarif").read_text())
    [note] = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert note["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == \
        "proj/pipelines/broken_daily/metadata.yaml"
    schema = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.validate(sarif, schema)
