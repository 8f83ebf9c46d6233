"""Drift building blocks: environment specs, configuration-file rows, the difference helper, the
git blob ids of folder files, and the figures and tables of the section."""
from __future__ import annotations

import subprocess

import pandas as pd
import pytest

from auditkit.drift.configfiles import dbt_profile_rows, requirement_rows, setting_rows
from auditkit.drift.envs import EnvSpecError, mage_env_for, parse_env, parse_envs, production_index, split_env_list
from auditkit.drift.frames import ABSENT, differing
from auditkit.drift.trees import blob_id, file_blob_id
from rule_cases_drift import make_drift


@pytest.mark.parametrize("name, expected", [("prod", "prod"), ("production", "prod"), ("main", "prod"),
                                            ("staging", "staging"), ("uat", "staging"), ("dev", "dev"),
                                            ("development", "dev"), ("feature-x", "dev"), ("test", "test")])
def test_mage_env_follows_the_guide_branch_names(name, expected):
    assert mage_env_for(name) == expected


def test_env_specs():
    spec = parse_env("live:prod=release/2026")
    assert (spec.name, spec.mage_env, spec.spec) == ("live", "prod", "release/2026")
    assert parse_env("stg=dir:../stg").forced == "dir" and parse_env("stg=dir:../stg").spec == "../stg"
    specs = parse_envs(["dev=development", "prod=main"], history=["prod=sqlite:///x.db"], mage_data=["dev=/d"])
    assert (specs[1].history, specs[0].mage_data) == ("sqlite:///x.db", "/d")
    assert production_index(specs) == 1
    assert production_index(parse_envs(["a=x", "b=y"])) == 1                       # no prod: the last one
    assert split_env_list("dev=development, prod=main\n") == ["dev=development", "prod=main"]
    for bad in (["dev=development"], ["dev=a", "dev=b"], ["dev", "prod=main"], ["dev=-x", "prod=main"],
                ["x:live=a", "prod=b"], ["a b=x", "prod=main"]):
        with pytest.raises(EnvSpecError):
            parse_envs(bad)
    with pytest.raises(EnvSpecError) as err:
        parse_envs(["dev=a", "prod=b"], history=["qa=postgresql://u:hunter2@h/db"])
    assert "hunter2" not in str(err.value)


def test_requirement_rows_keep_no_credentials():
    text = ("pandas==2.1.0  # pinned\nRequests[socks] >= 2.31 ; python_version > '3.8'\n"
            "--extra-index-url https://deploy:Tok3nValue@pypi.example.com/simple\n"
            "git+https://ghp_Secret123@github.com/org/tool.git@v1#egg=tool\n"
            "lib @ https://u:p4ss@files.example.com/lib.whl\n-r base.txt\nnumpy\\\n  >=1.26\n")
    rows = {r["package"]: r["spec"] for r in requirement_rows(text)}
    assert rows["pandas"] == "==2.1.0" and rows["numpy"] == ">=1.26"
    assert rows["requests"].startswith("[socks] >=2.31;")
    assert rows["option -r"] == "base.txt" and "pypi.example.com/simple" in rows["option --extra-index-url"]
    assert "github.com/org/tool.git" in rows["tool"] and "files.example.com" in rows["lib"]
    joined = " ".join(rows.values())
    for secret in ("Tok3nValue", "ghp_Secret123", "p4ss", "deploy:"):
        assert secret not in joined


def test_dbt_profile_rows_are_kinds():
    rows = dbt_profile_rows({"shop": {"target": "dev", "outputs": {
        "dev": {"type": "postgres", "password": "hunter2", "host": "{{ env_var('H') }}", "port": 5432}}},
        "config": {"send_anonymous_usage_stats": False}})
    kinds = {(r["target"], r["key"]): r["value_kind"] for r in rows}
    assert kinds == {("(default)", "target"): "dev", ("dev", "type"): "type postgres", ("dev", "password"): "literal",
                     ("dev", "host"): "env_var", ("dev", "port"): "number"}
    assert dbt_profile_rows(["not", "a", "mapping"]) == []


def test_setting_rows_redact_secret_looking_values():
    rows = {r["key"]: r["value"] for r in setting_rows({"queue_config": {"concurrency": 20},
                                                        "notification_config": {"slack_config": {"webhook_url": "https://hooks/x"}},
                                                        "alert_on": ["trigger_failure"]})}
    assert rows["queue_config.concurrency"] == "20" and rows["alert_on"] == '["trigger_failure"]'
    assert rows["notification_config.slack_config.webhook_url"].startswith("<redacted literal ")


def test_differing_keeps_only_keys_that_differ_and_respects_scope():
    long = pd.DataFrame([("p1", "a", "x", "1"), ("p1", "b", "x", "1"), ("p2", "a", "x", "1"), ("p2", "b", "x", "2"),
                         ("p3", "a", "x", "1")], columns=["pipeline", "env", "field", "value"])
    scope = pd.DataFrame([("p1", "a"), ("p1", "b"), ("p2", "a"), ("p2", "b"), ("p3", "a")], columns=["pipeline", "env"])
    out = differing(long, ["pipeline", "field"], "value", ["a", "b"], scope, ["pipeline"])
    assert out[["pipeline", "env", "value"]].values.tolist() == [["p2", "a", "1"], ["p2", "b", "2"]]
    unscoped = differing(long, ["pipeline", "field"], "value", ["a", "b"])
    assert unscoped[unscoped["pipeline"] == "p3"]["value"].tolist() == ["1", ABSENT]


def test_folder_blob_ids_equal_git_hash_object(tmp_path):
    for data in (b"", b"hello\n", bytes(range(256)) * 5000):
        path = tmp_path / "f"
        path.write_bytes(data)
        git = subprocess.run(["git", "hash-object", str(path)], capture_output=True, text=True).stdout.strip()
        assert blob_id(data) == file_blob_id(str(path), len(data)) == git


def _matrix_drift(n: int) -> object:
    rows = []
    for i in range(n):
        rows += [{"project": "p", "pipeline": f"pipe{i:03d}", "env": "staging", "present": True,
                  "state": "differs" if i % 2 else "same", "differs_in": "metadata" if i % 2 else ""},
                 {"project": "p", "pipeline": f"pipe{i:03d}", "env": "prod", "present": True, "state": "reference",
                  "differs_in": ""}]
    return make_drift(pipelines=rows)


def test_matrix_heatmap_caps_rows_and_shows_the_differing_first():
    from auditkit.plots import drift as D

    fig = D.pipeline_matrix(_matrix_drift(200))
    heat = fig.data[0]
    assert len(heat.y) == D.MAX_MATRIX_ROWS and list(heat.x) == ["staging", "prod"]
    assert all(row[0] == D.CELL_STATES.index("differs from production") for row in heat.z)
    assert "100 of 200 pipelines differ" in fig.layout.title.text
    counts = D.state_counts(_matrix_drift(4)).set_index(["env", "state"])["pipelines"]
    assert counts[("staging", "same as production")] == 2 and counts[("prod", "in production")] == 4


def test_side_by_side_tables_and_empty_figures():
    from auditkit.plots import drift as D

    drift = make_drift(requirements=[{"path": "r.txt", "package": "pandas", "env": "staging", "spec": "==2.2"},
                                     {"path": "r.txt", "package": "pandas", "env": "prod", "spec": "==2.1"}])
    table = D.side_by_side(drift.requirements, ["path", "package"], "spec", drift.env_names)
    assert table.columns.tolist() == ["path", "package", "staging", "prod"]
    assert table.iloc[0][["staging", "prod"]].tolist() == ["==2.2", "==2.1"]
    styled = D.highlight(table, drift.env_names, "prod").to_html()
    assert "#fff1e0" in styled
    for fig in (D.promotion_chart(drift), D.promotion_timeline(drift), D.code_chart(drift), D.history_chart(drift),
                D.pipeline_matrix(drift)):
        assert fig.layout.annotations, "an empty figure says why"
